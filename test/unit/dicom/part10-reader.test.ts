import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPart10Meta, readPart10MetaFromFile } from '../../../src/dicom/part10-reader';
import { EdgeError } from '../../../src/util/errors';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const INSTANCE = '1.2.826.0.1.3680043.2.1143.77';
const ELE = '1.2.840.10008.1.2.1';

const pad = (s: string, p = '\0') => Buffer.from(s.length % 2 ? s + p : s, 'latin1');

/** One Explicit VR LE group 0002 element (PS3.10 7.1). */
function metaEl(element: number, vr: string, v: Buffer): Buffer {
  const long = vr === 'OB' || vr === 'UN';
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(0x0002, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(v.length, 8);
  else h.writeUInt16LE(v.length, 6);
  return Buffer.concat([h, v]);
}

interface FileOptions {
  groupLength?: boolean;
  ts?: string;
  extra?: Buffer;
}

const DATASET = Buffer.from('08001600' + '0200' + '0000', 'hex'); // (0008,0016) implicit, empty

function part10(o: FileOptions = {}): { file: Buffer; metaEnd: number } {
  const body = Buffer.concat([
    metaEl(0x0001, 'OB', Buffer.from([0, 1])),
    metaEl(0x0002, 'UI', pad(CT)),
    metaEl(0x0003, 'UI', pad(INSTANCE)),
    metaEl(0x0010, 'UI', pad(o.ts ?? ELE)),
    metaEl(0x0012, 'UI', pad('1.2.840.114093.1.1')),
    metaEl(0x0013, 'SH', pad('EDGE_010', ' ')),
    ...(o.extra ? [o.extra] : []),
  ]);
  const gl = o.groupLength === false ? Buffer.alloc(0) : metaEl(0x0000, 'UL', Buffer.from(Uint32Array.of(body.length).buffer));
  const head = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), gl, body]);
  return { file: Buffer.concat([head, DATASET]), metaEnd: head.length };
}

test('reads transfer syntax, SOP class/instance and the data set offset', () => {
  const { file, metaEnd } = part10();
  const m = readPart10Meta(file);
  assert.equal(m.transferSyntaxUid, ELE);
  assert.equal(m.sopClassUid, CT);
  assert.equal(m.sopInstanceUid, INSTANCE);
  assert.equal(m.datasetOffset, metaEnd);
  assert.equal(m.meta.FileMetaInformationVersion, '0001');
  assert.equal(m.meta.ImplementationClassUID, '1.2.840.114093.1.1');
  assert.equal(m.meta.ImplementationVersionName, 'EDGE_010');
  assert.equal(Number(m.meta.FileMetaInformationGroupLength), metaEnd - 144);
});

test('tolerates a meta without group length, and a file that is only meta', () => {
  const { file, metaEnd } = part10({ groupLength: false });
  const m = readPart10Meta(file);
  assert.equal(m.datasetOffset, metaEnd);
  assert.equal(m.meta.FileMetaInformationGroupLength, undefined);
  assert.equal(readPart10Meta(file.subarray(0, metaEnd)).datasetOffset, metaEnd);
});

test('rejects what is not Part 10', () => {
  const { file } = part10();
  const notPart10 = (b: Buffer) => assert.throws(() => readPart10Meta(b), (e: unknown) => e instanceof EdgeError && e.code === 'DICOM_NOT_PART10');
  notPart10(Buffer.alloc(100));
  notPart10(DATASET);
  const noMagic = Buffer.from(file);
  noMagic.write('DICN', 128, 'latin1');
  notPart10(noMagic);
  notPart10(file.subarray(0, 150)); // ends inside the meta
  notPart10(Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), DATASET])); // no group 0002
  // group 0002 without a transfer syntax
  notPart10(Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), metaEl(0x0002, 'UI', pad(CT)), DATASET]));
});

test('reads from a file descriptor and a path, growing the read past a large meta', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'p10-'));
  try {
    // A 10 KB private information value pushes the data set past the first 4 KB read.
    const big = part10({ extra: metaEl(0x0102, 'OB', Buffer.alloc(10000, 7)) });
    const path = join(dir, 'big.dcm');
    writeFileSync(path, big.file);
    const fromPath = await readPart10MetaFromFile(path);
    assert.equal(fromPath.datasetOffset, big.metaEnd);
    assert.equal(fromPath.meta.PrivateInformation.length, 20000);
    const fd = openSync(path, 'r');
    try {
      assert.equal(readPart10Meta(fd).datasetOffset, big.metaEnd);
    } finally {
      closeSync(fd);
    }
    writeFileSync(join(dir, 'short.dcm'), Buffer.alloc(60));
    await assert.rejects(readPart10MetaFromFile(join(dir, 'short.dcm')), { code: 'DICOM_NOT_PART10' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const hasDcmtk = spawnSync('which', ['dump2dcm']).status === 0;

test('reads a file written by DCMTK dump2dcm', { skip: !hasDcmtk && 'dump2dcm not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'p10-'));
  try {
    writeFileSync(join(dir, 'in.txt'), [
      `(0008,0016) UI [${CT}]`,
      `(0008,0018) UI [${INSTANCE}]`,
      '(0010,0010) PN [Doe^Jane]',
    ].join('\n'));
    for (const [flag, ts] of [['+te', ELE], ['+tb', '1.2.840.10008.1.2.2'], ['+ti', '1.2.840.10008.1.2']]) {
      const out = join(dir, `out${flag}.dcm`);
      const r = spawnSync('dump2dcm', [flag, join(dir, 'in.txt'), out], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const m = await readPart10MetaFromFile(out);
      assert.equal(m.transferSyntaxUid, ts);
      assert.equal(m.sopClassUid, CT);
      assert.equal(m.sopInstanceUid, INSTANCE);
      assert.ok(m.meta.ImplementationClassUID.length > 0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
