/**
 * Asynchronous Operations Window (PS3.7 D.3.3.3; ours — the statement has none): the
 * agent grants a proposing requestor up to `[Network] maxAsyncOps` outstanding requests
 * and serves them concurrently; `dicom-edge store --async N` proposes a window and keeps
 * that many C-STOREs on the wire. Checked with dcmjs-dimse (an independent implementation)
 * on both sides, and against DCMTK storescp, which grants no window: the CLI then falls
 * back to one request at a time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { runCli, startAgent, testIni } from '../helpers/agent';
import { tmpDir } from '../helpers/tmp';
import { makeStudy } from '../helpers/dicom-files';
import { startStorescp } from '../helpers/peers';
import { startDimseServer } from '../helpers/dcmjs-dimse';
import { buildAssociateRq, buildPData, buildReleaseRq, connectRaw, echoRqCommand, parseCommand, parsePData } from '../helpers/parrot';
import { OUTSTANDING_SLACK } from '../../src/dimse/peer-window';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dimse = require('dcmjs-dimse');

const ini = (maxAsyncOps?: number) => (port: number, dir: string): string => testIni({
  port, dataDir: dir,
  sections: {
    Network: maxAsyncOps ? [`maxAsyncOps = ${maxAsyncOps}`] : [],
    Server: ['scp = storage', 'accept = MOD, 127.0.0.1', 'accept = DIMSEJS, 127.0.0.1'],
  },
});

test('store --async 8 → dicom-edge: window granted, C-STOREs served concurrently, every instance indexed', async (t) => {
  const a = await startAgent(ini(), t);
  const src = await tmpDir('async-', t);
  const study = await makeStudy(src, { count: 40, rows: 8, cols: 8 });
  const r = await runCli(['store', '--async', '8', '-v', '-aet', 'MOD', '-aec', 'EDGE', '127.0.0.1', String(a.port), src]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /stored 40\/40 instance\(s\)/);
  assert.match(r.stderr, /asynchronous operations: 8 outstanding request\(s\) \(asked 8, granted 8\)/);
  const stored = new Set((a.agent.index.db.prepare('SELECT sop_uid FROM instances').all() as { sop_uid: string }[]).map((x) => x.sop_uid));
  assert.deepEqual(stored, new Set(study.files.map((f) => f.sopInstanceUid)));
  const logs = a.logs.join('\n');
  assert.match(logs, /accepted MOD -> EDGE .* asynchronous operations window 8/);
  const peak = /served up to (\d+) requests at once/.exec(logs);
  assert.ok(peak && Number(peak[1]) >= 2 && Number(peak[1]) <= 8, `requests were outstanding together (${peak?.[0]})\n${logs}`);
});

test('[Network] maxAsyncOps lowers the window; a requestor that asks for none gets none', async (t) => {
  const a = await startAgent(ini(3), t);
  const src = await tmpDir('async-', t);
  await makeStudy(src, { count: 10, rows: 8, cols: 8 });
  const r = await runCli(['store', '--async', '8', '-v', '-aet', 'MOD', '-aec', 'EDGE', '127.0.0.1', String(a.port), src]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /asynchronous operations: 3 outstanding request\(s\) \(asked 8, granted 3\)/);
  const sync = await runCli(['store', '-aet', 'MOD', '-aec', 'EDGE', '127.0.0.1', String(a.port), src]);
  assert.equal(sync.code, 0, sync.stderr);
  const accepted = a.logs.filter((l) => /accepted MOD -> EDGE/.test(l));
  assert.equal(accepted.length, 2);
  assert.match(accepted[0], /asynchronous operations window 3$/);
  assert.doesNotMatch(accepted[1], /asynchronous/, 'no item in the RQ, none in the AC');
});

test('a peer far past its window (200 C-ECHO-RQs in one write, no window negotiated): all answered in order, reading pauses at window + 16', async (t) => {
  const a = await startAgent(ini(), t);
  const peer = await connectRaw(a.port);
  t.after(() => peer.destroy());
  await peer.send(buildAssociateRq({ calling: 'MOD', called: 'EDGE', contexts: [{ id: 1, abstract: '1.2.840.10008.1.1', ts: ['1.2.840.10008.1.2'] }] }));
  const ac = await peer.readPdu(10000);
  assert.ok(ac !== 'closed' && ac.type === 2, 'associated');
  const N = 200;
  await peer.send(Buffer.concat(Array.from({ length: N }, (_, i) => buildPData(1, true, true, echoRqCommand(i + 1)))));
  const answered: number[] = [];
  while (answered.length < N) {
    const p = await peer.readPdu(10000);
    assert.ok(p !== 'closed', `closed after ${answered.length} responses`);
    for (const pdv of parsePData(p)) {
      const c = parseCommand(pdv.data);
      assert.equal(c.get(0x00000900)?.readUInt16LE(0), 0, 'status Success');
      answered.push(c.get(0x00000120)!.readUInt16LE(0));
    }
  }
  assert.deepEqual(answered, Array.from({ length: N }, (_, i) => i + 1), 'every request answered, in order');
  await peer.send(buildReleaseRq());
  const rp = await peer.readPdu(10000);
  assert.ok(rp !== 'closed' && rp.type === 6, 'released');
  peer.destroy(); // the requestor closes the transport after the A-RELEASE-RP (PS3.8 7.2)
  const cap = 1 + OUTSTANDING_SLACK;
  for (let i = 0; i < 100 && !a.logs.some((l) => /served up to \d+ requests at once/.test(l)); i++) await new Promise((r) => setTimeout(r, 50));
  const peak = Number(/served up to (\d+) requests at once/.exec(a.logs.join('\n'))?.[1]);
  assert.ok(peak > 1 && peak <= cap, `peak ${peak} outstanding, cap ${cap}\n${a.logs.join("\n")}`);
  assert.match(a.logs.join('\n'), new RegExp(`more than the 1 negotiated .*reading pauses at ${cap}`));
});

test('dcmjs-dimse client proposing a window of 4: our A-ASSOCIATE-AC grants 4, its C-STOREs are stored', async (t) => {
  const a = await startAgent(ini(), t);
  const src = await tmpDir('async-', t);
  const study = await makeStudy(src, { count: 5, syntax: 'explicit' });
  const result = await new Promise<{ granted?: number; statuses: number[]; error?: string }>((resolve) => {
    const client = new dimse.Client();
    const out: { granted?: number; statuses: number[]; error?: string } = { statuses: [] };
    for (const f of study.files) {
      const rq = new dimse.requests.CStoreRequest(f.path);
      rq.on('response', (rsp: { getStatus(): number }) => out.statuses.push(rsp.getStatus()));
      client.addRequest(rq);
    }
    const timer = setTimeout(() => { out.error = 'timeout'; resolve(out); }, 30000);
    client.on('associationAccepted', (assoc: { getMaxAsyncOpsInvoked(): number }) => { out.granted = assoc.getMaxAsyncOpsInvoked(); });
    client.on('associationRejected', (r: unknown) => { out.error = `rejected ${JSON.stringify(r)}`; });
    client.on('networkError', (e: Error) => { out.error = e.message; });
    client.on('closed', () => { clearTimeout(timer); resolve(out); });
    client.send('127.0.0.1', a.port, 'DIMSEJS', 'EDGE', { asyncOps: { maxAsyncOpsInvoked: 4, maxAsyncOpsPerformed: 1 }, connectTimeout: 5000, associationTimeout: 10000, pduTimeout: 10000 });
  });
  assert.equal(result.error, undefined);
  assert.equal(result.granted, 4, 'dcmjs-dimse read our Asynchronous Operations Window item');
  assert.deepEqual(result.statuses, [0, 0, 0, 0, 0]);
  assert.equal(a.agent.index.countInstances(), 5);
});

test('store --async 8 → dcmjs-dimse SCP (grants it) and → DCMTK storescp (grants none: one at a time)', async (t) => {
  const src = await tmpDir('async-', t);
  await makeStudy(src, { count: 12, rows: 8, cols: 8 });
  const dj = await startDimseServer(t, { acceptStorage: true });
  const r1 = await runCli(['store', '--async', '8', '-v', '-aec', 'DIMSEJS', '127.0.0.1', String(dj.port), src]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.match(r1.stderr, /asynchronous operations: 8 outstanding request\(s\) \(asked 8, granted 8\)/);
  assert.equal(dj.received.length, 12);
  const out = await tmpDir('storescp-', t);
  const scp = await startStorescp({ dir: out, t });
  const r2 = await runCli(['store', '--async', '8', '-v', '-aec', 'STORESCP', '127.0.0.1', String(scp.port), src]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /asynchronous operations: 1 outstanding request\(s\) \(asked 8, granted 1\)/);
  assert.equal(readdirSync(out).length, 12);
});

/** An agent forwarding everything from MOD to the dcmjs-dimse SCP at `port`, with [RemoteAE] asyncOps = `asyncOps`. */
const forwardIni = (pacsPort: number, asyncOps: number) => (port: number, dir: string): string => testIni({
  port, dataDir: dir,
  sections: { Server: ['scp = storage', 'accept = MOD, 127.0.0.1'], Forward: ['retryBase = 200ms', 'retryCap = 1s', 'idleRelease = 1s'] },
  tail: `[RemoteAE]\nuserName = PACS\naetitle = DIMSEJS\nip = 127.0.0.1\nport = ${pacsPort}\nasyncOps = ${asyncOps}\n[Route]\nto = PACS\n`,
});

async function forwardedAll(a: Awaited<ReturnType<typeof startAgent>>, n: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const row = a.agent.index.db.prepare("SELECT COUNT(*) AS n FROM forward_jobs WHERE state = 'done'").get() as { n: number };
    if (row.n >= n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not all ${n} jobs delivered within 30 s`);
}

for (const asyncOps of [1, 8]) {
  test(`forwarding with [RemoteAE] asyncOps = ${asyncOps} to a dcmjs-dimse PACS that answers after 30 ms: ${asyncOps === 1 ? 'one C-STORE at a time' : 'C-STOREs pipelined'}, all delivered`, async (t) => {
    const pacs = await startDimseServer(t, { acceptStorage: true, storeDelayMs: 30 });
    const a = await startAgent(forwardIni(pacs.port, asyncOps), t);
    const src = await tmpDir('async-', t);
    await makeStudy(src, { count: 24, rows: 8, cols: 8 });
    // The destination is marked down until all are stored, so the forwarder finds a batch of 24 waiting.
    const q = a.agent.forwarder.queue;
    q.setDestination('PACS', Date.now() + 60_000, 0, 'held by the test', Date.now());
    const r = await runCli(['store', '-aet', 'MOD', '-aec', 'EDGE', '127.0.0.1', String(a.port), src]);
    assert.equal(r.code, 0, r.stderr);
    q.setDestination('PACS', 0, 0, null, Date.now());
    a.agent.forwarder.wakeAll();
    await forwardedAll(a, 24);
    assert.equal(pacs.received.length, 24);
    if (asyncOps === 1) assert.equal(pacs.peakStores(), 1, 'synchronous: never two outstanding');
    else assert.ok(pacs.peakStores() >= 2 && pacs.peakStores() <= 8, `pipelined within the window (peak ${pacs.peakStores()})`);
  });
}
