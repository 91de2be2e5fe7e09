import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpDir } from '../../helpers/tmp';
import { TempPool } from '../../../src/store/temp-pool';
import { nodeStoreFs, type StoreFs } from '../../../src/store/store-fs';

/** Counts what the pool asks of the file system; `failOpen` makes creations fail (disk full). */
function countingFs(o: { failOpen?: () => boolean; failFsync?: () => boolean } = {}) {
  const n = { created: 0, dirSyncs: 0, fileSyncs: 0 };
  const fs: StoreFs = {
    ...nodeStoreFs,
    open: async (p, flags, mode) => {
      if (o.failOpen?.()) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      n.created++;
      return nodeStoreFs.open(p, flags, mode);
    },
    fsync: async (fd) => {
      if (o.failFsync?.()) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      n.fileSyncs++;
      return nodeStoreFs.fsync(fd);
    },
    fsyncDir: async (p) => {
      n.dirSyncs++;
      return nodeStoreFs.fsyncDir(p);
    },
  };
  return { fs, n };
}

async function until(what: string, probe: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !probe(); await sleep(5)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

/** Removed at the end of the file (a per-test removal would run before the test's pool.close()). */
async function spareDir(_t: unknown): Promise<string> {
  const dir = join(await tmpDir('pool-'), 'spare');
  mkdirSync(dir);
  return dir;
}

test('start() fills the pool while quiet, a batch per folder fsync; files are empty and stay after close', async (t) => {
  const dir = await spareDir(t);
  const { fs, n } = countingFs();
  const pool = new TempPool(dir, fs, { size: 20, batch: 8, low: 4, idleMs: 20 });
  pool.start();
  await until('a full pool', () => pool.available === 20);
  assert.equal(n.created, 20);
  assert.equal(n.fileSyncs, 20, 'each new file fsynced once, empty');
  assert.equal(n.dirSyncs, 3, '8 + 8 + 4');
  assert.deepEqual(readdirSync(dir).map((f) => statSync(join(dir, f)).size), Array(20).fill(0));
  await pool.close();
  assert.equal(readdirSync(dir).length, 20, 'ready files stay for the next start');
  const again = new TempPool(dir, fs, { size: 20, batch: 8, idleMs: 20 });
  again.adopt(readdirSync(dir).map((f) => join(dir, f)));
  again.start();
  assert.equal(again.available, 20);
  await again.close();
  assert.equal(n.created, 20, 'an adopted pool creates nothing');
});

test('take() opens a ready file for writing; a burst creates nothing until below the low mark, the quiet time refills', async (t) => {
  const dir = await spareDir(t);
  const { fs, n } = countingFs();
  const pool = new TempPool(dir, fs, { size: 10, batch: 5, low: 3, idleMs: 50 });
  t.after(() => pool.close());
  pool.start();
  await until('a full pool', () => pool.available === 10);
  const h = pool.take()!;
  assert.ok(h, 'a file');
  writeSync(h.fd, Buffer.from('DICM'));
  closeSync(h.fd);
  assert.equal(statSync(h.path).size, 4, 'written in place');
  for (let i = 0; i < 6; i++) closeSync(pool.take()!.fd);
  assert.equal(pool.available, 3);
  assert.equal(n.created, 10, 'the burst (takes closer than idleMs) made no file yet');
  closeSync(pool.take()!.fd); // 2 left: below low, refill at once
  // `created` counts as a creation begins; its file is ready only once fsynced (a race under load).
  await until('the low-water batch ready', () => n.created >= 15 && pool.available >= 3);
  await until('the quiet refill up to size', () => pool.available === 10, 3000);
});

test('files taken while a fill runs stop it after its batch (the burst has the disk), unless below the low mark', async (t) => {
  const dir = await spareDir(t);
  const { fs, n } = countingFs();
  const pool = new TempPool(dir, fs, { size: 40, batch: 4, low: 2, idleMs: 10_000 });
  t.after(() => pool.close());
  pool.start(); // first batch under way
  await until('the first batch', () => pool.available >= 1 || n.created >= 1);
  await until('the first files ready', () => pool.available >= 4);
  closeSync(pool.take()!.fd); // a reception begins: the fill stops after the batch in flight
  await sleep(100);
  const made = n.created;
  assert.ok(made < 40, `stopped early (${made} made)`);
  await sleep(100);
  assert.equal(n.created, made, 'no further batch during the (long) quiet wait');
});

test('a fill stopped by a burst resumes by itself once the store is quiet (no further take needed)', async (t) => {
  const dir = await spareDir(t);
  const { fs } = countingFs();
  const pool = new TempPool(dir, fs, { size: 40, batch: 4, low: 2, idleMs: 50 });
  t.after(() => pool.close());
  pool.start();
  await until('the first files ready', () => pool.available >= 4);
  closeSync(pool.take()!.fd); // while the start-up fill runs: it stops after its batch
  await until('the pool full again without another take()', () => pool.available === 40, 5000);
});

test('while busy() (a forward on the wire) the quiet-time refill waits, unless under a quarter of the pool is ready', async (t) => {
  const dir = await spareDir(t);
  const { fs, n } = countingFs();
  let busy = false;
  const pool = new TempPool(dir, fs, { size: 16, batch: 4, low: 1, idleMs: 20, busy: () => busy });
  t.after(() => pool.close());
  pool.start();
  await until('the pool full', () => pool.available === 16);
  busy = true;
  for (let i = 0; i < 10; i++) closeSync(pool.take()!.fd); // 6 left: above a quarter (4)
  const made = n.created;
  await sleep(200); // ten quiet times
  assert.equal(n.created, made, 'no refill while busy');
  assert.equal(pool.available, 6);
  for (let i = 0; i < 3; i++) closeSync(pool.take()!.fd); // 3 left: under a quarter
  await until('refilled up to a quarter although busy', () => pool.available >= 4);
  await sleep(150);
  assert.ok(pool.available < 16, `stops again at the quarter while busy (${pool.available} ready)`);
  busy = false;
  await until('full once no longer busy', () => pool.available === 16);
});

test('creations failing (disk full): take() returns undefined once the ready files are used, and tries again later', async (t) => {
  const dir = await spareDir(t);
  let full = false;
  const { fs, n } = countingFs({ failOpen: () => full });
  const pool = new TempPool(dir, fs, { size: 4, batch: 4, low: 2, idleMs: 20 });
  t.after(() => pool.close());
  pool.start();
  await until('a full pool', () => pool.available === 4);
  full = true;
  const taken = [pool.take(), pool.take(), pool.take(), pool.take()];
  assert.ok(taken.every((h) => h !== undefined));
  for (const h of taken) closeSync(h!.fd);
  await sleep(50);
  assert.equal(pool.take(), undefined, 'nothing ready and nothing could be made');
  assert.equal(readdirSync(dir).length, 4, 'no stray file from the failed batches');
  full = false;
  await sleep(50); // the last failed fill is over
  assert.equal(pool.take(), undefined, 'the next take() starts a fill');
  await until('the pool refilled after space came back', () => pool.available >= 2);
  assert.ok(n.created > 4);
});

test('a ready file removed by hand is skipped', async (t) => {
  const dir = await spareDir(t);
  const names = ['a.part', 'b.part', 'c.part'].map((f) => join(dir, f));
  for (const p of names) writeFileSync(p, '');
  const pool = new TempPool(dir, nodeStoreFs, { size: 3, idleMs: 10_000 });
  t.after(() => pool.close());
  pool.adopt(names);
  unlinkSync(names[2]); // the next one taken (the last ready)
  const h = pool.take();
  assert.equal(h?.path, names[1]);
  closeSync(h!.fd);
});

test('a ready file that cannot be opened for writing (left by another user) is dropped and deleted', async (t) => {
  const dir = await spareDir(t);
  const names = ['x.part', 'y.part'].map((f) => join(dir, f));
  for (const p of names) writeFileSync(p, '');
  const fs: StoreFs = {
    ...nodeStoreFs,
    openSync: (p, flags) => {
      if (p === names[1]) throw Object.assign(new Error(`EACCES: permission denied, open '${p}'`), { code: 'EACCES' });
      return nodeStoreFs.openSync(p, flags);
    },
  };
  const pool = new TempPool(dir, fs, { size: 2, idleMs: 10_000 });
  t.after(() => pool.close());
  pool.adopt(names);
  const h = pool.take(); // y first (the last ready): unusable, dropped; then x
  assert.equal(h?.path, names[0]);
  closeSync(h!.fd);
  await until('the unusable file deleted', () => !readdirSync(dir).includes('y.part'));
});

test('size 0 ([Storage] spareFiles = 0): nothing is made, files left from a larger pool are still used', async (t) => {
  const dir = await spareDir(t);
  const left = join(dir, 'left.part');
  writeFileSync(left, '');
  const { fs, n } = countingFs();
  const pool = new TempPool(dir, fs, { size: 0, idleMs: 5 });
  t.after(() => pool.close());
  pool.adopt([left]);
  pool.start();
  const h = pool.take();
  assert.equal(h?.path, left);
  closeSync(h!.fd);
  assert.equal(pool.take(), undefined);
  await sleep(50);
  assert.equal(n.created, 0);
});

test('a new file whose fsync fails is deleted, not handed out; the pool tries again later', async (t) => {
  const dir = await spareDir(t);
  let failing = true;
  const { fs, n } = countingFs({ failFsync: () => failing });
  const pool = new TempPool(dir, fs, { size: 4, batch: 4, idleMs: 10 });
  pool.start();
  await until('the failed creation cleaned up', () => n.created === 1 && readdirSync(dir).length === 0);
  assert.equal(pool.available, 0);
  assert.equal(pool.take(), undefined, 'nothing ready: the store creates its own temp file');
  failing = false;
  await until('the pool filled once fsync works', () => pool.available === 4, 10_000);
  assert.equal(n.fileSyncs, 4);
  await pool.close();
});
