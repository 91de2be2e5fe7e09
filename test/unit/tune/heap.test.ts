import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAP_GROWING_PERCENT, applyHeapGrowth, heapGrowthFlag } from '../../../src/tune/heap';

test('heap growth: set unless the node options already choose it (either spelling, command line or NODE_OPTIONS)', () => {
  assert.equal(heapGrowthFlag({}, []), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  assert.equal(heapGrowthFlag({ NODE_OPTIONS: '--max-old-space-size=100' }, ['--enable-source-maps']), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  assert.equal(heapGrowthFlag({}, ['--heap-growing-percent=50']), null);
  assert.equal(heapGrowthFlag({ NODE_OPTIONS: '--trace-gc  --heap_growing_percent=0' }, []), null);
});

test('heap growth: applyHeapGrowth hands the flag to V8 and says so', () => {
  const set: string[] = [];
  const line = applyHeapGrowth((f) => set.push(f));
  if (heapGrowthFlag() === null) {
    assert.deepEqual(set, []);
    assert.match(line, /as given/);
  } else {
    assert.deepEqual(set, [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
    assert.match(line, /--heap-growing-percent=300/);
  }
});
