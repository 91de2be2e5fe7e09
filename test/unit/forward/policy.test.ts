import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, isOutOfResources, limitReached, verdictOf } from '../../../src/forward/policy';

test('statuses: success and B000/B006/B007 delivered; 0122, A9xx, Cxxx dead; A7xx and others retried', () => {
  for (const s of [0x0000, 0xb000, 0xb006, 0xb007]) assert.equal(verdictOf(s), 'delivered', s.toString(16));
  for (const s of [0x0122, 0xa900, 0xa9ff, 0xc000, 0xc123, 0xcfff]) assert.equal(verdictOf(s), 'dead', s.toString(16));
  for (const s of [0xa700, 0xa7ff, 0x0110, 0x0211, 0xffff]) assert.equal(verdictOf(s), 'retry', s.toString(16));
  assert.equal(isOutOfResources(0xa701), true);
  assert.equal(isOutOfResources(0xa900), false);
});

test('back-off doubles from base up to cap, with jitter between half and all of it', () => {
  assert.equal(backoffMs(1, 1000, 60000, () => 0), 500);
  assert.equal(backoffMs(1, 1000, 60000, () => 1), 1000);
  assert.equal(backoffMs(3, 1000, 60000, () => 1), 4000);
  assert.equal(backoffMs(3, 1000, 60000, () => 0), 2000);
  assert.equal(backoffMs(30, 1000, 60000, () => 1), 60000, 'capped');
  assert.equal(backoffMs(5000, 1000, 60000, () => 0.5), 45000, 'no overflow for huge counts');
  for (let i = 0; i < 50; i++) {
    const d = backoffMs(4, 1000, 60000);
    assert.ok(d >= 4000 && d <= 8000, String(d));
  }
});

test('limits: attempts, age, or none', () => {
  assert.equal(limitReached(3, 0, 10, 3, 0), true);
  assert.equal(limitReached(2, 0, 10, 3, 0), false);
  assert.equal(limitReached(1, 0, 1000, 0, 1000), true);
  assert.equal(limitReached(1, 0, 999, 0, 1000), false);
  assert.equal(limitReached(1_000_000, 0, 1e12, 0, 0), false, 'no limit configured');
});
