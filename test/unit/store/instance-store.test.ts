import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpDir } from '../../helpers/tmp';
import { IndexDb } from '../../../src/store/index-db';
import { InstanceStore, StoreError, type DuplicatePolicy, type ExtraInTransaction } from '../../../src/store/instance-store';
import { nodeStoreFs, type StoreFs } from '../../../src/store/store-fs';
import { parseFileMeta } from '../../../src/store/part10';
import type { IncomingInstance } from '../../../src/store/incoming-instance';
import { sampleDataSet, SYNTAXES, EVR_LE, IVR_LE, CT, type SampleOptions } from './ds-builder';
import { CLEAN_STOP_FILE, recover } from '../../../src/store/recover';

/** Every file under <root>/instances (the 256 bucket folders exist from the start). */
function instanceFiles(root: string): string[] {
  const base = join(root, 'instances');
  return readdirSync(base, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dcmjs = require('dcmjs') as { data: { DicomMessage: { readFile(ab: ArrayBuffer): { meta: Record<string, { Value: unknown[] }>; dict: Record<string, { Value: unknown[] }> } } } };

const UID = '1.2.3.4.5.6.7';

async function setup(t: { after(fn: () => unknown): unknown }, o: { duplicates?: DuplicatePolicy; fs?: StoreFs; hook?: ExtraInTransaction; loopBusy?: () => boolean } = {}) {
  const root = await tmpDir('store-'); // removed when the file ends (t.after hooks run first to last)
  const index = IndexDb.open(join(root, 'index.sqlite'));
  t.after(() => index.close());
  const store = new InstanceStore({
    root, aeTitle: 'EDGE', implementationClassUid: '1.2.840.114093.1.1', implementationVersionName: '00.01.00.00',
    duplicates: o.duplicates ?? 'overwrite', index, fs: o.fs, extraInTransaction: o.hook, spareFiles: 8, loopBusy: o.loopBusy,
  });
  t.after(() => store.close()); // recover() starts the file pool: stop it before the folder goes
  await store.init();
  return { root, index, store };
}

function begin(store: InstanceStore, syntax = EVR_LE, sopInstanceUid = UID, sopClassUid = CT) {
  return store.begin({ sopClassUid, sopInstanceUid, transferSyntaxUid: syntax, callingAe: 'MODALITY', calledAe: 'EDGE' });
}

/** Writes like the network layer: small chunks, waiting for 'drain' when write() says so. */
async function send(inst: IncomingInstance, data: Buffer, chunk = 1000): Promise<void> {
  for (let i = 0; i < data.length; i += chunk) {
    if (!inst.write(data.subarray(i, i + chunk))) await once(inst, 'drain');
  }
}

async function store1(store: InstanceStore, data: Buffer, syntax = EVR_LE, uid = UID) {
  const inst = begin(store, syntax, uid);
  await send(inst, data);
  return inst.commit();
}

const tmpFiles = (root: string) => readdirSync(join(root, 'tmp'));

async function rejection(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StoreError, `expected StoreError, got ${e}`);
    return e;
  }
  assert.fail('expected a rejection');
}

for (const syntax of SYNTAXES) {
  test(`stores a ${syntax} data set byte for byte behind a correct meta header`, async (t) => {
    const { root, index, store } = await setup(t);
    const data = sampleDataSet(syntax, { pixels: 300000 });
    const r = await store1(store, data, syntax);
    assert.equal(r.status, 0);
    assert.equal(r.duplicate, 'none');
    assert.ok(r.path.startsWith(join(root, 'instances') + '/'));
    const file = readFileSync(r.path);
    const meta = parseFileMeta(file)!;
    assert.equal(meta.transferSyntaxUid, syntax);
    assert.ok(file.subarray(meta.dataSetOffset).equals(data), 'data set bytes identical, private elements included');
    assert.equal(r.row.size, file.length);
    assert.equal(r.row.dataSetOffset, meta.dataSetOffset);
    const d = dcmjs.data.DicomMessage.readFile(file.buffer.slice(file.byteOffset, file.byteOffset + file.length));
    assert.equal(d.meta['00020002'].Value[0], CT);
    assert.equal(d.meta['00020003'].Value[0], UID);
    assert.equal(d.meta['00020010'].Value[0], syntax);
    assert.equal(d.meta['00020012'].Value[0], '1.2.840.114093.1.1');
    assert.equal(d.meta['00020013'].Value[0], '00.01.00.00');
    assert.equal(d.meta['00020016'].Value[0], 'EDGE');
    assert.equal(d.meta['00020017'].Value[0], 'MODALITY');
    assert.equal(d.meta['00020018'].Value[0], 'EDGE');
    assert.equal(statSync(r.path).mode & 0o777, 0o600);
    assert.deepEqual(tmpFiles(root), []);
    const row = index.getInstance(UID)!;
    assert.equal(row.transfer_syntax, syntax);
    assert.equal(row.calling_ae, 'MODALITY');
    assert.equal(join(root, row.path), r.path);
  });
}

test('the file appears only at commit; before that only a 0600 temp file exists', async (t) => {
  const { root, store } = await setup(t);
  const inst = begin(store);
  // The write callback fires once the bytes are in the temp file.
  await new Promise((r) => inst.write(sampleDataSet(EVR_LE), r));
  const temps = tmpFiles(root);
  assert.equal(temps.length, 1);
  assert.ok(!temps[0].includes(UID), 'temp name is random, not the UID');
  assert.equal(statSync(join(root, 'tmp', temps[0])).mode & 0o777, 0o600);
  assert.deepEqual(instanceFiles(root), []);
  const r = await inst.commit();
  assert.ok(existsSync(r.path));
  assert.deepEqual(tmpFiles(root), []);
  assert.equal(await inst.commit(), r, 'commit() is idempotent');
});

test('discard() removes the temp file and stores nothing', async (t) => {
  const { root, index, store } = await setup(t);
  const inst = begin(store);
  await send(inst, sampleDataSet(EVR_LE).subarray(0, 50));
  await inst.discard();
  assert.deepEqual(tmpFiles(root), []);
  assert.deepEqual(instanceFiles(root), []);
  assert.equal(index.countInstances(), 0);
  await assert.rejects(inst.commit(), /STORE_DISCARDED|discard/);
});

test('SOP Instance or Class UID in the data set ≠ command: A900, nothing kept', async (t) => {
  const { root, index, store } = await setup(t);
  const e1 = await rejection(store1(store, sampleDataSet(EVR_LE, { sopInstanceUid: '1.2.3.999' })));
  assert.equal(e1.status, 0xa900);
  const inst = begin(store, EVR_LE, UID, '1.2.840.10008.5.1.4.1.1.4');
  await send(inst, sampleDataSet(EVR_LE));
  assert.equal((await rejection(inst.commit())).status, 0xa900);
  const e3 = await rejection(store1(store, sampleDataSet(EVR_LE, { studyUid: '' })));
  assert.equal(e3.status, 0xa900, 'no Study Instance UID');
  assert.deepEqual(tmpFiles(root), []);
  assert.deepEqual(instanceFiles(root), []);
  assert.equal(index.countInstances(), 0);
});

test('a SOP Instance UID like ../../x is refused (0117) and nothing is written anywhere', async (t) => {
  const { root, index, store } = await setup(t);
  const parentBefore = readdirSync(dirname(root)).sort();
  const bad = '../../x';
  const inst = begin(store, EVR_LE, bad);
  assert.equal(inst.failed?.status, 0x0117, 'known before any byte arrives');
  await send(inst, sampleDataSet(EVR_LE, { sopInstanceUid: bad }));
  assert.equal((await rejection(inst.commit())).status, 0x0117);
  assert.deepEqual(tmpFiles(root), []);
  assert.deepEqual(instanceFiles(root), []);
  assert.deepEqual(readdirSync(dirname(root)).sort(), parentBefore);
  // (the parent listing above is unchanged, so nothing named x appeared beside the root)
  assert.ok(!existsSync(join(root, 'x')));
  assert.equal(index.countInstances(), 0);
});

test('unparseable data set: C000; unsupported syntax: C000; empty: C000', async (t) => {
  const { root, store } = await setup(t);
  assert.equal((await rejection(store1(store, Buffer.from('garbage, not DICOM at all!')))).status, 0xc000);
  assert.equal((await rejection(store1(store, Buffer.alloc(0)))).status, 0xc000);
  const jpeg = begin(store, '1.2.840.10008.1.2.4.50');
  await send(jpeg, sampleDataSet(EVR_LE));
  assert.equal((await rejection(jpeg.commit())).status, 0xc000);
  assert.deepEqual(tmpFiles(root), []);
});

test('duplicates=overwrite replaces file and row', async (t) => {
  const { index, store } = await setup(t, { duplicates: 'overwrite' });
  await store1(store, sampleDataSet(EVR_LE, { patientName: 'First^Copy' }));
  const second = sampleDataSet(IVR_LE, { patientName: 'Second^Copy' });
  const r = await store1(store, second, IVR_LE);
  assert.equal(r.duplicate, 'overwritten');
  const file = readFileSync(r.path);
  assert.ok(file.subarray(parseFileMeta(file)!.dataSetOffset).equals(second));
  assert.equal(index.countInstances(), 1);
  assert.equal(index.getInstance(UID)!.patient_name, 'Second^Copy');
  assert.equal(index.getInstance(UID)!.transfer_syntax, IVR_LE);
});

test('duplicates=ignore keeps the first copy and answers success', async (t) => {
  const { root, index, store } = await setup(t, { duplicates: 'ignore' });
  const first = sampleDataSet(EVR_LE, { patientName: 'First^Copy' });
  await store1(store, first);
  const r = await store1(store, sampleDataSet(EVR_LE, { patientName: 'Second^Copy' }));
  assert.equal(r.status, 0);
  assert.equal(r.duplicate, 'ignored');
  const file = readFileSync(r.path);
  assert.ok(file.subarray(parseFileMeta(file)!.dataSetOffset).equals(first));
  assert.equal(index.getInstance(UID)!.patient_name, 'First^Copy');
  assert.deepEqual(tmpFiles(root), []);
});

test('duplicates=reject answers 0111 and keeps the first copy', async (t) => {
  const { root, index, store } = await setup(t, { duplicates: 'reject' });
  const first = await store1(store, sampleDataSet(EVR_LE, { patientName: 'First^Copy' }));
  const e = await rejection(store1(store, sampleDataSet(EVR_LE, { patientName: 'Second^Copy' })));
  assert.equal(e.status, 0x0111);
  assert.equal(e.code, 'STORE_DUPLICATE');
  assert.ok(existsSync(first.path));
  assert.equal(index.getInstance(UID)!.patient_name, 'First^Copy');
  assert.deepEqual(tmpFiles(root), []);
});

/** A file system whose writes fail with `code` once `limit` bytes have been written. */
function failingFs(limit: number, code: string, where: 'write' | 'fsync' = 'write'): StoreFs {
  let written = 0;
  const err = () => Object.assign(new Error(`${code}: simulated`), { code });
  return {
    ...nodeStoreFs,
    async writeAll(fd, bufs) {
      const n = bufs.reduce((a, b) => a + b.length, 0);
      if (where === 'write' && written + n > limit) throw err();
      written += n;
      return nodeStoreFs.writeAll(fd, bufs);
    },
    async fsync(fd) {
      if (where === 'fsync') throw err();
      return nodeStoreFs.fsync(fd);
    },
  };
}

for (const code of ['ENOSPC', 'EDQUOT', 'EIO']) {
  test(`${code} in the middle of a data set: A700, the rest is drained, no temp file left`, async (t) => {
    const { root, index, store } = await setup(t, { fs: failingFs(5000, code) });
    const inst = begin(store);
    const data = sampleDataSet(EVR_LE, { pixels: 50000 });
    await send(inst, data);
    const e = await rejection(inst.commit());
    assert.equal(e.status, 0xa700);
    assert.equal(inst.failed, e);
    assert.equal(inst.bytesReceived, data.length, 'bytes after the failure were still accepted (drained)');
    assert.match(e.message, new RegExp(code));
    assert.deepEqual(tmpFiles(root), []);
    assert.deepEqual(instanceFiles(root), []);
    assert.equal(index.countInstances(), 0);
  });
}

test('a small data set (written once, at its end) on a full disk: A700 naming the write, nothing partial left', async (t) => {
  const { root, index, store } = await setup(t, { fs: failingFs(100, 'ENOSPC') });
  const inst = begin(store);
  const data = sampleDataSet(EVR_LE, { pixels: 2000 });
  await send(inst, data);
  const e = await rejection(inst.commit());
  assert.equal(e.status, 0xa700);
  assert.match(e.message, /writing the data set.*ENOSPC|ENOSPC.*writing the data set/);
  assert.deepEqual(tmpFiles(root), []);
  assert.deepEqual(instanceFiles(root), []);
  for (const f of readdirSync(join(root, 'spare'))) assert.equal(statSync(join(root, 'spare', f)).size, 0, `spare/${f} is an empty ready file`);
  assert.equal(index.countInstances(), 0);
});

test('fsync failure at the end: A700 and nothing left', async (t) => {
  const { root, store } = await setup(t, { fs: failingFs(0, 'EIO', 'fsync') });
  const e = await rejection(store1(store, sampleDataSet(EVR_LE)));
  assert.equal(e.status, 0xa700);
  assert.deepEqual(tmpFiles(root), []);
});

async function storedName(store: InstanceStore, index: IndexDb, o: SampleOptions, syntax: string, uid: string) {
  await store1(store, sampleDataSet(syntax, { ...o, sopInstanceUid: uid }), syntax, uid);
  return index.getInstance(uid)!;
}

test('ISO_IR 100 and ISO_IR 192 names reach the index decoded', async (t) => {
  const { index, store } = await setup(t);
  const latin = await storedName(store, index, { charset: 'ISO_IR 100', patientId: 'L1', patientName: Buffer.from('Müller^Jürgen', 'latin1') }, IVR_LE, '1.2.3.1');
  assert.equal(latin.patient_name, 'Müller^Jürgen');
  const row = index.db.prepare('SELECT patient_name_norm AS n FROM patients WHERE patient_id = ?').get('L1') as { n: string };
  assert.equal(row.n, 'MÜLLER^JÜRGEN');
  const jp = await storedName(store, index, { charset: 'ISO_IR 192', patientId: 'J1', patientName: Buffer.from('Yamada^Tarou=山田^太郎', 'utf8') }, EVR_LE, '1.2.3.2');
  assert.equal(jp.patient_name, 'Yamada^Tarou');
  assert.equal(jp.patient_name_full, 'Yamada^Tarou=山田^太郎');
  const jp2 = await storedName(store, index, { charset: 'ISO_IR 192', patientId: 'J2', patientName: Buffer.from('山田^太郎', 'utf8') }, EVR_LE, '1.2.3.3');
  assert.equal(jp2.patient_name, '山田^太郎');
});

test('extraInTransaction runs in the index transaction; if it throws nothing is kept', async (t) => {
  const { root, index, store } = await setup(t);
  index.db.exec('CREATE TABLE queue (sop_uid TEXT)');
  const ok = begin(store);
  const inst = store.begin({ sopClassUid: CT, sopInstanceUid: UID, transferSyntaxUid: EVR_LE, callingAe: 'M', calledAe: 'EDGE' }, {
    extraInTransaction: (db, row) => {
      db.prepare('INSERT INTO queue VALUES (?)').run(row.sopInstanceUid);
      assert.ok(db.inTransaction);
    },
  });
  await send(inst, sampleDataSet(EVR_LE));
  await inst.commit();
  assert.equal((index.db.prepare('SELECT COUNT(*) AS n FROM queue').get() as { n: number }).n, 1);
  await ok.discard();
  const failing = store.begin({ sopClassUid: CT, sopInstanceUid: '1.2.3.77', transferSyntaxUid: EVR_LE, callingAe: 'M', calledAe: 'EDGE' }, {
    extraInTransaction: () => { throw Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' }); },
  });
  await send(failing, sampleDataSet(EVR_LE, { sopInstanceUid: '1.2.3.77' }));
  assert.equal((await rejection(failing.commit())).status, 0xa700);
  assert.equal(index.getInstance('1.2.3.77'), undefined);
  assert.equal(index.countInstances(), 1);
  const files = readdirSync(join(root, 'instances'), { recursive: true }).filter((f) => String(f).endsWith('.dcm'));
  assert.equal(files.length, 1, 'the file of the failed commit was removed');
  assert.deepEqual(tmpFiles(root), []);
});

test('recover(): orphan temp files, rows without files, files without rows', async (t) => {
  const { root, index, store } = await setup(t);
  const a = await store1(store, sampleDataSet(EVR_LE, { sopInstanceUid: '1.2.3.10' }), EVR_LE, '1.2.3.10');
  const b = await store1(store, sampleDataSet(IVR_LE, { sopInstanceUid: '1.2.3.11' }), IVR_LE, '1.2.3.11');
  writeFileSync(join(root, 'tmp', 'deadbeef.part'), 'half a data set');
  rmSync(a.path);
  index.deleteInstance('1.2.3.11'); // crash between rename and index commit
  const report = await store.recover();
  assert.equal(report.orphanTempFiles, 1);
  assert.deepEqual(report.missingFiles, ['1.2.3.10']);
  assert.equal(report.reindexed, 1);
  assert.deepEqual(report.unreadable, []);
  assert.deepEqual(report.integrityProblems, []);
  assert.deepEqual(tmpFiles(root), []);
  assert.equal(index.getInstance('1.2.3.10'), undefined);
  const back = index.getInstance('1.2.3.11')!;
  assert.equal(back.transfer_syntax, IVR_LE);
  assert.equal(join(root, back.path), b.path);
  assert.equal(back.calling_ae, 'MODALITY');
  assert.equal(back.patient_name, 'Doe^John');
});

test('recover(): a file whose row was lost (power loss with synchronous=NORMAL) is indexed again and its hooks run', async (t) => {
  const hooked: string[] = [];
  const { index, store } = await setup(t, { hook: (_db, row) => { hooked.push(row.sopInstanceUid); } });
  await store1(store, sampleDataSet(EVR_LE, { sopInstanceUid: '1.2.3.20' }), EVR_LE, '1.2.3.20');
  assert.deepEqual(hooked, ['1.2.3.20']);
  index.deleteInstance('1.2.3.20'); // the commit that never reached the disk
  const report = await store.recover();
  assert.equal(report.reindexed, 1);
  assert.deepEqual(hooked, ['1.2.3.20', '1.2.3.20'], 'the forwarding hook ran again, so routes are queued again');
  assert.ok(index.getInstance('1.2.3.20'));
});

test('writes are paced by backpressure: never more than about highWaterMark buffered', async (t) => {
  const { store } = await setup(t);
  const inst = begin(store);
  const data = sampleDataSet(EVR_LE, { pixels: 2 * 1024 * 1024 });
  let refusals = 0;
  let maxBuffered = 0;
  for (let i = 0; i < data.length; i += 64 * 1024) {
    const more = inst.write(data.subarray(i, i + 64 * 1024));
    maxBuffered = Math.max(maxBuffered, inst.writableLength);
    if (!more) {
      refusals++;
      await once(inst, 'drain');
    }
  }
  assert.ok(refusals > 0, 'write() returned false at least once');
  assert.ok(maxBuffered <= inst.writableHighWaterMark + 64 * 1024);
  const r = await inst.commit();
  assert.equal(r.row.size, r.row.dataSetOffset + data.length);
});

test('two associations committing the same instance at once: one file, one row', async (t) => {
  const { root, index, store } = await setup(t, { duplicates: 'overwrite' });
  const [a, b] = [begin(store), begin(store, IVR_LE)];
  await Promise.all([send(a, sampleDataSet(EVR_LE)), send(b, sampleDataSet(IVR_LE))]);
  const [ra, rb] = await Promise.all([a.commit(), b.commit()]);
  assert.deepEqual([ra.duplicate, rb.duplicate].sort(), ['none', 'overwritten']);
  assert.equal(index.countInstances(), 1);
  assert.deepEqual(tmpFiles(root), []);
});

test('a real full file system (1 MiB tmpfs, root only): A700, nothing left, then recovers', async (t) => {
  const { execFileSync } = await import('node:child_process');
  if (process.getuid?.() !== 0) return t.skip('needs root to mount tmpfs');
  const { mkdirSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const base = mkdtempSync(join(tmpdir(), 'store-tmpfs-'));
  const root = join(base, 'root');
  mkdirSync(root);
  let mounted = false;
  // One hook, in this order: node:test runs after() hooks first-registered first.
  t.after(() => {
    if (mounted) execFileSync('umount', [root]);
    rmSync(base, { recursive: true, force: true });
  });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', root]);
    mounted = true;
  } catch {
    return t.skip('mount not permitted here');
  }
  const index = IndexDb.open(join(base, 'index.sqlite'));
  t.after(() => index.close());
  const store = new InstanceStore({ root, aeTitle: 'EDGE', implementationClassUid: '1.2.3', implementationVersionName: 'T', duplicates: 'overwrite', index, spareFiles: 8 });
  await store.init();
  const e = await rejection(store1(store, sampleDataSet(EVR_LE, { pixels: 3 * 1024 * 1024 })));
  assert.equal(e.status, 0xa700);
  assert.match(e.message, /ENOSPC/);
  assert.deepEqual(tmpFiles(root), []);
  const r = await store1(store, sampleDataSet(EVR_LE, { pixels: 1000 }));
  assert.equal(r.status, 0, 'space was released: the next instance fits');
});

test('receptions in progress are counted from begin() to their fsync, or until dropped (the fsync runs inline only when alone)', async (t) => {
  const { store } = await setup(t);
  await store.recover();
  const a = begin(store, EVR_LE, '1.2.3.901');
  const b = begin(store, EVR_LE, '1.2.3.902');
  assert.equal(store.receptionsInProgress, 2);
  await send(a, sampleDataSet(EVR_LE, { sopInstanceUid: '1.2.3.901' }));
  assert.equal((await a.commit()).status, 0);
  assert.equal(store.receptionsInProgress, 1, 'a is on disk');
  await b.discard();
  assert.equal(store.receptionsInProgress, 0, 'b dropped');
  const c = begin(store, EVR_LE, 'not/a/uid');
  await c.commit().catch(() => undefined);
  assert.equal(store.receptionsInProgress, 0, 'a refused reception ends too');
});

test('the fsync runs on the event loop only while nothing else needs it: not while the forwarder is sending', async (t) => {
  let forwarding = false;
  const { store } = await setup(t, { loopBusy: () => forwarding });
  await store.recover();
  const one = async (uid: string) => {
    const inst = begin(store, EVR_LE, uid);
    await send(inst, sampleDataSet(EVR_LE, { sopInstanceUid: uid }));
    assert.equal((await inst.commit()).status, 0);
  };
  await one('1.2.3.911');
  assert.equal(store.inlineFsyncs, 1, 'alone: inline');
  forwarding = true;
  await one('1.2.3.912');
  assert.equal(store.inlineFsyncs, 1, 'while forwarding: on the thread pool');
  forwarding = false;
  await one('1.2.3.913');
  assert.equal(store.inlineFsyncs, 2);
});

test('recover() after a clean stop sweeps only tmp/ and spare/, consumes the marker, and the next start checks in full (CLEAN_STOP)', async (t) => {
  const { root, index, store } = await setup(t);
  const a = await store1(store, sampleDataSet(EVR_LE, { sopInstanceUid: '1.2.3.30' }), EVR_LE, '1.2.3.30');
  writeFileSync(join(root, 'tmp', 'cafe.part'), 'half a data set');
  assert.equal(await store.markCleanStop(), true);
  assert.ok(existsSync(join(root, CLEAN_STOP_FILE)));
  rmSync(a.path); // not something a clean stop leaves: shows which check ran
  const light = await store.recover();
  assert.equal(light.fullCheck, false);
  assert.equal(light.orphanTempFiles, 1, 'tmp/ is swept all the same');
  assert.deepEqual(light.missingFiles, [], 'rows and files not cross-checked');
  assert.ok(!existsSync(join(root, CLEAN_STOP_FILE)), 'the marker is consumed');
  const full = await store.recover();
  assert.equal(full.fullCheck, true);
  assert.deepEqual(full.missingFiles, ['1.2.3.30']);
  assert.equal(index.getInstance('1.2.3.30'), undefined);
});

test('markCleanStop() leaves no marker while a reception is still in progress', async (t) => {
  const { root, store } = await setup(t);
  const inst = begin(store, EVR_LE, '1.2.3.31');
  inst.write(sampleDataSet(EVR_LE, { sopInstanceUid: '1.2.3.31' }).subarray(0, 100));
  assert.equal(await store.markCleanStop(), false);
  assert.ok(!existsSync(join(root, CLEAN_STOP_FILE)));
  inst.destroy();
});

test('recover(): the full check pages through the rows and looks files up folder by folder (BOUNDED_CHECK); its scratch file goes', async (t) => {
  const { root, index, store } = await setup(t);
  const stored = [];
  for (let i = 0; i < 5; i++) stored.push(await store1(store, sampleDataSet(EVR_LE, { sopInstanceUid: `1.2.3.4${i}` }), EVR_LE, `1.2.3.4${i}`));
  rmSync(stored[1].path); // a row without its file
  index.deleteInstance('1.2.3.43'); // a file without its row
  await store.init();
  const { report } = await recover(store, index, nodeStoreFs, { pageSize: 2 });
  assert.equal(report.fullCheck, true);
  assert.deepEqual(report.missingFiles, ['1.2.3.41']);
  assert.equal(report.reindexed, 1);
  assert.deepEqual(report.unreadable, []);
  assert.equal(index.countInstances(), 4);
  assert.ok(index.getInstance('1.2.3.43'));
  assert.deepEqual(readdirSync(join(root, 'tmp')), [], 'the scratch database is removed');
});

test('markCleanStop() makes every folder change durable before the marker: bucket folders, spare/, tmp/, then the root', async (t) => {
  const synced: string[] = [];
  const fs: StoreFs = { ...nodeStoreFs, fsyncDir: async (p) => { synced.push(p); await nodeStoreFs.fsyncDir(p); } };
  const { root, store } = await setup(t, { fs });
  synced.length = 0;
  assert.equal(await store.markCleanStop(), true);
  const buckets = synced.filter((p) => p.startsWith(join(root, 'instances') + '/'));
  assert.equal(buckets.length, 256, 'every bucket folder (retention deletes files there without a folder fsync)');
  assert.ok(synced.includes(join(root, 'spare')) && synced.includes(join(root, 'tmp')));
  assert.equal(synced.at(-1), root, 'the root (the marker entry) last');
});
