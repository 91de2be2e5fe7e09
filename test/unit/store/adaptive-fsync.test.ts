import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withAdaptiveFsync } from '../../../src/store/adaptive-fsync';
import { nodeStoreFs, type StoreFs } from '../../../src/store/store-fs';

/** A clock the fakes advance, a synchronous fsync and a thread-pool fsync that resolves when told. */
function rig(syncMs: number) {
  let clock = 0;
  const calls: string[] = [];
  const pending: Array<() => void> = [];
  const base: StoreFs = {
    ...nodeStoreFs,
    fsync: (fd) => new Promise<void>((resolve) => {
      calls.push(`pool ${fd}`);
      pending.push(() => { clock += 3; resolve(); });
    }),
  };
  const fs = withAdaptiveFsync(base, {
    maxInlineMs: 1,
    now: () => clock,
    fsyncSync: (fd) => {
      calls.push(`inline ${fd}`);
      clock += syncMs;
      if (fd < 0) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    },
  });
  return { fs, calls, pending };
}

test('fast fsyncs one at a time run inline; a second one while the first is on the pool goes to the pool too', async () => {
  const { fs, calls } = rig(0.3);
  await fs.fsync(1);
  await fs.fsync(2);
  assert.deepEqual(calls, ['inline 1', 'inline 2']);
  assert.equal(fs.inlineCount, 2);
});

test('slow fsyncs (SD card) move to the thread pool; concurrent ones stay there', async () => {
  const { fs, calls, pending } = rig(8);
  await fs.fsync(1); // the first is inline (no history yet) and takes 8 ms
  const a = fs.fsync(2);
  const b = fs.fsync(3);
  assert.deepEqual(calls, ['inline 1', 'pool 2', 'pool 3'], 'average 1.6 ms ≥ 1 ms: pool; and one in flight');
  for (const p of pending.splice(0)) p();
  await Promise.all([a, b]);
  const c = fs.fsync(4);
  assert.equal(calls.at(-1), 'pool 4', 'still slow on average');
  pending.shift()!();
  await c;
});

test('an fsync error rejects (A700 for the instance), inline as on the pool', async () => {
  const { fs } = rig(0.1);
  await assert.rejects(fs.fsync(-1), /EIO/);
});

test('not allowed by the store (another reception in progress): on the pool even when fast', async () => {
  let allowed = false;
  const calls: string[] = [];
  const fs = withAdaptiveFsync({ ...nodeStoreFs, fsync: async (fd) => { calls.push(`pool ${fd}`); } }, {
    inlineAllowed: () => allowed, fsyncSync: (fd) => { calls.push(`inline ${fd}`); },
  });
  await fs.fsync(1);
  allowed = true;
  await fs.fsync(2);
  assert.deepEqual(calls, ['pool 1', 'inline 2']);
});
