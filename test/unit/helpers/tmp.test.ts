import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanupAll, onCleanup, tmpDir } from '../../helpers/tmp';

test('tmpDir creates a fresh directory under os.tmpdir() that cleanupAll removes', async () => {
  const a = await tmpDir('tmp-test');
  const b = await tmpDir('tmp-test');
  assert.notEqual(a, b);
  assert.equal(path.dirname(a), os.tmpdir());
  assert.match(path.basename(a), /^tmp-test-/);
  fs.writeFileSync(path.join(a, 'f'), 'x');
  assert.ok(fs.statSync(a).isDirectory());
  await cleanupAll();
  assert.equal(fs.existsSync(a), false);
  assert.equal(fs.existsSync(b), false);
});

let perTestDir = '';
test('tmpDir with a test context is removed when that test ends', async (t) => {
  perTestDir = await tmpDir('tmp-ctx', t);
  assert.ok(fs.existsSync(perTestDir));
});
test('... the previous test directory is gone', () => {
  assert.ok(perTestDir.length > 0);
  assert.equal(fs.existsSync(perTestDir), false);
});

test('cleanups run newest first, and each only once', async () => {
  const order: number[] = [];
  onCleanup(() => order.push(1));
  const runTwo = onCleanup(() => order.push(2));
  onCleanup(() => order.push(3));
  await runTwo();
  await cleanupAll();
  await runTwo();
  assert.deepEqual(order, [2, 3, 1]);
});

test('cleanupAll reports failing cleanups after running the others', async () => {
  let ran = false;
  onCleanup(() => {
    ran = true;
  });
  onCleanup(() => {
    throw new Error('boom');
  });
  await assert.rejects(cleanupAll(), /1 cleanup\(s\) failed/);
  assert.equal(ran, true);
});
