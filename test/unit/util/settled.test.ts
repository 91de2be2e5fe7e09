import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { onSettled, settled } from '../../../src/util/settled';

const sink = () => new Writable({ write: (_c, _e, cb) => cb(), autoDestroy: false });

test('settled(): resolves on finish, also when already finished; listeners removed after', async () => {
  const w = sink();
  const p = settled(w);
  w.end('x');
  await p;
  assert.equal(w.listenerCount('error'), 0);
  assert.equal(w.listenerCount('finish'), 0);
  await settled(w); // already finished
});

test('settled(): rejects with the error, or with a premature close when destroyed before finishing', async () => {
  const failing = sink();
  const p = settled(failing);
  failing.destroy(new Error('disk on fire'));
  await assert.rejects(p, /disk on fire/);
  const closed = sink();
  const q = settled(closed);
  closed.destroy();
  await assert.rejects(q, (e: Error & { code?: string }) => e.code === 'ERR_STREAM_PREMATURE_CLOSE');
  await assert.rejects(settled(closed), (e: Error & { code?: string }) => e.code === 'ERR_STREAM_PREMATURE_CLOSE', 'already destroyed');
});

test('onSettled(): the callback runs once and never synchronously', async () => {
  const w = sink();
  w.end();
  await settled(w);
  let calls = 0;
  onSettled(w, () => calls++);
  assert.equal(calls, 0, 'not synchronous');
  await new Promise((r) => process.nextTick(r));
  assert.equal(calls, 1);
  const v = sink();
  const seen: Array<Error | undefined> = [];
  onSettled(v, (e) => seen.push(e));
  v.end();
  await settled(v);
  v.emit('close');
  assert.deepEqual(seen, [undefined], 'once');
});
