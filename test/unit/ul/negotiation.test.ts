import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config, ContextSpec } from '../../../src/config/types';
import { asyncWindow, negotiateAssociation, chooseTransferSyntax, peerAllowed } from '../../../src/ul/negotiation';
import { acceptedContexts, buildAssociateRq } from '../../../src/ul/proposal';
import { type AssociateRq, emptyUserInfo } from '../../../src/ul/pdu-types';

const IVR = '1.2.840.10008.1.2';
const EVR = '1.2.840.10008.1.2.1';
const EBE = '1.2.840.10008.1.2.2';
const ECHO = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';

function spec(role: ContextSpec['role'], uids: string[], ts: string[] = []): ContextSpec {
  return { role, sopClassUids: uids, transferSyntaxes: ts, line: 0 };
}

function config(over: Partial<Config['options']> = {}, server: Partial<Config['server']> = {}): Config {
  return {
    network: { port: 104, bind: '127.0.0.1', maxPdu: 65530, readTimeout: 60, idleTimeout: 300, socketSndBuf: 0, socketRcvBuf: 0, maxAssociations: 10, maxAsyncOps: 16 },
    memory: { dimseSize: 1 << 20 },
    localAe: { aeTitle: 'EDGE', implementationClassUid: '1.2.840.114093.1.1', implementationVersionName: '00.01.00.00' },
    options: { debug: false, pduDump: false, dimseDump: false, dumpDir: '/tmp', verifyProtocol: true, verifyLocalAe: true, verifyRemoteAe: true, verifyAppContext: true, verifyIPAddr: true, warmUp: false, ...over },
    transferSyntaxes: [IVR, EVR, EBE],
    server: { contexts: [spec('scp', [ECHO]), spec('scp', [CT]), spec('scu', [MR])], accept: [{ aeTitle: 'MODALITY', ip: '127.0.0.1', line: 1 }], trSynOrder: 'server', transferSyntaxes: [], ...server },
    remotes: [{ aeTitle: 'PACS', ip: '127.0.0.2', port: 104, contexts: [], transferSyntaxes: [], extra: {}, line: 2 }],
    storage: { path: '/tmp', duplicates: 'overwrite', spareFiles: 0 },
    autoKeys: [], warnings: [],
  };
}

function rq(over: Partial<AssociateRq> = {}): AssociateRq {
  return {
    type: 'A-ASSOCIATE-RQ', protocolVersion: 1, calledAeTitle: 'EDGE', callingAeTitle: 'MODALITY',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts: [{ id: 1, abstractSyntax: ECHO, transferSyntaxes: [IVR] }, { id: 3, abstractSyntax: CT, transferSyntaxes: [EBE, EVR] }],
    userInfo: { ...emptyUserInfo(), maxLength: 16384, implementationClassUid: '1.2.3' },
    ...over,
  };
}

test('accepts known contexts with server order and answers our identity', () => {
  const d = negotiateAssociation({ rq: rq(), peerAddress: '127.0.0.1', config: config() });
  assert.equal(d.kind, 'accept');
  if (d.kind !== 'accept') return;
  assert.deepEqual(d.ac.presentationContexts, [{ id: 1, result: 0, transferSyntax: IVR }, { id: 3, result: 0, transferSyntax: EVR }]);
  assert.equal(d.ac.userInfo.maxLength, 65530);
  assert.equal(d.ac.userInfo.implementationClassUid, '1.2.840.114093.1.1');
  assert.equal(d.ac.userInfo.implementationVersionName, '00.01.00.00');
  assert.equal(d.peerMaxPdu, 16384);
  assert.equal(d.contexts.length, 2);
});

test('client order picks the first proposed syntax we support', () => {
  const d = negotiateAssociation({ rq: rq(), peerAddress: '127.0.0.1', config: config({}, { trSynOrder: 'client' }) });
  assert.ok(d.kind === 'accept');
  assert.equal(d.ac.presentationContexts[1].transferSyntax, EBE);
  assert.equal(chooseTransferSyntax([IVR, EVR], [EVR, IVR], 'server'), IVR);
  assert.equal(chooseTransferSyntax([IVR, EVR], [EVR, IVR], 'client'), EVR);
  assert.equal(chooseTransferSyntax([IVR], [EBE], 'client'), undefined);
});

test('unsupported abstract syntax → 3, unsupported transfer syntax → 4', () => {
  const r = rq({ presentationContexts: [{ id: 1, abstractSyntax: '1.2.3.4', transferSyntaxes: [IVR] }, { id: 3, abstractSyntax: CT, transferSyntaxes: ['1.2.840.10008.1.2.4.50'] }] });
  const d = negotiateAssociation({ rq: r, peerAddress: '127.0.0.1', config: config() });
  assert.ok(d.kind === 'accept');
  assert.deepEqual(d.ac.presentationContexts.map((c) => c.result), [3, 4]);
  assert.equal(d.contexts.length, 0);
});

test('per-line transfer syntaxes restrict a class', () => {
  const c = config({}, { contexts: [spec('scp', [CT], [EBE])] });
  const d = negotiateAssociation({ rq: rq({ presentationContexts: [{ id: 5, abstractSyntax: CT, transferSyntaxes: [IVR, EVR] }] }), peerAddress: '127.0.0.1', config: c });
  assert.ok(d.kind === 'accept');
  assert.equal(d.ac.presentationContexts[0].result, 4);
});

test('rejections carry the PS3.8 Table 9-21 result/source/reason', () => {
  const cases: [Partial<AssociateRq>, string, [number, number, number]][] = [
    [{ protocolVersion: 2 }, '127.0.0.1', [1, 2, 2]],
    [{ applicationContext: '1.2.3' }, '127.0.0.1', [1, 1, 2]],
    [{ calledAeTitle: 'OTHER' }, '127.0.0.1', [1, 1, 7]],
    [{ callingAeTitle: 'STRANGER' }, '127.0.0.1', [1, 1, 3]],
    [{}, '127.0.0.9', [1, 1, 3]],
    [{ presentationContexts: [] }, '127.0.0.1', [1, 1, 1]],
  ];
  for (const [over, ip, [result, source, reason]] of cases) {
    const d = negotiateAssociation({ rq: rq(over), peerAddress: ip, config: config() });
    assert.equal(d.kind, 'reject', JSON.stringify(over));
    if (d.kind === 'reject') assert.deepEqual([d.rj.result, d.rj.source, d.rj.reason], [result, source, reason], JSON.stringify(over));
  }
});

test('over the association limit → transient, presentation source, local limit exceeded', () => {
  const d = negotiateAssociation({ rq: rq(), peerAddress: '127.0.0.1', config: config(), overLimit: true });
  assert.ok(d.kind === 'reject');
  assert.deepEqual([d.rj.result, d.rj.source, d.rj.reason], [2, 3, 2]);
});

test('verify options off let anyone in; IPv4-mapped addresses compare as IPv4', () => {
  const open = config({ verifyRemoteAe: false, verifyIPAddr: false, verifyLocalAe: false, verifyProtocol: false, verifyAppContext: false });
  const d = negotiateAssociation({ rq: rq({ callingAeTitle: 'X', calledAeTitle: 'Y', protocolVersion: 2, applicationContext: '1.2' }), peerAddress: '10.9.9.9', config: open });
  assert.equal(d.kind, 'accept');
  assert.equal(peerAllowed(config(), 'MODALITY', '::ffff:127.0.0.1'), true);
  assert.equal(peerAllowed(config(), 'PACS', '127.0.0.2'), true, 'a [RemoteAE] is accepted at its own address');
  assert.equal(peerAllowed(config(), 'PACS', '127.0.0.1'), false, 'AE and IP must match the same entry');
  assert.equal(peerAllowed(config({ verifyIPAddr: false }), 'PACS', '127.0.0.1'), true);
  assert.equal(peerAllowed(config({ verifyRemoteAe: false }), 'ANY', '127.0.0.2'), true);
  assert.equal(peerAllowed(config(), 'MODALITY\0', '127.0.0.1'), false, 'embedded NUL never matches');
});

test('IPv6: an accept line or [RemoteAE] matches the peer whatever the spelling of its address', () => {
  const v6 = config({}, { accept: [{ aeTitle: 'US1', ip: 'FD42:00DE:0:0::2', line: 1 }] });
  v6.remotes = [{ ...v6.remotes[0], aeTitle: 'PACS', ip: 'fd42:de::9' }];
  assert.equal(peerAllowed(v6, 'US1', 'fd42:de::2'), true, 'Node reports the compressed lower-case form');
  assert.equal(peerAllowed(v6, 'US1', 'fd42:de::3'), false);
  assert.equal(peerAllowed(v6, 'PACS', 'fd42:de:0:0:0:0:0:9'), true);
  assert.equal(peerAllowed(v6, 'PACS', 'fd42:de::2'), false, 'AE and address of the same entry');
  const d = negotiateAssociation({ rq: rq({ callingAeTitle: 'US1' }), peerAddress: 'fd42:de::3', config: v6 });
  assert.ok(d.kind === 'reject');
  assert.match(d.why, /calling AE "US1" from fd42:de::3 is not in the accept list/);
});

test('role selection: C-GET requestor gets our SCU role only where [Server] scu allows', () => {
  const r = rq({
    presentationContexts: [{ id: 1, abstractSyntax: MR, transferSyntaxes: [IVR] }, { id: 3, abstractSyntax: CT, transferSyntaxes: [IVR] }],
    userInfo: { ...emptyUserInfo(), maxLength: 0, implementationClassUid: '1.2', roles: [
      { sopClassUid: MR, scuRole: false, scpRole: true }, { sopClassUid: CT, scuRole: false, scpRole: true },
    ] },
  });
  const d = negotiateAssociation({ rq: r, peerAddress: '127.0.0.1', config: config() });
  assert.ok(d.kind === 'accept');
  // MR: [Server] scu = mr → accepted with us as SCU. CT: only scp configured and the peer gives up SCU → rejected.
  assert.deepEqual(d.ac.presentationContexts.map((c) => c.result), [0, 1]);
  assert.deepEqual(d.ac.userInfo.roles, [{ sopClassUid: MR, scuRole: false, scpRole: true }]);
  assert.deepEqual(d.contexts[0], { id: 1, abstractSyntax: MR, transferSyntax: IVR, weAreScu: true, weAreScp: false });
});

test('asynchronous operations window: the requestor may invoke up to maxAsyncOps, we invoke one at a time', () => {
  const answer = (proposed: { invoked: number; performed: number } | undefined, maxAsyncOps = 16) => {
    const r = rq();
    r.userInfo.asyncOps = proposed;
    const c = config();
    c.network.maxAsyncOps = maxAsyncOps;
    const d = negotiateAssociation({ rq: r, peerAddress: '127.0.0.1', config: c });
    assert.ok(d.kind === 'accept');
    return d.ac.userInfo.asyncOps;
  };
  assert.deepEqual(answer({ invoked: 5, performed: 5 }), { invoked: 5, performed: 1 });
  assert.deepEqual(answer({ invoked: 40, performed: 1 }), { invoked: 16, performed: 1 }, 'lowered to ours');
  assert.deepEqual(answer({ invoked: 0, performed: 0 }), { invoked: 16, performed: 1 }, '0 = unlimited becomes our limit');
  assert.deepEqual(answer({ invoked: 5, performed: 5 }, 1), { invoked: 1, performed: 1 }, 'maxAsyncOps = 1: synchronous');
  assert.equal(answer(undefined), undefined, 'no item in the RQ, none in the AC (PS3.7 D.3.3.3)');
  assert.deepEqual(asyncWindow({ invoked: 1, performed: 7 }, 16), { invoked: 1, performed: 1 });
});

test('requestor: an Asynchronous Operations Window is proposed only above 1', () => {
  const base = { callingAeTitle: 'A', calledAeTitle: 'B', maxPdu: 1000, implementationClassUid: '1.2', implementationVersionName: 'V', contexts: [{ abstractSyntax: ECHO, transferSyntaxes: [IVR], role: 'scu' as const }] };
  assert.equal(buildAssociateRq(base).userInfo.asyncOps, undefined);
  assert.equal(buildAssociateRq({ ...base, asyncOps: 1 }).userInfo.asyncOps, undefined);
  assert.deepEqual(buildAssociateRq({ ...base, asyncOps: 8 }).userInfo.asyncOps, { invoked: 8, performed: 1 });
});

test('requestor: proposal ids are odd, roles proposed for scp contexts, AC read back', () => {
  const proposed = [{ abstractSyntax: ECHO, transferSyntaxes: [IVR], role: 'scu' as const }, { abstractSyntax: CT, transferSyntaxes: [EVR, IVR], role: 'scp' as const }];
  const req = buildAssociateRq({ callingAeTitle: 'A', calledAeTitle: 'B', maxPdu: 1000, implementationClassUid: '1.2', implementationVersionName: 'V', contexts: proposed });
  assert.deepEqual(req.presentationContexts.map((c) => c.id), [1, 3]);
  assert.deepEqual(req.userInfo.roles, [{ sopClassUid: CT, scuRole: false, scpRole: true }]);
  const d = negotiateAssociation({ rq: req, peerAddress: '127.0.0.1', config: config({ verifyLocalAe: false, verifyRemoteAe: false, verifyIPAddr: false }, { contexts: [spec('scp', [ECHO]), spec('scu', [CT])] }) });
  assert.ok(d.kind === 'accept');
  const ctxs = acceptedContexts(req, d.ac, proposed);
  assert.deepEqual(ctxs.map((c) => [c.id, c.weAreScu, c.weAreScp]), [[1, true, false], [3, false, true]]);
});
