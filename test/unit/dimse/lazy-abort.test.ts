import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LazyAbort } from '../../../src/dimse/lazy-abort';

test('LazyAbort: a signal asked for before the abort is aborted by it, once', () => {
  const a = new LazyAbort();
  const s = a.signal;
  assert.equal(a.signal, s, 'the same signal every time');
  let fired = 0;
  s.addEventListener('abort', () => fired++);
  assert.equal(s.aborted, false);
  a.abort();
  a.abort();
  assert.equal(s.aborted, true);
  assert.equal(fired, 1);
});

test('LazyAbort: a signal first asked for after the abort is already aborted', () => {
  const a = new LazyAbort();
  a.abort();
  assert.equal(a.signal.aborted, true);
});
