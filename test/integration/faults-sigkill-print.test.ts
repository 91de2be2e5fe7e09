/**
 * Power loss during print spooling: the real CLI (`dicom-edge run`) is SIGKILLed at seeded
 * random moments while a modality (DCMTK dcmprscu, several at once) prints to it and its
 * worker replays the jobs to the printer (DCMTK dcmprscp). Every job whose N-ACTION the
 * modality saw succeed must be in the spool after the restart and end up printed at
 * dcmprscp; no half-written job folder or temp file may remain; the index stays sound.
 * Each job carries its own Film Session Label (dcmprscu --label) to tell them apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnAgent, agentDataDir, type SpawnedAgent } from '../helpers/agent';
import { runDcmtk } from '../helpers/peers';
import { freePort } from '../helpers/ports';
import { tmpDir } from '../helpers/tmp';
import { eventually, leftovers, nActionStatus, nActionSucceeded, sleep, spoolRows, withIndex } from '../helpers/sigkill';
import { prng } from './fuzz-cases';
import { dcmtkPrintConfig, printIni, rampImage, startDcmprscp, storedPrints } from './print-peers';

const ROUNDS = Number(process.env.SIGKILL_ROUNDS ?? 8);
const SEED = Number(process.env.FUZZ_SEED ?? 99);
/** Modalities printing at the same time, each one job after the other. */
const LANES = 3;

interface Tally { acked: Set<string>; sent: number; noAnswer: number }

/** One modality: dcmprscu runs back to back until `stop()` says so; labels of accepted jobs go to `acked`. */
async function modality(cfg: string, sp: string, prefix: string, stop: () => boolean, tally: Tally): Promise<void> {
  for (let n = 0; !stop(); n++) {
    const label = `${prefix}-${n}`;
    tally.sent++;
    const r = await runDcmtk('dcmprscu', ['-c', cfg, '-p', 'PRINTER', '-d', '--label', label, sp], { timeoutMs: 30000 });
    const out = r.stdout + r.stderr;
    if (nActionSucceeded(out)) tally.acked.add(label);
    else if (nActionStatus(out) === undefined) tally.noAnswer++;
    else assert.fail(`${label}: N-ACTION refused:\n${out}`);
  }
}

function start(dataDir: string, printerPort: number, t: Parameters<typeof spawnAgent>[1]): Promise<SpawnedAgent> {
  return spawnAgent((port) => printIni({ port, dataDir, printerPort, printLines: ['maxQueued = 10000'] }), t);
}

test(`SIGKILL at ${ROUNDS} random moments during print spooling → every accepted job kept and printed, no half-written job, index sound`, async (t) => {
  const r = prng(SEED + 7);
  const printerPort = await freePort();
  const prDir = await tmpDir('sigkill-printer-', t);
  const modDir = await tmpDir('sigkill-modality-', t);
  const dataDir = await agentDataDir('sigkill-spool-');
  const printer = await startDcmprscp(await dcmtkPrintConfig(prDir, [{ section: 'PRINTER', aet: 'PRINTSCP', port: printerPort }]), printerPort);
  t.after(() => printer.stop());
  // The stored print object the modality sends (dcmpsprt only writes it; no network).
  const image = await rampImage(modDir);
  const made = await runDcmtk('dcmpsprt', ['-c', await dcmtkPrintConfig(modDir, [{ section: 'PRINTER', aet: 'EDGEPRINT', port: printerPort }]), '-p', 'PRINTER', image]);
  assert.equal(made.code, 0, made.stdout + made.stderr);
  const sp = (await storedPrints(modDir)).sp[0];
  assert.ok(sp, 'dcmpsprt wrote a stored print object');

  const tally: Tally = { acked: new Set(), sent: 0, noAnswer: 0 };
  let halfWritten = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const agent = await start(dataDir, printerPort, t);
    if (round > 0) {
      assert.match(agent.output(), /recovery removed \d+ temp file/, 'store recovery ran at start');
      assert.doesNotMatch(agent.output(), /INTEGRITY/);
      assert.deepEqual(leftovers(dataDir).spoolTmp, [], 'half-written job folders removed at start');
    }
    const cfg = await dcmtkPrintConfig(modDir, [{ section: 'PRINTER', aet: 'EDGEPRINT', port: agent.port }]);
    let stopped = false;
    const lanes = Array.from({ length: LANES }, (_, i) => modality(cfg, sp, `R${round}L${i}`, () => stopped, tally));
    await sleep(150 + Math.floor(r() * 600));
    stopped = true;
    await agent.stop('SIGKILL');
    await Promise.all(lanes);
    const left = leftovers(dataDir).spoolTmp.length;
    halfWritten += left;
    t.diagnostic(`round ${round}: ${tally.acked.size}/${tally.sent} jobs accepted so far, ${left} half-written job folder(s) left by the kill`);
  }

  const last = await start(dataDir, printerPort, t);
  const after = leftovers(dataDir);
  assert.deepEqual(after.spoolTmp, [], 'no half-written job folder after restart');
  assert.deepEqual(after.storeTmp, [], 'no temp file after restart');
  assert.doesNotMatch(last.output(), /INTEGRITY/);
  const acked = [...tally.acked];
  await eventually(`${acked.length} accepted jobs printed`, () => {
    const done = new Set(spoolRows(dataDir).filter((j) => j.state === 'done').map((j) => j.label));
    return acked.every((l) => done.has(l));
  }, 45000);
  assert.equal(await last.stop('SIGTERM'), 0, last.output());

  const rows = spoolRows(dataDir);
  const labels = new Set(rows.map((j) => j.label));
  for (const l of acked) assert.ok(labels.has(l), `accepted job ${l} is in the spool`);
  assert.equal(labels.size, rows.length, 'each job spooled once');
  for (const j of rows) assert.ok(existsSync(join(dataDir, j.dir, 'job.json')), `job ${j.id}: its folder is whole`);
  assert.deepEqual(leftovers(dataDir).jobDirs.sort(), rows.map((j) => j.dir).sort(), 'no job folder without its row');
  assert.equal(withIndex(dataDir, (db) => db.pragma('integrity_check', { simple: true })), 'ok');
  const films = (await storedPrints(prDir)).sp.length;
  t.diagnostic(`${tally.acked.size}/${tally.sent} jobs accepted (${tally.noAnswer} cut off by a kill), ${rows.length} spooled, ${films} films at dcmprscp, ${halfWritten} half-written job folder(s) cleaned`);
  assert.ok(films >= acked.length, `dcmprscp stored ${films} films for ${acked.length} accepted jobs`);
  assert.ok(tally.noAnswer > 0, 'at least one kill hit a print');
});
