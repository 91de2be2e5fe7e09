/**
 * Load: 50 storescu processes storing at once into the real CLI (`dicom-edge run`), all
 * succeed; peak concurrent associations (from the agent's log) and peak RSS (VmHWM) are
 * reported. Then the association limit exceeded while storing: the extra associations get
 * A-ASSOCIATE-RJ transient / local limit exceeded, the admitted ones store everything, the
 * refused ones succeed when sent again, and the agent never crashes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnAgent, testIni, type SpawnedAgent } from '../helpers/agent';
import { makeStudy } from '../helpers/dicom-files';
import { runDcmtk, type DcmtkResult } from '../helpers/peers';
import { tmpDir } from '../helpers/tmp';

const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 50);
const PER_CLIENT = 4;

function vm(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Most associations open at the same time, from the accepted/closed log lines. */
function peakConcurrent(log: string): number {
  let open = 0;
  let peak = 0;
  for (const line of log.split('\n')) {
    if (/ in-\d+ accepted /.test(line)) peak = Math.max(peak, ++open);
    else if (/ in-\d+ closed \((released|aborted|transport|provider)/.test(line)) open--;
  }
  return peak;
}

async function studies(t: Parameters<typeof tmpDir>[1], n: number): Promise<string[]> {
  const root = await tmpDir('load-', t);
  const dirs: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = join(root, `c${i}`);
    await makeStudy(d, { count: PER_CLIENT, rows: 512, cols: 512 });
    dirs.push(d);
  }
  return dirs;
}

const store = (a: SpawnedAgent, dir: string, i: number): Promise<DcmtkResult> =>
  runDcmtk('storescu', ['-v', '-aet', `LOAD${i}`, '-aec', 'EDGE', '+sd', '127.0.0.1', String(a.port), dir], { timeoutMs: 120000 });
const successes = (r: DcmtkResult): number => (r.stdout + r.stderr).match(/Received Store Response \(Success\)/g)?.length ?? 0;

function ini(maxAssociations: number) {
  return (port: number, dataDir: string): string => testIni({
    port, dataDir,
    sections: { Network: [`maxAssociations = ${maxAssociations}`], Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off'], Server: ['scp = storage'] },
  });
}

test(`${CLIENTS} concurrent associations storing at once: all succeed; peak RSS reported`, async (t) => {
  const dirs = await studies(t, CLIENTS);
  const a = await spawnAgent(ini(CLIENTS + 14), t);
  const pid = a.proc.pid!;
  const rssIdle = vm(pid, 'VmRSS');
  const started = Date.now();
  const runs = await Promise.all(dirs.map((d, i) => store(a, d, i)));
  const ms = Date.now() - started;
  const hwm = vm(pid, 'VmHWM');
  const failed = runs.map((r, i) => [i, r] as const).filter(([, r]) => r.code !== 0 || successes(r) !== PER_CLIENT);
  assert.deepEqual(failed.map(([i, r]) => `client ${i}: exit ${r.code} ${r.stderr.slice(-300)}`), []);
  const peak = peakConcurrent(a.output());
  const mib = (b: number): string => (b / 1048576).toFixed(1);
  t.diagnostic(`${CLIENTS} clients × ${PER_CLIENT} instances (512 KiB) in ${ms} ms; peak ${peak} concurrent associations; RSS idle ${mib(rssIdle)} MiB, peak (VmHWM) ${mib(hwm)} MiB`);
  // Overlap depends on speed (each client stores 2 MiB); 10 at once shows real concurrency.
  assert.ok(peak >= Math.min(CLIENTS, 10), `associations overlapped (peak ${peak})`);
  assert.equal(await a.stop('SIGTERM'), 0);
});

test('maxAssociations exceeded while storing → A-ASSOCIATE-RJ transient (local limit), admitted ones complete, refused ones succeed later', async (t) => {
  const dirs = await studies(t, 24);
  const a = await spawnAgent(ini(8), t);
  const runs = await Promise.all(dirs.map((d, i) => store(a, d, i)));
  const refused = runs.map((r, i) => [i, r] as const).filter(([, r]) => /Association Rejected/i.test(r.stdout + r.stderr));
  const admitted = runs.filter((r) => !/Association Rejected/i.test(r.stdout + r.stderr));
  t.diagnostic(`${admitted.length} admitted, ${refused.length} refused with the limit at 8`);
  for (const r of admitted) assert.equal(successes(r), PER_CLIENT, r.stderr.slice(-300));
  for (const [, r] of refused) {
    assert.match(r.stdout + r.stderr, /Result: Rejected Transient/i, 'transient rejection');
    assert.match(r.stdout + r.stderr, /Local Limit Exceeded/i, 'reason: local limit exceeded');
  }
  assert.ok(a.proc.exitCode === null, 'the agent is still running');
  for (const [i] of refused) {
    const again = await store(a, dirs[i], i);
    assert.equal(successes(again), PER_CLIENT, `client ${i} again: ${again.stderr.slice(-300)}`);
  }
  assert.equal(await a.stop('SIGTERM'), 0);
});
