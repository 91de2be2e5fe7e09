/**
 * ZIP64 in the study download (src/web/zip.ts), read back by Python's zipfile and Info-ZIP
 * `unzip -t` (which checks every CRC and size). The 4 GiB archive is a sparse file: the
 * test's sink skips the all-zero chunks it is given instead of writing them, so the test
 * writes a few KiB to disk while the readers still read (zeros) through 4 GiB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ZipWriter } from '../../../src/web/zip';
import { tmpDir } from '../../helpers/tmp';

const MIB = 1024 * 1024;
const ZERO = Buffer.alloc(MIB);

/** Writes to `path`, leaving holes for the chunks that are `ZERO` itself. */
function sparseFile(path: string): Writable & { close(): void } {
  const fd = openSync(path, 'w');
  let pos = 0;
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (chunk !== ZERO) writeSync(fd, chunk, 0, chunk.length, pos);
      pos += chunk.length;
      cb();
    },
  });
  return Object.assign(w, { close: () => { ftruncateSync(fd, pos); closeSync(fd); } });
}

async function* zeros(bytes: number): AsyncIterable<Buffer> {
  for (let left = bytes; left > 0; left -= MIB) yield left >= MIB ? ZERO : ZERO.subarray(0, left);
}

async function* once(b: Buffer): AsyncIterable<Buffer> {
  yield b;
}

/**
 * Python's view of the archive: names, sizes, header offsets; with `crc`, testzip() checks
 * every CRC (skipped for the 4 GiB one, where `unzip -t` does it: both would take ~25 s).
 */
function pythonRead(zip: string, crc = true): { bad: string | null; entries: Array<[string, number, number]>; count: number } {
  const py = [
    'import zipfile,sys,json',
    'z=zipfile.ZipFile(sys.argv[1])',
    `bad=${crc ? 'z.testzip()' : 'None'}`,
    'l=z.infolist()',
    'print(json.dumps({"bad":bad,"count":len(l),"entries":[[i.filename,i.file_size,i.header_offset] for i in l[:3]+l[-1:]]}))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', py, zip], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function unzipTest(zip: string): string {
  const r = spawnSync('unzip', ['-tqq', zip], { encoding: 'utf8' });
  assert.equal(r.error, undefined, 'unzip is installed (scripts/install-test-deps)');
  assert.equal(r.status, 0, `unzip -t: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

test('zip: a small archive stays plain ZIP (no ZIP64 record, version 2.0)', async (t) => {
  const dir = await tmpDir('zip64-', t);
  const path = join(dir, 'small.zip');
  const out = sparseFile(path);
  const z = new ZipWriter(out);
  await z.add('a.dcm', once(Buffer.from('hello')));
  await z.finish();
  out.close();
  const bytes = spawnSync('cat', [path]).stdout;
  assert.equal(bytes.indexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06])), -1, 'no ZIP64 end record');
  assert.equal(bytes.readUInt16LE(4), 20, 'version needed 2.0');
  unzipTest(path);
});

test('zip64: a file over 4 GiB, a file after the 4 GiB mark, CRCs and sizes read back', async (t) => {
  const dir = await tmpDir('zip64-', t);
  const path = join(dir, 'big.zip');
  const out = sparseFile(path);
  const z = new ZipWriter(out);
  const bigSize = 4 * 1024 * MIB + 3 * MIB + 7; // over 0xFFFFFFFF
  await z.add('first.dcm', once(Buffer.from('first')));
  await z.add('big.bin', zeros(bigSize), new Date(), bigSize);
  await z.add('after.dcm', once(Buffer.from('after the 4 GiB mark')));
  await z.finish();
  out.close();
  const r = pythonRead(path, false);
  assert.equal(r.count, 3);
  const [first, big, after] = r.entries;
  assert.deepEqual(first, ['first.dcm', 5, 0]);
  assert.deepEqual(big.slice(0, 2), ['big.bin', bigSize]);
  assert.equal(after[0], 'after.dcm');
  assert.ok(after[2] > 0xffffffff, `local header offset ${after[2]} past 4 GiB (ZIP64 extra field)`);
  unzipTest(path); // every CRC and size, local headers and 8-byte data descriptors included
});

test('zip64: more than 65,535 files (ZIP64 end record for the count)', async (t) => {
  const dir = await tmpDir('zip64-', t);
  const path = join(dir, 'many.zip');
  const out = sparseFile(path);
  const z = new ZipWriter(out);
  const n = 70000;
  const one = Buffer.from('x');
  for (let i = 0; i < n; i++) await z.add(`f${i}.dcm`, once(one));
  await z.finish();
  out.close();
  const r = pythonRead(path);
  assert.equal(r.bad, null);
  assert.equal(r.count, n);
  assert.equal(r.entries[3][0], `f${n - 1}.dcm`);
  unzipTest(path);
});

test('zip: an unannounced file that passes 4 GiB fails clearly instead of writing a broken archive', async () => {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const z = new ZipWriter(sink);
  await assert.rejects(z.add('big.bin', zeros(4 * 1024 * MIB + MIB)), { code: 'ZIP_SIZE_UNKNOWN' });
});
