import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { tmpDir } from '../../helpers/tmp';
import { CompletionCrc, completionMark, isMarkedComplete, parseCompletionMark, MARK_LENGTH } from '../../../src/store/completion';
import { IndexDb } from '../../../src/store/index-db';
import { InstanceStore, type DuplicatePolicy } from '../../../src/store/instance-store';
import { nodeStoreFs } from '../../../src/store/store-fs';
import { sampleDataSet, EVR_LE, CT } from './ds-builder';
import { parseFileMeta } from '../../../src/store/part10';
import { HEAD_BYTES } from '../../../src/store/incoming-instance';

test('completion mark: magic, length and CRC-32 round trip; anything else is no mark', () => {
  const m = completionMark(525152, 0xdeadbeef);
  assert.equal(m.length, MARK_LENGTH);
  assert.equal(m.subarray(0, 8).toString('latin1'), 'EDGEDONE');
  assert.deepEqual(parseCompletionMark(m), { fileLength: 525152, crc: 0xdeadbeef });
  assert.equal(parseCompletionMark(Buffer.alloc(128)), undefined, 'a zero preamble');
  assert.equal(parseCompletionMark(m.subarray(0, 19)), undefined, 'too short');
});

test('CompletionCrc skips the 128-byte preamble, whatever the chunking', () => {
  const file = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 251));
  const want = crc32(file.subarray(128));
  for (const cuts of [[5000], [1, 127, 1, 4871], [100, 28, 4872], [128, 4872], [129, 4871], [3000, 2000]]) {
    const c = new CompletionCrc();
    let off = 0;
    for (const n of cuts) { c.update(file.subarray(off, off + n)); off += n; }
    assert.deepEqual(parseCompletionMark(c.mark()), { fileLength: 5000, crc: want }, `cuts ${cuts}`);
  }
});

async function setup(t: { after(fn: () => unknown): unknown }, duplicates: DuplicatePolicy = 'overwrite') {
  const root = await tmpDir('completion-'); // removed when the file ends: after the pool has stopped
  const index = IndexDb.open(join(root, 'index.sqlite'));
  t.after(() => index.close());
  const store = new InstanceStore({
    root, aeTitle: 'EDGE', implementationClassUid: '1.2.840.114093.1.1', implementationVersionName: '00.01.00.00', duplicates, index, spareFiles: 8,
  });
  t.after(() => store.close());
  await store.recover();
  return { root, index, store };
}

async function storeOne(store: InstanceStore, uid: string) {
  const inst = store.begin({ sopClassUid: CT, sopInstanceUid: uid, transferSyntaxUid: EVR_LE, callingAe: 'MOD', calledAe: 'EDGE' });
  inst.end(sampleDataSet(EVR_LE, { sopInstanceUid: uid }));
  return inst.commit();
}

test('a stored file carries a valid mark; a changed byte or a lost tail is detected', async (t) => {
  const { root, store } = await setup(t);
  const r = await storeOne(store, '1.2.3.40');
  assert.equal(await isMarkedComplete(r.path, nodeStoreFs), true);
  const raw = readFileSync(r.path);
  assert.equal(parseCompletionMark(raw)?.fileLength, statSync(r.path).size);
  assert.equal(raw.subarray(128, 132).toString('latin1'), 'DICM', 'still a Part 10 file');
  const changed = join(root, 'changed.dcm');
  writeFileSync(changed, Buffer.concat([raw.subarray(0, raw.length - 1), Buffer.from([raw[raw.length - 1] ^ 1])]));
  assert.equal(await isMarkedComplete(changed, nodeStoreFs), false);
  const cut = join(root, 'cut.dcm');
  copyFileSync(r.path, cut);
  truncateSync(cut, raw.length - 100);
  assert.equal(await isMarkedComplete(cut, nodeStoreFs), false);
});

test('the mark and the bytes are right for every write shape: small (one write at the end), large in chunks straddling the head, one big chunk', async (t) => {
  const { store } = await setup(t);
  const cases: Array<[string, number, number[]]> = [
    ['small, one chunk', 2_000, [1 << 30]],
    ['small, many chunks', 30_000, [1_000]],
    ['just the head', HEAD_BYTES - 400, [7_000]],
    ['large, chunks straddling the head', 300_000, [7_001]],
    ['large, one chunk', 300_000, [1 << 30]],
    ['large, uneven chunks', 200_000, [65_535, 1, 3, 100_000]],
  ];
  let n = 50;
  for (const [what, pixels, sizes] of cases) {
    const uid = `1.2.3.${n++}`;
    const data = sampleDataSet(EVR_LE, { sopInstanceUid: uid, pixels });
    const inst = store.begin({ sopClassUid: CT, sopInstanceUid: uid, transferSyntaxUid: EVR_LE, callingAe: 'MOD', calledAe: 'EDGE' });
    for (let at = 0, i = 0; at < data.length; i++) {
      const size = sizes[i % sizes.length];
      inst.write(data.subarray(at, at + size));
      at += size;
    }
    const r = await inst.commit();
    const file = readFileSync(r.path);
    const meta = parseFileMeta(file)!;
    assert.ok(file.subarray(meta.dataSetOffset).equals(data), `${what}: data set bytes`);
    assert.equal(await isMarkedComplete(r.path, nodeStoreFs), true, `${what}: mark`);
    assert.equal(parseCompletionMark(file)?.fileLength, file.length, what);
  }
});

test('recover(): a marked file whose rename was lost is put in place and indexed; partial ones are deleted', async (t) => {
  const { root, index, store } = await setup(t);
  const a = await storeOne(store, '1.2.3.41');
  const b = await storeOne(store, '1.2.3.42');
  // Power cut after Success: neither the rename nor the index commit reached the disk.
  renameSync(a.path, join(root, 'spare', 'aaaa.part'));
  index.deleteInstance('1.2.3.41');
  // A reception cut short (same bytes, tail missing) and one that never got its mark.
  copyFileSync(b.path, join(root, 'spare', 'bbbb.part'));
  truncateSync(join(root, 'spare', 'bbbb.part'), statSync(b.path).size - 10);
  writeFileSync(join(root, 'tmp', 'cccc.part'), readFileSync(b.path).fill(0, 0, 8));
  writeFileSync(join(root, 'spare', 'empty.part'), '');
  await store.close();
  const report = await store.recover();
  assert.equal(report.completedTempFiles, 1);
  assert.equal(report.orphanTempFiles, 2);
  assert.equal(report.reindexed, 0);
  assert.deepEqual(report.missingFiles, []);
  const row = index.getInstance('1.2.3.41');
  assert.ok(row, 'indexed again');
  assert.equal(join(root, row.path), a.path, 'back under its own name');
  assert.equal(await isMarkedComplete(a.path, nodeStoreFs), true);
  assert.equal(index.getInstance('1.2.3.42')?.size, statSync(b.path).size, 'the stored copy is untouched');
  for (const d of ['tmp', 'spare']) {
    for (const f of await nodeStoreFs.readdir(join(root, d))) assert.equal(statSync(join(root, d, f)).size, 0, `${d}/${f} is an empty pool file`);
  }
  assert.equal(statSync(join(root, 'spare', 'empty.part')).size, 0, 'an empty file of spare/ is kept: a ready pool file');
  assert.deepEqual(await nodeStoreFs.readdir(join(root, 'tmp')), [], 'tmp/ is emptied');
});

test('recover(): with duplicates = ignore a marked copy of a stored instance is dropped, with overwrite it replaces it', async (t) => {
  for (const policy of ['ignore', 'overwrite'] as const) {
    const { root, index, store } = await setup(t, policy);
    const r = await storeOne(store, '1.2.3.43');
    const copy = readFileSync(r.path);
    writeFileSync(join(root, 'spare', 'dup.part'), copy);
    index.db.prepare('UPDATE instances SET size = 1 WHERE sop_uid = ?').run('1.2.3.43'); // to see a re-index
    await store.close();
    const report = await store.recover();
    assert.equal(report.completedTempFiles, policy === 'overwrite' ? 1 : 0, policy);
    assert.equal(index.getInstance('1.2.3.43')?.size, policy === 'overwrite' ? copy.length : 1, policy);
    assert.deepEqual(readFileSync(r.path), copy);
  }
});
