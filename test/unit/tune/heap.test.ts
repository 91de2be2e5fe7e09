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

// The wiring on a real V8: after a mark-compact with ~90 MB live, the factor drops below 4×.
test('heap growth: after a mark-compact of a large live heap the governor lowers the factor (real V8)', async () => {
  const { spawnSync } = await import('node:child_process');
  const { join } = await import('node:path');
  const mod = join(__dirname, '..', '..', '..', 'src', 'tune', 'heap.js');
  const script = `
    const { startHeapGrowth } = require(${JSON.stringify(mod)});
    const flags = [], lines = [];
    const h = startHeapGrowth((l) => lines.push(l), (f) => flags.push(f));
    const keep = [];
    for (let i = 0; i < 1500000; i++) keep.push({ i, s: 'x' + i });
    global.gc();
    setTimeout(() => { h.stop(); console.log(JSON.stringify({ flags, lines, n: keep.length })); }, 200);`;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { flags: string[]; lines: string[] };
  assert.equal(out.flags[0], '--heap-growing-percent=300', 'set at start');
  const last = Number(/=(\d+)$/.exec(out.flags.at(-1) ?? '')?.[1]);
  assert.ok(out.flags.length >= 2 && last < 100, `flags set: ${out.flags.join(', ')}`);
  assert.match(out.lines.at(-1) ?? '', /MiB in use after a mark-compact/);
});
