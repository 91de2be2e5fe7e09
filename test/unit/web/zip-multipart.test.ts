import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZipWriter } from '../../../src/web/zip';
import { multipartParams, parseMultipart } from '../../../src/web/multipart';
import { likePattern } from '../../../src/web/local-db';

async function zipOf(files: [string, Buffer][]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const z = new ZipWriter(out);
  for (const [name, data] of files) await z.add(name, (async function* () { yield data.subarray(0, 3); yield data.subarray(3); })());
  await z.finish();
  return Buffer.concat(chunks);
}

test('zip: Python zipfile reads back names and bytes, CRCs check out', async () => {
  const files: [string, Buffer][] = [['a/one.dcm', Buffer.from('hello world')], ['b/twö.dcm', Buffer.alloc(70000, 7)], ['empty', Buffer.alloc(0)]];
  const zip = await zipOf(files);
  const dir = mkdtempSync(join(tmpdir(), 'zip-'));
  writeFileSync(join(dir, 'x.zip'), zip);
  const py = `import zipfile,sys,hashlib,json\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps([[i.filename,i.compress_type,hashlib.sha1(z.read(i)).hexdigest()] for i in z.infolist()]))`;
  const r = spawnSync('python3', ['-c', py, join(dir, 'x.zip')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { createHash } = await import('node:crypto');
  assert.deepEqual(JSON.parse(r.stdout), files.map(([n, d]) => [n, 0, createHash('sha1').update(d).digest('hex')]));
});

test('multipart: boundary parameter quoted or not; parts split with headers; binary bodies intact', () => {
  assert.deepEqual(multipartParams('multipart/related; type="application/dicom"; boundary="a b"'), { boundary: 'a b', type: 'application/dicom' });
  assert.deepEqual(multipartParams('Multipart/Related;boundary=xyz'), { boundary: 'xyz', type: undefined });
  assert.throws(() => multipartParams('application/dicom'), { status: 415 });
  const bin = Buffer.from([0, 13, 10, 45, 45, 255]);
  const body = Buffer.concat([Buffer.from('preamble\r\n--xyz\r\nContent-Type: application/dicom\r\nX-A: 1\r\n\r\n'), bin, Buffer.from('\r\n--xyz\r\n\r\nsecond\r\n--xyz--\r\n')]);
  const parts = parseMultipart(body, 'xyz');
  assert.equal(parts.length, 2);
  assert.deepEqual(parts[0].headers, { 'content-type': 'application/dicom', 'x-a': '1' });
  assert.ok(parts[0].body.equals(bin));
  assert.equal(parts[1].body.toString(), 'second');
});

test('study search: DICOM wildcards become LIKE patterns, SQL wildcards are escaped', () => {
  assert.equal(likePattern('DOE*'), 'DOE%');
  assert.equal(likePattern('D?E'), 'D_E');
  assert.equal(likePattern('50%_a'), '50\\%\\_a');
  assert.equal(likePattern('DOE', true), 'DOE%');
});
