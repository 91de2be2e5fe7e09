/**
 * The start-up warm-up (src/agent/warm-up.ts WARM_UP_NOTE): a synthetic study through a
 * scratch relay and sink on loopback, nothing left behind, yielding to real work, stopped
 * at once, a failure only logged; the synthetic files are DICOM to DCMTK; and `run` does it
 * without touching the real store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WarmUp, scratchConfig, warmUpDir, type WarmUpOptions } from '../../src/agent/warm-up';
import { sendingOrder, writeWarmUpStudy } from '../../src/agent/warm-up-study';
import { IndexDb } from '../../src/store/index-db';
import { createLogger } from '../../src/util/log';
import { parseTestConfig, spawnAgent, testIni } from '../helpers/agent';
import { runDcmtk } from '../helpers/peers';
import { tmpDir } from '../helpers/tmp';
import { makeDicomFile } from '../helpers/dicom-files';

const SHAPE = { small: 6, smallRows: 16, large: 2, largeRows: 256 };

async function base(t: Parameters<typeof tmpDir>[1]): Promise<{ options: (o?: Partial<WarmUpOptions>) => WarmUpOptions; dataDir: string; logs: string[] }> {
  const dataDir = await tmpDir('warm-up-', t);
  const logs: string[] = [];
  const config = parseTestConfig(testIni({ port: 11112, dataDir }));
  const log = createLogger({ write: (l) => logs.push(l) });
  return { dataDir, logs, options: (o = {}) => ({ base: config, log, busy: () => false, shape: SHAPE, ...o }) };
}

test('warm-up: every synthetic image is received, stored and forwarded; nothing is left in the data folder', async (t) => {
  const b = await base(t);
  const r = await new WarmUp(b.options()).done;
  assert.ok(r, b.logs.join('\n'));
  assert.deepEqual({ images: r.images, sent: r.sent, forwarded: r.forwarded, stoppedEarly: r.stoppedEarly }, { images: 8, sent: 8, forwarded: 8, stoppedEarly: false });
  assert.equal(existsSync(warmUpDir(b.dataDir)), false, 'scratch folder removed');
  assert.deepEqual(readdirSync(b.dataDir), [], 'the real store is not touched');
  assert.match(b.logs.join('\n'), /INFO .*warm-up: 8\/8 synthetic images received, stored, indexed and forwarded in \d+ ms; scratch folder removed/);
});

test('warm-up: a scratch folder left by a process that died in its warm-up is removed; busy to the time limit sends nothing', async (t) => {
  const b = await base(t);
  mkdirSync(join(warmUpDir(b.dataDir), 'relay', 'tmp'), { recursive: true });
  writeFileSync(join(warmUpDir(b.dataDir), 'relay', 'tmp', 'partial'), 'x');
  const r = await new WarmUp(b.options({ busy: () => true, timeoutMs: 300 })).done;
  assert.ok(r);
  assert.deepEqual({ sent: r.sent, forwarded: r.forwarded, stoppedEarly: r.stoppedEarly }, { sent: 0, forwarded: 0, stoppedEarly: true });
  assert.ok(r.waitedMs >= 250, `waited ${r.waitedMs} ms`);
  assert.equal(existsSync(warmUpDir(b.dataDir)), false);
});

test('warm-up: real work arriving mid-way pauses the sending until the agent is idle again', async (t) => {
  const b = await base(t);
  let calls = 0;
  // Asked before the scratch agents start, before the association opens, then before each
  // image (and every 100 ms while busy): busy at the third image, for three answers.
  const r = await new WarmUp(b.options({ busy: () => { calls++; return calls >= 5 && calls < 8; } })).done;
  assert.ok(r, b.logs.join('\n'));
  assert.deepEqual({ sent: r.sent, forwarded: r.forwarded, stoppedEarly: r.stoppedEarly }, { sent: 8, forwarded: 8, stoppedEarly: false });
  assert.ok(r.waitedMs >= 250, `waited ${r.waitedMs} ms`);
  assert.match(b.logs.join('\n'), /warm-up: 8\/8 .*, \d+ ms of it waiting for real work to end; scratch folder removed/);
  assert.equal(existsSync(warmUpDir(b.dataDir)), false);
});

test('warm-up: stop() ends it and removes the scratch folder', async (t) => {
  const b = await base(t);
  const w = new WarmUp(b.options({ shape: { ...SHAPE, small: 200 } }));
  await new Promise((r) => setTimeout(r, 5));
  await w.stop();
  const r = await w.done;
  assert.ok(r);
  assert.equal(r.stoppedEarly, true);
  assert.ok(r.sent < 202, `stopped before the end (sent ${r.sent})`);
  assert.equal(existsSync(warmUpDir(b.dataDir)), false);
});

test('warm-up: a data folder it cannot write is a warning, not a crash', async (t) => {
  const b = await base(t);
  const file = join(b.dataDir, 'not-a-folder');
  writeFileSync(file, 'x');
  const o = b.options();
  const r = await new WarmUp({ ...o, base: { ...o.base, storage: { ...o.base.storage, path: file } } }).done;
  assert.equal(r, undefined);
  assert.match(b.logs.join('\n'), /WARN .*warm-up failed \(the agent runs on; only its first study is slower\): /);
});

test('warm-up: skipped when the disk of the data folder has too little free space for it', async (t) => {
  const b = await base(t);
  const r = await new WarmUp(b.options({ freeBytes: async () => 100 * 2 ** 20 })).done;
  assert.ok(r);
  assert.equal(r.sent, 0);
  assert.match(r.skipped ?? '', /^100 MiB free on the data folder's disk; it needs 1 MiB for a moment and leaves 256 MiB to real receptions$/);
  assert.match(b.logs.join('\n'), /INFO .*warm-up skipped: 100 MiB free/);
  assert.deepEqual(readdirSync(b.dataDir), [], 'nothing written');
});

test('warm-up: the scratch agents take the real PDU, socket and DIMSE sizes, listen on loopback only and never warm up themselves', () => {
  const real = parseTestConfig(testIni({ port: 104, dataDir: '/srv/data', sections: { Network: ['maxpdu = 16384', 'socketSndBuf = 0', 'socketRcvBuf = 262144', 'bind = 0.0.0.0'], Memory: ['dimseSize = 4096'] } }));
  const c = scratchConfig(real, 'WARMUP_EDGE', '/srv/data/warm-up/relay', 7, '[RemoteAE]\nuserName = SINK\naetitle = WARMUP_SINK\nip = 127.0.0.1\nport = 4242\n');
  assert.deepEqual(
    { port: c.network.port, bind: c.network.bind, maxPdu: c.network.maxPdu, snd: c.network.socketSndBuf, rcv: c.network.socketRcvBuf, dimse: c.memory.dimseSize },
    { port: 0, bind: '127.0.0.1', maxPdu: 16384, snd: 0, rcv: 262144, dimse: 4096 },
  );
  assert.equal(c.localAe.aeTitle, 'WARMUP_EDGE');
  assert.deepEqual(c.storage, { path: '/srv/data/warm-up/relay', duplicates: 'overwrite', spareFiles: 7 });
  assert.equal(c.options.warmUp, false);
  assert.equal(c.options.pduDump, false);
  assert.deepEqual(c.remotes.map((r) => [r.aeTitle, r.ip, r.port]), [['WARMUP_SINK', '127.0.0.1', 4242]]);
});

test('warm-up study: small and large images interleaved; DCMTK reads the files', async (t) => {
  assert.deepEqual(sendingOrder({ small: 4, smallRows: 8, large: 2, largeRows: 32 }), [8, 8, 32, 8, 8, 32]);
  assert.deepEqual(sendingOrder({ small: 0, smallRows: 8, large: 2, largeRows: 32 }), [32, 32]);
  assert.deepEqual(sendingOrder({ small: 3, smallRows: 8, large: 0, largeRows: 32 }), [8, 8, 8]);
  const dir = await tmpDir('warm-up-study-', t);
  const images = await writeWarmUpStudy(dir, { small: 1, smallRows: 8, large: 1, largeRows: 32 });
  assert.equal(images.length, 2);
  const big = images.find((i) => i.size > 32 * 32 * 2)!;
  const dump = await runDcmtk('dcmdump', ['+L', big.path]);
  assert.equal(dump.code, 0, dump.stderr);
  for (const re of [/\(0010,0010\) PN \[WARM\^UP\]/, /\(0028,0010\) US 32/, /\(7fe0,0010\) OW .*# +2048,/, /\(0002,0010\) UI =LittleEndianExplicit/, new RegExp(`\\(0008,0018\\) UI \\[${big.sopInstanceUid.replace(/\./g, '\\.')}\\]`)]) {
    assert.match(dump.stdout, re);
  }
});

test('run: the agent warms up at start (real store untouched, a real study right after is stored); warmUp = Off skips it', async (t) => {
  const open = (extra: string[]) => (port: number, dir: string): string =>
    testIni({ port, dataDir: dir, sections: { Server: ['scp = ct'], Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off', ...extra] } });
  const a = await spawnAgent(open([]), t);
  const file = join(a.dataDir, 'real.dcm');
  await makeDicomFile(file, { modality: 'CT', patientName: 'REAL^PATIENT' });
  const store = await runDcmtk('storescu', ['-aet', 'MODALITY', '-aec', 'EDGE', '127.0.0.1', String(a.port), file]);
  assert.equal(store.code, 0, store.stderr);
  for (let i = 0; i < 300 && !/warm-up(?: failed)?:/.test(a.output()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(a.output(), /warm-up: \d+\/120 synthetic images/);
  assert.equal(await a.stop(), 0, a.output());
  assert.equal(existsSync(warmUpDir(a.dataDir)), false);
  const index = IndexDb.open(join(a.dataDir, 'index.sqlite'));
  try {
    assert.deepEqual(index.db.prepare('SELECT patient_name AS n FROM patients').all(), [{ n: 'REAL^PATIENT' }]);
    assert.equal(index.countInstances(), 1);
  } finally {
    index.close();
  }
  const off = await spawnAgent(open(['warmUp = Off']), t);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await off.stop(), 0);
  assert.doesNotMatch(off.output(), /warm-up/);
});

test('run: SIGTERM while the warm-up runs stops it, exits 0 and leaves no scratch folder', async (t) => {
  const a = await spawnAgent((port, dir) => testIni({ port, dataDir: dir, sections: { Server: ['scp = ct'] } }), t);
  // spawnAgent returns once the port accepts connections: the warm-up starts right then.
  for (let i = 0; i < 100 && !existsSync(warmUpDir(a.dataDir)); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(await a.stop('SIGTERM'), 0, a.output());
  assert.equal(existsSync(warmUpDir(a.dataDir)), false, a.output());
  assert.match(a.output(), /warm-up: \d+\/120 .*\(stopped early: time limit or stop\)|warm-up: 120\/120/);
});
