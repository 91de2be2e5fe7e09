/**
 * PDU fuzzing against the SCP (in-process, seeded, bounded): every PDU type and item,
 * truncated at every offset, every length off by one (and wildly off), flipped bytes,
 * inserted and duplicated items, garbage. Each case gets its own connection; 32 run in
 * parallel while an echoscu loop checks that other associations are unaffected.
 *
 * What must hold for every case: the agent answers a complete PDU (A-ASSOCIATE-AC/RJ
 * or A-ABORT; an A-ABORT from the peer may be answered by closing), drops an incomplete
 * one when the peer closes (or aborts it), never hangs (bounded reads), never throws.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAgent, testIni, type InProcessAgent } from '../helpers/agent';
import { connectRaw, type RawPdu } from '../helpers/parrot';
import { runDcmtk } from '../helpers/peers';
import { partialFiles } from '../helpers/store-files';
import {
  associateRqTree, completePdus, ctDataset, echoCommand, flipBytes, goodRq, int, nodes, otherTrees, pdataTree, pick,
  prng, randomBytes, richRq, serialize, storeCommand, withDuplicate, withInsertedItem, type Node, type Rand,
} from './fuzz-cases';

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const TOTAL = Number(process.env.FUZZ_CASES ?? 10000);
const PARALLEL = 32;

interface Case { name: string; bytes: Buffer; phase: 'sta2' | 'sta6'; end: boolean }

const GOOD_RQ = serialize(associateRqTree(goodRq));
const RELEASE_RQ = Buffer.from([5, 0, 0, 0, 0, 4, 0, 0, 0, 0]);

/** The P-DATA trees sent once associated: echo, C-STORE command + data set, split command. */
function sta6Trees(): Node[] {
  const sop = '2.25.99001';
  return [
    pdataTree(1, 3, echoCommand(1)),
    pdataTree(3, 3, storeCommand(2, sop), [pdataTree(3, 2, ctDataset(sop)).body[0] as Node]),
    pdataTree(1, 1, echoCommand(3).subarray(0, 20)),
  ];
}

/** Every offset of every template, sent as is (incomplete) and with the PDU length rewritten to match (nested lengths lie). */
function truncations(phase: Case['phase'], trees: Node[]): Case[] {
  const out: Case[] = [];
  for (const [ti, tree] of trees.entries()) {
    const whole = serialize(tree);
    for (let k = 1; k < whole.length; k++) {
      const cut = Buffer.from(whole.subarray(0, k));
      out.push({ name: `${phase} t${ti} truncated at ${k}`, bytes: cut, phase, end: true });
      if (k >= 6) {
        const fixedLen = Buffer.from(cut);
        fixedLen.writeUInt32BE(k - 6, 2);
        out.push({ name: `${phase} t${ti} truncated at ${k}, PDU length rewritten`, bytes: fixedLen, phase, end: false });
      }
    }
  }
  return out;
}

/** Each length field of each template, off by ±1, ±2, far too large, zero. */
function lengthLies(phase: Case['phase'], trees: Node[]): Case[] {
  const out: Case[] = [];
  for (const [ti, tree] of trees.entries()) {
    for (const [ni, n] of nodes(tree).entries()) {
      for (const d of [-1, 1, -2, 2, 0x7f00, -1e9]) {
        const bytes = serialize(tree, new Map([[n, d]]));
        out.push({ name: `${phase} t${ti} node ${ni} length ${d > 0 ? '+' : ''}${d}`, bytes, phase, end: !completePdus(bytes) });
      }
    }
  }
  return out;
}

function randomCase(r: Rand, i: number): Case {
  const phase = r() < 0.35 ? 'sta6' : 'sta2';
  const trees = phase === 'sta2' ? [associateRqTree(goodRq), associateRqTree(richRq), ...otherTrees()] : sta6Trees();
  const tree = pick(r, trees);
  const kind = int(r, 5);
  let bytes: Buffer;
  if (kind === 0) bytes = flipBytes(r, serialize(tree));
  else if (kind === 1) bytes = serialize(withInsertedItem(r, tree));
  else if (kind === 2) bytes = serialize(withDuplicate(r, tree));
  else if (kind === 3) bytes = serialize(tree, new Map([[pick(r, nodes(tree)), pick(r, [-3, -1, 1, 3, 100, -100])]]));
  else {
    const body = randomBytes(r, int(r, 300));
    const head = Buffer.from([pick(r, [1, 2, 3, 4, 5, 6, 7, 0, 8, 0xff, int(r, 256)]), int(r, 2) ? 0 : int(r, 256), 0, 0, 0, 0]);
    head.writeUInt32BE(body.length, 2);
    bytes = Buffer.concat([head, body]);
  }
  return { name: `${phase} random #${i} kind ${kind}`, bytes, phase, end: !completePdus(bytes) };
}

function buildCases(): Case[] {
  const sta2 = [associateRqTree(goodRq), associateRqTree(richRq), ...otherTrees()];
  const cases = [...truncations('sta2', sta2), ...truncations('sta6', sta6Trees()), ...lengthLies('sta2', sta2), ...lengthLies('sta6', sta6Trees())];
  const r = prng(SEED);
  for (let i = cases.length; i < TOTAL; i++) cases.push(randomCase(r, i));
  return cases.slice(0, TOTAL);
}

async function readAll(peer: Awaited<ReturnType<typeof connectRaw>>): Promise<RawPdu[]> {
  const got: RawPdu[] = [];
  for (;;) {
    const p = await peer.readPdu(15000); // throws on a hang
    if (p === 'closed') return got;
    got.push(p);
    if (p.type === 0x06 || p.type === 0x07 || p.type === 0x03) { peer.destroy(); return got; }
  }
}

const tally = new Map<string, number>();
const names: Record<number, string> = { 2: 'AC', 3: 'RJ', 4: 'P-DATA', 6: 'RP', 7: 'ABORT' };

/** Runs one case; returns a problem description or undefined. */
async function runCase(port: number, c: Case): Promise<string | undefined> {
  const peer = await connectRaw(port);
  try {
    if (c.phase === 'sta6') {
      await peer.send(GOOD_RQ);
      const ac = await peer.readPdu(15000);
      if (ac === 'closed' || ac.type !== 0x02) return 'handshake failed';
    }
    const complete = completePdus(c.bytes);
    await peer.send(c.phase === 'sta6' && complete ? Buffer.concat([c.bytes, RELEASE_RQ]) : c.bytes);
    if (c.end) peer.socket.end();
    const replies = await readAll(peer);
    const outcome = replies.length ? [...new Set(replies.map((p) => names[p.type] ?? p.type))].join('+') : 'closed';
    tally.set(`${c.phase} ${outcome}`, (tally.get(`${c.phase} ${outcome}`) ?? 0) + 1);
    const allowed = c.phase === 'sta2' ? [0x02, 0x03, 0x07] : [0x04, 0x06, 0x07];
    const bad = replies.find((p) => !allowed.includes(p.type));
    if (bad) return `unexpected reply type ${bad.type}`;
    const abort = replies.find((p) => p.type === 0x07);
    if (abort && ![0, 2].includes(abort.body[2])) return `A-ABORT with source ${abort.body[2]}`;
    const firstComplete = c.bytes.length >= 6 && c.bytes.length >= 6 + c.bytes.readUInt32BE(2);
    if (firstComplete && c.bytes[0] !== 0x07 && replies.length === 0) return 'a complete PDU got no answer';
    if (replies.some((p) => p.type === 0x02) && c.bytes[0] !== 0x01) return 'A-ASSOCIATE-AC for a non-RQ';
    return undefined;
  } catch (e) {
    return `error: ${(e as Error).message}`;
  } finally {
    peer.destroy();
  }
}

function fuzzAgent(t: Parameters<typeof startAgent>[1]): Promise<InProcessAgent> {
  return startAgent((port, dir) => testIni({
    port, dataDir: dir,
    sections: {
      Network: ['maxpdu = 16384', 'readTimeout = 2', 'idleTimeout = 2', 'maxAssociations = 1000'],
      Server: ['scp = storage', 'accept = FUZZ, 127.0.0.1', 'accept = ECHOSCU, 127.0.0.1'],
    },
  }), t);
}

/** Collects what escapes: an unhandled rejection or uncaught exception fails the test. */
function watchProcess(t: { after(fn: () => void): void }): unknown[] {
  const escaped: unknown[] = [];
  const onErr = (e: unknown): void => { escaped.push(e); };
  process.on('unhandledRejection', onErr);
  process.on('uncaughtException', onErr);
  t.after(() => { process.off('unhandledRejection', onErr); process.off('uncaughtException', onErr); });
  return escaped;
}

async function echoLoop(port: number, until: () => boolean): Promise<{ ok: number; failed: string[] }> {
  const res = { ok: 0, failed: [] as string[] };
  while (!until()) {
    const r = await runDcmtk('echoscu', ['-aet', 'ECHOSCU', '-aec', 'EDGE', '127.0.0.1', String(port)], { timeoutMs: 30000 });
    if (r.code === 0) res.ok++; else res.failed.push(r.stderr || r.stdout);
  }
  return res;
}

async function settle(a: InProcessAgent): Promise<void> {
  for (let i = 0; i < 200 && a.agent.associations.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
}

test(`PDU fuzzing: ${TOTAL} seeded cases (seed ${SEED}) → answered or dropped, no crash, no hang, others unaffected`, async (t) => {
  const escaped = watchProcess(t);
  const a = await fuzzAgent(t);
  const cases = buildCases();
  let next = 0;
  let done = false;
  const problems: string[] = [];
  const echo = echoLoop(a.port, () => done);
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++];
      const p = await runCase(a.port, c);
      if (p) problems.push(`${c.name}: ${p} [${c.bytes.subarray(0, 48).toString('hex')}]`);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  done = true;
  const e = await echo;
  t.diagnostic(`${cases.length} cases in ${Date.now() - started} ms; ${e.ok} echoscu associations meanwhile`);
  t.diagnostic(`outcomes: ${[...tally].sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  assert.deepEqual(problems.slice(0, 10), [], `${problems.length} problem case(s)`);
  assert.deepEqual(escaped, []);
  assert.deepEqual(e.failed, []);
  assert.ok(e.ok > 0, 'the echo loop ran');
  await settle(a);
  assert.equal(a.agent.associations.size, 0, 'every fuzz association freed');
  assert.deepEqual(partialFiles(a.dataDir), [], 'no temp file left');
});

test('incomplete PDUs left open are aborted or closed at ARTIM / readTimeout, never held', async (t) => {
  const escaped = watchProcess(t);
  const a = await fuzzAgent(t);
  const rq = GOOD_RQ;
  const runs = Array.from({ length: 20 }, async (_, i) => {
    const peer = await connectRaw(a.port);
    const sta6 = i % 2 === 1;
    if (sta6) {
      await peer.send(rq);
      const ac = await peer.readPdu();
      assert.ok(ac !== 'closed' && ac.type === 2);
      const pd = serialize(pdataTree(1, 3, echoCommand(9)));
      await peer.send(pd.subarray(0, 1 + (i * 7) % (pd.length - 1)));
    } else {
      await peer.send(rq.subarray(0, 1 + (i * 13) % (rq.length - 1)));
    }
    const p = await peer.readPdu(15000);
    if (p !== 'closed') assert.equal(p.type, 0x07, `case ${i}: only an A-ABORT may come`);
    peer.destroy();
  });
  await Promise.all(runs);
  await settle(a);
  assert.equal(a.agent.associations.size, 0);
  assert.deepEqual(escaped, []);
  assert.ok(a.logs.some((l) => /within the timeout/.test(l)), 'the stalled associations were ended by the timeout');
});
