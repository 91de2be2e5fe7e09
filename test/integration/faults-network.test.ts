/**
 * Network faults in the middle of a C-STORE data set: the peer's A-ABORT, a TCP reset,
 * a half-close (FIN), a sender that just stops (readTimeout). Each time the association
 * is freed, its temp file removed, nothing indexed, and the agent keeps serving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partialFiles } from '../helpers/store-files';
import { startAgent, testIni, type InProcessAgent } from '../helpers/agent';
import { buildAbort, buildAssociateRq, buildPData, connectRaw, parseCommand, parsePData, type RawPeer } from '../helpers/parrot';
import { runDcmtk } from '../helpers/peers';
import { CT, EVR, ctDataset, storeCommand } from './fuzz-cases';

function agent(t: Parameters<typeof startAgent>[1]): Promise<InProcessAgent> {
  return startAgent((port, dir) => testIni({
    port, dataDir: dir,
    sections: { Network: ['readTimeout = 2', 'idleTimeout = 3'], Server: ['scp = storage', 'accept = FAULT, 127.0.0.1', 'accept = ECHOSCU, 127.0.0.1'] },
  }), t);
}

/** Partial receptions: tmp/ files and non-empty pool files in spare/ (received in place). */
const tmpFiles = (a: InProcessAgent): string[] => partialFiles(a.dataDir);

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`never happened: ${what}`);
}

/** Associates and sends a C-STORE command plus the first part of a large data set (no last fragment). */
async function halfSent(a: InProcessAgent): Promise<RawPeer> {
  const peer = await connectRaw(a.port);
  await peer.send(buildAssociateRq({ calling: 'FAULT', called: 'EDGE', contexts: [{ id: 1, abstract: CT, ts: [EVR] }] }));
  const ac = await peer.readPdu();
  assert.ok(ac !== 'closed' && ac.type === 2);
  const sop = `2.25.${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const data = Buffer.concat([ctDataset(sop), Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0, 0, 0, 0x10, 0]), Buffer.alloc(8000)]);
  await peer.send(buildPData(1, true, true, storeCommand(1, sop)));
  await peer.send(buildPData(1, false, false, data.subarray(0, 6000)));
  await until('the temp file exists', () => tmpFiles(a).length === 1);
  return peer;
}

async function cleanAfter(a: InProcessAgent): Promise<void> {
  await until('the association is freed', () => a.agent.associations.size === 0);
  await until('the temp file is removed', () => tmpFiles(a).length === 0);
  assert.equal(a.agent.index.countInstances(), 0, 'nothing indexed');
  const r = await runDcmtk('echoscu', ['-aet', 'ECHOSCU', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.equal(r.code, 0, `still serving: ${r.stderr}`);
}

test('peer A-ABORT mid-data-set → association and temp file freed', async (t) => {
  const a = await agent(t);
  const peer = await halfSent(a);
  await peer.send(buildAbort(0, 0));
  assert.equal(await peer.readPdu(15000), 'closed', 'AA-3: the acceptor closes without answering');
  await cleanAfter(a);
});

test('TCP reset mid-data-set → association and temp file freed', async (t) => {
  const a = await agent(t);
  const peer = await halfSent(a);
  peer.socket.resetAndDestroy();
  await cleanAfter(a);
  assert.ok(a.logs.some((l) => /closed \(transport-closed/.test(l) || /closed \(aborted/.test(l)), a.logs.join('\n'));
});

test('half-close (FIN) mid-data-set → association and temp file freed', async (t) => {
  const a = await agent(t);
  const peer = await halfSent(a);
  peer.socket.end();
  await peer.closed();
  await cleanAfter(a);
});

test('sender stops mid-data-set → A-ABORT at readTimeout, temp file freed', async (t) => {
  const a = await agent(t);
  const peer = await halfSent(a);
  const p = await peer.readPdu(20000);
  assert.ok(p === 'closed' || p.type === 0x07, 'aborted (or closed) by the timeout');
  peer.destroy();
  await cleanAfter(a);
  assert.ok(a.logs.some((l) => /within the timeout/.test(l)), 'ended by the read timeout');
});

test('a second association storing meanwhile is unaffected by the faulty one', async (t) => {
  const a = await agent(t);
  const bad = await halfSent(a);
  const good = await connectRaw(a.port);
  await good.send(buildAssociateRq({ calling: 'FAULT', called: 'EDGE', contexts: [{ id: 1, abstract: CT, ts: [EVR] }] }));
  assert.equal((await good.readPdu() as { type: number }).type, 2);
  const sop = `2.25.${Date.now()}77`;
  await good.send(buildPData(1, true, true, storeCommand(5, sop)));
  await good.send(buildPData(1, false, true, ctDataset(sop)));
  const rsp = await good.readPdu();
  assert.ok(rsp !== 'closed' && rsp.type === 4);
  assert.equal(parseCommand(parsePData(rsp)[0].data).get(0x00000900)?.readUInt16LE(0), 0, 'C-STORE-RSP success');
  bad.socket.resetAndDestroy();
  good.destroy();
  await until('both freed', () => a.agent.associations.size === 0);
  assert.equal(a.agent.index.countInstances(), 1);
  await until('no temp file', () => tmpFiles(a).length === 0);
});
