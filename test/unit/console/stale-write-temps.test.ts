import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleWriteTemps } from '../../../src/console/backend-common';

test('stale INI write temps: a dead writer\'s .edge.ini.<pid>.tmp goes; a live writer\'s and unrelated files stay', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stale-temps-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const names = ['edge.ini', 'edge.ini.bak', '.edge.ini.111.tmp', '.edge.ini.bak.111.tmp', '.edge.ini.222.tmp', '.other.ini.111.tmp', '.edge.ini.x.tmp', '.edge.ini.333.tmp.keep'];
  for (const n of names) writeFileSync(join(dir, n), 'x');
  const removed = removeStaleWriteTemps(join(dir, 'edge.ini'), (pid) => pid === 222);
  assert.deepEqual(removed.sort(), ['.edge.ini.111.tmp', '.edge.ini.bak.111.tmp']);
  assert.deepEqual(readdirSync(dir).sort(), names.filter((n) => !removed.includes(n)).sort());
  assert.deepEqual(removeStaleWriteTemps(join(dir, 'missing', 'edge.ini')), [], 'no folder: nothing to do');
});

test('stale INI write temps: the default liveness check keeps this process\'s own temp file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stale-temps-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, `.edge.ini.${process.pid}.tmp`), 'x');
  assert.deepEqual(removeStaleWriteTemps(join(dir, 'edge.ini')), []);
});
