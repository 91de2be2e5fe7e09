import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEADROOM_BYTES, HEAP_GROWING_PERCENT, HeapGovernor, growthGiven, growthPercentFor } from '../../../src/tune/heap';

const MiB = 1024 * 1024;

test('heap growth: left alone when the node options choose it (either spelling, command line or NODE_OPTIONS)', () => {
  assert.equal(growthGiven({}, []), false);
  assert.equal(growthGiven({ NODE_OPTIONS: '--max-old-space-size=100' }, ['--enable-source-maps']), false);
  assert.equal(growthGiven({}, ['--heap-growing-percent=50']), true);
  assert.equal(growthGiven({ NODE_OPTIONS: '--trace-gc  --heap_growing_percent=0' }, []), true);
});

test('heap growth: 4× for a small live heap, then live + 48 MiB of headroom, never below 1.25×', () => {
  assert.equal(HEAP_GROWING_PERCENT, 300);
  assert.equal(growthPercentFor(0), 300);
  assert.equal(growthPercentFor(13 * MiB), 300, 'an idle agent: 4×');
  assert.equal(growthPercentFor(16 * MiB), 300);
  assert.equal(growthPercentFor(24 * MiB), 200);
  assert.equal(growthPercentFor(48 * MiB), 100);
  assert.equal(growthPercentFor(96 * MiB), 50);
  assert.equal(growthPercentFor(1024 * MiB), 25);
  for (const live of [1, 5, 13, 20, 33, 47, 64, 100, 150].map((m) => m * MiB)) {
    const limit = live * (1 + growthPercentFor(live) / 100);
    assert.ok(limit - live <= Math.max(HEADROOM_BYTES, live * 0.25) + MiB, `garbage allowed for ${live / MiB} MiB live: ${(limit - live) / MiB} MiB`);
  }
});

test('heap growth: the governor sets the flag only when the percent changes', () => {
  const set: string[] = [];
  const g = new HeapGovernor((f) => set.push(f));
  g.update(0);
  g.update(12 * MiB);
  g.update(14 * MiB);
  assert.deepEqual(set, ['--heap-growing-percent=300']);
  g.update(48 * MiB);
  g.update(48 * MiB);
  g.update(10 * MiB);
  assert.deepEqual(set, ['--heap-growing-percent=300', '--heap-growing-percent=100', '--heap-growing-percent=300']);
  assert.equal(g.percent, 300);
});
