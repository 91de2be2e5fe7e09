import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { parseConfig, type LoadedConfig } from '../../../src/config/load';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const ECHO = '1.2.840.10008.1.1';
const IMPL = '1.2.840.10008.1.2';
const EXPL = '1.2.840.10008.1.2.1';
const BIG = '1.2.840.10008.1.2.2';

function ok(text: string, file = '/etc/edge/test.ini'): LoadedConfig {
  const r = parseConfig(text, file);
  assert.deepEqual(r.problems, []);
  return r.config!;
}
const MIN = '[Local AE]\naeTitle = EDGE\n';

test('defaults of the statement and ours', () => {
  const c = ok(MIN);
  assert.deepEqual(c.network, {
    port: 104, bind: '0.0.0.0', maxPdu: 65530, readTimeout: 60, idleTimeout: 300,
    socketSndBuf: 16384, socketRcvBuf: 131072, maxAssociations: 32, maxAsyncOps: 16,
  });
  assert.equal(c.memory.dimseSize, 1048576);
  assert.deepEqual(c.localAe, { aeTitle: 'EDGE', implementationClassUid: '1.2.840.114093.1.1', implementationVersionName: '00.01.00.00' });
  assert.deepEqual(c.options, {
    debug: false, debugFile: undefined, pduDump: false, dimseDump: false, dumpDir: '/etc/edge/var/dumps',
    verifyProtocol: true, verifyLocalAe: true, verifyRemoteAe: true, verifyAppContext: true, verifyIPAddr: true, warmUp: true,
  });
  assert.deepEqual(c.transferSyntaxes, [IMPL, EXPL, BIG]);
  assert.equal(c.server.trSynOrder, 'server');
  assert.deepEqual(c.server.transferSyntaxes, []);
  assert.deepEqual(c.storage, { path: '/etc/edge/var', duplicates: 'overwrite', spareFiles: 4096 });
  assert.deepEqual(c.remotes, []);
  assert.equal(c.file, '/etc/edge/test.ini');
  assert.deepEqual(c.autoKeys.sort(), ['dimseSize', 'maxAssociations', 'maxpdu', 'socketRcvBuf', 'socketSndBuf']);
});

test('no [Server] contexts: SCP for echo, storage, Q/R and worklist, with a warning', () => {
  const r = parseConfig(MIN, 'x.ini');
  const uids = r.config!.server.contexts.flatMap((s) => s.sopClassUids);
  for (const u of [ECHO, CT, MR, '1.2.840.10008.5.1.4.1.1.128', '1.2.840.10008.5.1.4.1.2.2.3', '1.2.840.10008.5.1.4.31']) {
    assert.ok(uids.includes(u), u);
  }
  assert.ok(r.config!.server.contexts.every((s) => s.role === 'scp'));
  assert.ok(r.warnings.some((w) => /no scu\/scp\/scuscp/.test(w)));
});

test('every option parsed', () => {
  const c = ok(`${MIN}implementationClassUid = 1.2.3.4
[Network]
port = 2000
maxpdu = 16384
readTimeout = 0
idleTimeout = 5
socketSndBuf = 0
socketRcvBuf = 262144
bind = 127.0.0.1
maxAssociations = 4
maxAsyncOps = 2
[Memory]
dimseSize = 4096
[Options]
debug = on
debugFile = /tmp/d.log
pduDump = Yes
dimseDump = TRUE
dumpDir = dd
verifyProtocol = 0
verifyLocalAe = no
verifyRemoteAe = On
verifyAppContext = false
verifyIPAddr = 1
warmUp = off
[Transfer Syntax]
trSyn = explicitBig
[Server]
scp = ct
accept = CT1, 10.0.0.1
trSynOrder = CLIENT
trSyn = explicitLittle, 1.2.840.10008.1.2
[Storage]
path = /data
duplicates = Reject
spareFiles = 0
`);
  assert.deepEqual(c.network, { port: 2000, maxPdu: 16384, readTimeout: 0, idleTimeout: 5, socketSndBuf: 0, socketRcvBuf: 262144, bind: '127.0.0.1', maxAssociations: 4, maxAsyncOps: 2 });
  assert.equal(c.memory.dimseSize, 4096);
  assert.equal(c.localAe.implementationClassUid, '1.2.3.4');
  assert.deepEqual(c.options, {
    debug: true, debugFile: '/tmp/d.log', pduDump: true, dimseDump: true, dumpDir: '/etc/edge/dd',
    verifyProtocol: false, verifyLocalAe: false, verifyRemoteAe: true, verifyAppContext: false, verifyIPAddr: true, warmUp: false,
  });
  assert.deepEqual(c.transferSyntaxes, [BIG]);
  assert.deepEqual(c.server.accept, [{ aeTitle: 'CT1', ip: '10.0.0.1', line: 32 }]);
  assert.equal(c.server.trSynOrder, 'client');
  assert.deepEqual(c.server.transferSyntaxes, [EXPL, IMPL]);
  assert.deepEqual(c.storage, { path: '/data', duplicates: 'reject', spareFiles: 0 });
  assert.deepEqual(c.autoKeys, [], 'all tunables given');
});

test('`auto` tunables use the default and are listed', () => {
  const c = ok(`${MIN}[Network]\nmaxpdu = AUTO\nsocketSndBuf = 1000\n[Memory]\ndimseSize = auto\n`);
  assert.equal(c.network.maxPdu, 65530);
  assert.equal(c.memory.dimseSize, 1048576);
  assert.equal(c.network.socketSndBuf, 1000);
  assert.deepEqual(c.autoKeys.sort(), ['dimseSize', 'maxAssociations', 'maxpdu', 'socketRcvBuf']);
});

test('scp/scu/scuscp: abbreviations, syntaxes, several classes, repeats accumulate, scuscpc', () => {
  const c = ok(`${MIN}[Server]
scp = ct
scp = mr, explicitLittle
scu = ct, mr, explicitBig, implicitLittle
scuscpc = us
scuscp = 1.2.3.4.5, 1.2.840.10008.1.2.1
SCP = Echo
`);
  const specs = c.server.contexts.map((s) => [s.role, s.sopClassUids, s.transferSyntaxes, s.line]);
  assert.deepEqual(specs, [
    ['scp', [CT], [], 4],
    ['scp', [MR], [EXPL], 5],
    ['scu', [CT], [BIG, IMPL], 6],
    ['scu', [MR], [BIG, IMPL], 6],
    ['scuscp', ['1.2.840.10008.5.1.4.1.1.6', '1.2.840.10008.5.1.4.1.1.6.1'], [], 7],
    ['scuscp', ['1.2.3.4.5'], [EXPL], 8],
    ['scp', [ECHO], [], 9],
  ]);
});

test('accept: pairs, comma lists, repeats, * for any address', () => {
  const c = ok(`${MIN}[Server]\nscp = echo\naccept = A, 127.0.0.1, B, ::1\naccept =  C , * \n`);
  assert.deepEqual(c.server.accept, [
    { aeTitle: 'A', ip: '127.0.0.1', line: 5 },
    { aeTitle: 'B', ip: '::1', line: 5 },
    { aeTitle: 'C', ip: '*', line: 6 },
  ]);
});

test('repeated [RemoteAE] headers are separate remotes; [Remote AE] spelling; extra empty', () => {
  const c = ok(`${MIN}[RemoteAE]
aetitle = CT1
ip = 10.0.0.1
port = 104
scu = ct
[Remote AE]
AETitle = MR1
IP = 10.0.0.2
Port = 11112
trSyn = explicitLittle
scp = mr
scp = ct
[remoteae]
aeTitle = PACS
ip = ::1
port = 4242
`);
  assert.deepEqual(c.remotes.map((r) => [r.aeTitle, r.ip, r.port, r.line]), [
    ['CT1', '10.0.0.1', 104, 3], ['MR1', '10.0.0.2', 11112, 8], ['PACS', '::1', 4242, 15],
  ]);
  assert.deepEqual(c.remotes[1].transferSyntaxes, [EXPL]);
  assert.deepEqual(c.remotes[1].contexts.map((s) => s.sopClassUids[0]), [MR, CT]);
  assert.deepEqual(c.remotes[0].contexts.map((s) => [s.role, s.sopClassUids]), [['scu', [CT]]]);
  assert.deepEqual(c.remotes[0].extra, {});
});

test('spaces: kept in userName/comment, stripped in AE titles and numbers', () => {
  const c = ok(`[Local AE]\naeTitle =   EDGE   \n[RemoteAE]\nuserName =  BODY CT  \naetitle =  CT1 \nip = 10.0.0.1 \nport =  104 \ncomment = "  quoted  "\n[RemoteAE]\nuserName=NoSpace\naetitle=B\nip=::1\nport=1\ncomment = Room 2 ; east  \n`);
  assert.equal(c.localAe.aeTitle, 'EDGE');
  assert.equal(c.remotes[0].userName, ' BODY CT  ', 'one blank after = is the separator');
  assert.equal(c.remotes[0].aeTitle, 'CT1');
  assert.equal(c.remotes[0].port, 104);
  assert.equal(c.remotes[0].comment, '  quoted  ');
  assert.equal(c.remotes[1].userName, 'NoSpace');
  assert.equal(c.remotes[1].comment, 'Room 2 ; east  ');
});

test('option and section names are case-insensitive', () => {
  const c = ok('[local ae]\nAETITLE = X\n[NETWORK]\nPORT = 5\n[transfersyntax]\nTRSYN = explicitLittle\n');
  assert.equal(c.localAe.aeTitle, 'X');
  assert.equal(c.network.port, 5);
  assert.deepEqual(c.transferSyntaxes, [EXPL]);
});

test('relative paths resolve against the INI folder; no file: the cwd', () => {
  assert.equal(ok(`${MIN}[Storage]\npath = data\n`, '/srv/edge/e.ini').storage.path, '/srv/edge/data');
  const r = parseConfig(`${MIN}[Storage]\npath = data\n`);
  assert.equal(r.config!.storage.path, resolve('data'));
  assert.equal(r.config!.file, undefined);
  assert.equal(parseConfig(MIN, undefined, { baseDir: '/b' }).config!.storage.path, '/b/var');
});

test('warnings: verify* Off, no accept lines, buffers above the kernel maximum', () => {
  const r = parseConfig(`${MIN}[Network]\nsocketSndBuf = 9000000\nsocketRcvBuf = 100\n[Options]\nverifyRemoteAe = Off\n[Server]\nscp = echo\n`, 'w.ini', {
    kernelLimits: { wmemMax: 4194304, rmemMax: 4194304 },
  });
  assert.deepEqual(r.problems, []);
  assert.equal(r.warnings.length, 3, r.warnings.join('\n'));
  assert.match(r.warnings[0], /^w\.ini:4: warning: socketSndBuf 9000000 is above the kernel maximum 4194304/);
  assert.match(r.warnings[1], /^w\.ini:7: warning: verifyRemoteAe is Off: anyone may connect/);
  assert.match(r.warnings[2], /^w\.ini:8: warning: verifyIPAddr is On but there are no \[Server\] accept lines and no \[RemoteAE\] sections/);
  assert.deepEqual(r.config!.warnings, r.warnings);
  // A [RemoteAE] admits its AE title from its address: no warning then.
  const remote = parseConfig(`${MIN}[Server]\nscp = echo\n[RemoteAE]\naetitle = CT1\nip = fd42:de::2\nport = 104\n`, 'w.ini');
  assert.deepEqual(remote.problems, []);
  assert.equal(remote.warnings.filter((w) => /verifyIPAddr/.test(w)).length, 0, remote.warnings.join('\n'));
  const off = parseConfig(`${MIN}[Options]\nverifyIPAddr = no\n[Server]\nscp=echo\n`, 'w.ini');
  assert.deepEqual(off.warnings, ['w.ini:4: warning: verifyIPAddr is Off: anyone may connect: keep it On in a clinical (production) environment']);
});
