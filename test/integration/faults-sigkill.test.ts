/**
 * Power loss during receive: the real CLI (`dicom-edge run`) is SIGKILLed at seeded
 * random moments while storescu sends a study (bounded loop). After each restart every
 * instance storescu got Success for is indexed with its complete file, the interrupted
 * receptions' temp files are gone, and the index passes PRAGMA integrity_check.
 * (SIGKILL during forwarding: test/integration/forward-crash.test.ts.)
 * Also the configuration write used by config apply (console, web, tune --write) under
 * SIGKILL: the INI is always the old or the new text, never a mix or empty.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { spawnAgent, testIni, agentDataDir, type SpawnedAgent } from '../helpers/agent';
import { makeStudy } from '../helpers/dicom-files';
import { runDcmtk } from '../helpers/peers';
import { tmpDir } from '../helpers/tmp';
import { partialFiles } from '../helpers/store-files';
import { prng } from './fuzz-cases';

const ROUNDS = Number(process.env.SIGKILL_ROUNDS ?? 12);
const SEED = Number(process.env.FUZZ_SEED ?? 99);

function start(dataDir: string, t: Parameters<typeof spawnAgent>[1]): Promise<SpawnedAgent> {
  return spawnAgent((port) => testIni({ port, dataDir, sections: { Server: ['scp = storage', 'accept = STORESCU, 127.0.0.1'] } }), t);
}

/** SOP Instance UIDs storescu -v reports as stored with Success (the file line precedes the response). */
function acknowledged(out: string, uidOf: Map<string, string>): string[] {
  const acks: string[] = [];
  let current = '';
  for (const line of out.split('\n')) {
    const file = /Sending file: (.+)$/.exec(line);
    if (file) current = file[1].trim();
    if (/Received Store Response \(Success\)/.test(line) && uidOf.has(current)) acks.push(uidOf.get(current)!);
  }
  return acks;
}

function checkStore(dataDir: string, mustHave: Set<string>): { rows: number } {
  const db = new Database(join(dataDir, 'index.sqlite'), { readonly: true });
  try {
    assert.equal((db.pragma('integrity_check', { simple: true }) as string), 'ok');
    const rows = db.prepare('SELECT sop_uid AS sop, path, size FROM instances').all() as { sop: string; path: string; size: number }[];
    const bySop = new Map(rows.map((r) => [r.sop, r]));
    for (const sop of mustHave) {
      const r = bySop.get(sop);
      assert.ok(r, `acknowledged instance ${sop} is indexed`);
      assert.equal(statSync(join(dataDir, r.path)).size, r.size, `file of ${sop} complete`);
    }
    return { rows: rows.length };
  } finally {
    db.close();
  }
}

test(`SIGKILL at ${ROUNDS} random moments during receive → every acknowledged instance kept, no orphan temp files, index sound`, async (t) => {
  const r = prng(SEED);
  const dataDir = await agentDataDir('sigkill-data-');
  const src = await tmpDir('sigkill-study-', t);
  const study = await makeStudy(src, { count: 30, rows: 512, cols: 512 });
  const uidOf = new Map(study.files.map((f) => [f.path, f.sopInstanceUid]));
  const acked = new Set<string>();
  let interrupted = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const agent = await start(dataDir, t);
    if (round > 0) {
      assert.match(agent.output(), /recovery removed \d+ temp file/, 'recovery ran at start');
      assert.doesNotMatch(agent.output(), /clean stop/, 'after a kill the store is checked in full');
      assert.doesNotMatch(agent.output(), /INTEGRITY/);
    }
    const sending = runDcmtk('storescu', ['-v', '-nh', '-aet', 'STORESCU', '-aec', 'EDGE', '+sd', '127.0.0.1', String(agent.port), src], { timeoutMs: 60000 });
    await new Promise((res) => setTimeout(res, 10 + Math.floor(r() * 150)));
    await agent.stop('SIGKILL');
    const out = await sending;
    for (const sop of acknowledged(out.stdout + out.stderr, uidOf)) acked.add(sop);
    if (out.code !== 0) interrupted++;
    const left = partialFiles(dataDir).length;
    t.diagnostic(`round ${round}: storescu exit ${out.code}, ${acked.size} acknowledged so far, ${left} temp file(s) left by the kill`);
  }
  const last = await start(dataDir, t);
  assert.deepEqual(partialFiles(dataDir), [], 'no orphan temp file after restart (tmp/, spare/)');
  assert.doesNotMatch(last.output(), /INTEGRITY/);
  await last.stop('SIGTERM');
  const { rows } = checkStore(dataDir, acked);
  const again = await start(dataDir, t);
  assert.match(again.output(), /clean stop: folders and index not cross-checked/, 'after SIGTERM the next start skips the full check');
  await again.stop('SIGKILL');
  t.diagnostic(`${interrupted}/${ROUNDS} sends interrupted; ${acked.size} acknowledged, ${rows} indexed`);
  assert.ok(interrupted > 0, 'at least one kill hit a transfer');
  assert.ok(rows >= acked.size);
});

/** A child that rewrites FILE with writeFileAtomicWithBackup in a loop until killed. */
const WRITER = `
const { writeFileAtomicWithBackup } = require(process.argv[1]);
const file = process.argv[2];
for (let i = 0; ; i++) writeFileAtomicWithBackup(file, (i % 2 ? 'A' : 'B').repeat(200000) + '\\n');
`;

test('config apply under SIGKILL: the INI write is atomic (old or new text, never torn)', async (t) => {
  const dir = await tmpDir('sigkill-ini-', t);
  const file = join(dir, 'edge.ini');
  writeFileSync(file, 'A'.repeat(200000) + '\n', { mode: 0o640 });
  const mod = join(process.cwd(), process.env.DICOM_EDGE_TEST_BUILD ?? 'dist/test-build', 'src/tune/apply.js');
  assert.ok(existsSync(mod), mod);
  const r = prng(SEED + 1);
  for (let i = 0; i < 10; i++) {
    const child = spawn(process.execPath, ['-e', WRITER, mod, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => { err += d; });
    const exited = new Promise((res) => child.once('exit', (code, sig) => res(sig ?? code)));
    await new Promise((res) => setTimeout(res, 50 + Math.floor(r() * 200)));
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', `the writer was still writing when killed: ${err}`);
    const text = readFileSync(file, 'utf8');
    assert.ok(text === 'A'.repeat(200000) + '\n' || text === 'B'.repeat(200000) + '\n', `round ${i}: torn INI (${text.length} bytes)`);
    assert.equal(statSync(file).mode & 0o777, 0o640, 'mode kept');
  }
});
