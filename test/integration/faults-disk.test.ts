/**
 * Disk full: the data folder is a small tmpfs (root only; skipped otherwise), pre-filled
 * so that a study does not fit. storescu sends it: instances that fit get Success, the
 * others A700 (Refused: Out of Resources); no partial file stays in tmp/ or instances/;
 * echo and C-FIND keep working; once space is freed the same study stores completely.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, testIni } from '../helpers/agent';
import { makeStudy } from '../helpers/dicom-files';
import { runDcmtk } from '../helpers/peers';
import { onCleanup, tmpDir } from '../helpers/tmp';
import { partialFiles } from '../helpers/store-files';

const isRoot = process.getuid?.() === 0;
const MIB = 1024 * 1024;

/** A fresh folder with a tmpfs of `mib` MiB mounted on it; lazily unmounted and removed at cleanup. */
function mountTmpfs(t: { after(fn: () => unknown): unknown }, mib: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'diskfull-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0755`, 'tmpfs', dir]);
  const undo = (): void => {
    try { execFileSync('umount', ['-l', dir]); } catch { /* already gone */ }
    rmSync(dir, { recursive: true, force: true });
  };
  onCleanup(undo, { t, sync: undo });
  return dir;
}

function freeBytes(dir: string): number {
  const out = execFileSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).trim().split('\n');
  return Number(out[out.length - 1]);
}

/** Every instance file under instances/ with its size. */
function instanceFiles(root: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string): void => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, n.name);
      if (n.isDirectory()) walk(p); else out.set(p.slice(root.length + 1), statSync(p).size);
    }
  };
  walk(join(root, 'instances'));
  return out;
}

test('disk full mid-study → A700 for what does not fit, nothing partial, still serving, resumes when space is freed', { skip: !isRoot && 'needs root to mount a tmpfs' }, async (t) => {
  const data = mountTmpfs(t, 16);
  const src = await tmpDir('diskfull-study-', t);
  // 12 instances of 512 x 512 x 16 bit: ~6 MiB in all.
  const study = await makeStudy(src, { count: 12, rows: 512, cols: 512 });
  const a = await startAgent((port) => testIni({
    port, dataDir: data,
    sections: { Server: ['scp = storage, studyFind', 'accept = STORESCU, 127.0.0.1', 'accept = ECHOSCU, 127.0.0.1', 'accept = FINDSCU, 127.0.0.1'] },
  }), t);
  // Leave room for about 4 instances (the index and its WAL need some too).
  const filler = join(data, 'filler.bin');
  writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes(data) - Math.round(2.2 * MIB))));

  const first = await runDcmtk('storescu', ['-v', '-nh', '-aet', 'STORESCU', '-aec', 'EDGE', '+sd', '127.0.0.1', String(a.port), src]);
  const out = first.stdout + first.stderr;
  const ok = out.match(/Received Store Response \(Success\)/g)?.length ?? 0;
  const refused = out.match(/Received Store Response \(.*Out ?of ?Resources.*\)/gi)?.length ?? 0;
  t.diagnostic(`disk full: ${ok} stored, ${refused} refused with A700`);
  assert.ok(ok >= 1, `some instances fit:\n${out}`);
  assert.ok(refused >= 1, `some instances were refused with A700:\n${out}`);
  assert.equal(ok + refused, study.files.length, `every instance got Success or A700:\n${out}`);
  assert.ok(a.logs.some((l) => /status 0xa700/.test(l)), 'A700 logged');

  assert.deepEqual(partialFiles(data), [], 'no partial temp file');
  assert.equal(a.agent.index.countInstances(), ok, 'exactly the acknowledged instances are indexed');
  const files = instanceFiles(data);
  assert.equal(files.size, ok, 'one complete file per indexed instance, no partial file');
  const rows = a.agent.index.db.prepare('SELECT path, size FROM instances').all() as { path: string; size: number }[];
  for (const r of rows) assert.equal(files.get(r.path), r.size, `${r.path} complete`);

  const echo = await runDcmtk('echoscu', ['-aet', 'ECHOSCU', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.equal(echo.code, 0, `echo while the disk is full: ${echo.stderr}`);
  const find = await runDcmtk('findscu', ['-v', '-S', '-aet', 'FINDSCU', '-aec', 'EDGE', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${study.studyUid}`, '127.0.0.1', String(a.port)]);
  assert.equal(find.code, 0, find.stderr);
  assert.match(find.stdout + find.stderr, /Find Response: 1 \(Pending\)/, 'C-FIND while the disk is full');

  unlinkSync(filler);
  const again = await runDcmtk('storescu', ['-v', '-aet', 'STORESCU', '-aec', 'EDGE', '+sd', '127.0.0.1', String(a.port), src]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.stdout + again.stderr).match(/Received Store Response \(Success\)/g)?.length, study.files.length, 'all stored once space is freed');
  assert.equal(a.agent.index.countInstances(), study.files.length);
  assert.deepEqual(partialFiles(data), []);
});
