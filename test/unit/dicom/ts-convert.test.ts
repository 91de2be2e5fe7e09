import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  EXPLICIT_VR_BIG_ENDIAN as EBE, EXPLICIT_VR_LITTLE_ENDIAN as ELE, IMPLICIT_VR_LITTLE_ENDIAN as ILE,
  convertDataset, createConverter,
} from '../../../src/dicom/ts-convert';
import { ConverterCore } from '../../../src/dicom/ts-convert-core';
import { implicitVr } from '../../../src/dicom/vr-dictionary';

// ---- an Implicit VR Little Endian data set built by hand (PS3.5 7.1.3) ----
const UNDEF = 0xffffffff;

function el(tag: number, value: Buffer, length = value.length): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.writeUInt32LE(length, 4);
  return Buffer.concat([h, value]);
}
const str = (s: string, pad = ' ') => Buffer.from(s.length % 2 ? s + pad : s, 'latin1');
const uid = (s: string) => str(s, '\0');
function nums(bytes: number, write: (b: Buffer, v: number, o: number) => void, ...vals: number[]): Buffer {
  const b = Buffer.alloc(bytes * vals.length);
  vals.forEach((v, i) => write(b, v, i * bytes));
  return b;
}
const us = (...v: number[]) => nums(2, (b, x, o) => b.writeUInt16LE(x, o), ...v);
const ul = (...v: number[]) => nums(4, (b, x, o) => b.writeUInt32LE(x, o), ...v);
const fd = (...v: number[]) => nums(8, (b, x, o) => b.writeDoubleLE(x, o), ...v);
const at = (tag: number) => us(tag >>> 16, tag & 0xffff);
const ITEM = 0xfffee000;
const item = (body: Buffer, undef = false) =>
  undef ? Buffer.concat([el(ITEM, body, UNDEF), el(0xfffee00d, Buffer.alloc(0))]) : el(ITEM, body);
function seq(tag: number, items: Buffer[], undef = false): Buffer {
  const body = Buffer.concat(items);
  return undef ? Buffer.concat([el(tag, body, UNDEF), el(0xfffee0dd, Buffer.alloc(0))]) : el(tag, body);
}

interface Options {
  undefinedLengths?: boolean;
  groupLength?: boolean;
  privateSequence?: boolean;
}

/** Strings, US, UL, FD, AT, nested sequences, a private block and 16-bit OW pixels. */
function sampleDataset(o: Options = {}): Buffer {
  const u = o.undefinedLengths ?? true;
  const g8 = [
    el(0x00080016, uid('1.2.840.10008.5.1.4.1.1.7')),
    el(0x00080018, uid('1.2.826.0.1.3680043.2.1143.1')),
    el(0x00080020, str('20240102')),
    el(0x00080060, str('OT')),
    seq(0x00081140, [item(Buffer.concat([el(0x00081150, uid('1.2.840.10008.5.1.4.1.1.7')), el(0x00081155, uid('1.2.3.4.5'))]))]),
  ];
  const group8 = Buffer.concat(g8);
  const parts = [
    ...(o.groupLength ? [el(0x00080000, ul(group8.length))] : []),
    group8,
    el(0x00090010, str('ACME 1.0')),
    el(0x00091001, Buffer.from([1, 2, 3, 4, 5, 6])),
    ...(o.privateSequence ? [seq(0x00091002, [item(el(0x00091003, str('HIDDEN')), true)], true)] : []),
    el(0x00100010, str('Doe^Jane')),
    el(0x00189087, fd(1000.5, -2.25)),
    el(0x00280009, at(0x00181063)),
    el(0x00280010, us(2)), el(0x00280011, us(2)), el(0x00280100, us(16)), el(0x00280103, us(0)),
    el(0x00280106, us(7)),
    el(0x00289001, ul(0x01020304)),
    seq(0x00400275, [
      item(Buffer.concat([
        seq(0x00400008, [item(Buffer.concat([el(0x00080100, str('T-1234')), el(0x00080102, str('99X'))]))], u),
        el(0x00401001, str('RP1')),
      ]), u),
      item(el(0x00401001, str('RP2')), false),
    ], u),
    el(0x7fe00010, us(0x0102, 0x0304, 0xfffe, 0x8001)),
  ];
  return Buffer.concat(parts);
}

// ---- helpers ----
function find(buf: Buffer, bytes: number[]): number {
  return buf.indexOf(Buffer.from(bytes));
}

async function streamConvert(input: Buffer, from: string, to: string, sizes: () => number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let off = 0; off < input.length;) {
    const n = Math.max(1, Math.min(sizes(), input.length - off));
    pieces.push(input.subarray(off, off + n));
    off += n;
  }
  const out: Buffer[] = [];
  const conv = createConverter(from, to);
  conv.on('data', (c: Buffer) => out.push(c));
  await new Promise<void>((resolve, reject) => {
    conv.on('end', resolve).on('error', reject);
    Readable.from(pieces).on('error', reject).pipe(conv);
  });
  return Buffer.concat(out);
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

// ---- tests ----
test('IVR LE → EVR LE → EVR BE → EVR LE → IVR LE is bit-exact', () => {
  for (const opts of [{}, { undefinedLengths: false }, { groupLength: true, privateSequence: true }]) {
    const ivr = sampleDataset(opts);
    const ele = convertDataset(ivr, ILE, ELE);
    const ebe = convertDataset(ele, ELE, EBE);
    const ele2 = convertDataset(ebe, EBE, ELE);
    const back = convertDataset(ele2, ELE, ILE);
    assert.ok(!ele.equals(ivr) && !ebe.equals(ele));
    assert.deepEqual(ele2, ele);
    assert.deepEqual(back, ivr);
    // The direct routes agree with the chained ones.
    assert.deepEqual(convertDataset(ivr, ILE, EBE), ebe);
    assert.deepEqual(convertDataset(ebe, EBE, ILE), ivr);
  }
});

test('implicit → explicit LE writes the dictionary VRs, LO for private creators, UN for private data', () => {
  const ele = convertDataset(sampleDataset(), ILE, ELE);
  // (0009,0010) LO, 16-bit length 8
  assert.ok(find(ele, [0x09, 0, 0x10, 0, 0x4c, 0x4f, 8, 0]) >= 0);
  // (0009,1001) UN, reserved 0000, 32-bit length 6, bytes untouched
  assert.ok(find(ele, [0x09, 0, 0x01, 0x10, 0x55, 0x4e, 0, 0, 6, 0, 0, 0, 1, 2, 3, 4, 5, 6]) >= 0);
  // (0018,9087) FD length 16; (0028,0009) AT length 4; (0028,9001) UL
  assert.ok(find(ele, [0x18, 0, 0x87, 0x90, 0x46, 0x44, 16, 0]) >= 0);
  assert.ok(find(ele, [0x28, 0, 0x09, 0, 0x41, 0x54, 4, 0, 0x18, 0, 0x63, 0x10]) >= 0);
  assert.ok(find(ele, [0x28, 0, 0x01, 0x90, 0x55, 0x4c, 4, 0]) >= 0);
  // (0028,0106) US or SS: PixelRepresentation 0 → US
  assert.ok(find(ele, [0x28, 0, 0x06, 0x01, 0x55, 0x53, 2, 0]) >= 0);
  // (0040,0275) SQ of undefined length
  assert.ok(find(ele, [0x40, 0, 0x75, 0x02, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]) >= 0);
  // (7FE0,0010) OW (Bits Allocated 16), 32-bit length 8
  assert.ok(find(ele, [0xe0, 0x7f, 0x10, 0, 0x4f, 0x57, 0, 0, 8, 0, 0, 0, 2, 1, 4, 3]) >= 0);
});

test('defined-length sequences get their new lengths', () => {
  const ivr = sampleDataset({ undefinedLengths: false });
  const ele = convertDataset(ivr, ILE, ELE);
  const at0 = find(ele, [0x08, 0, 0x40, 0x11, 0x53, 0x51, 0, 0]);
  assert.ok(at0 >= 0);
  // Explicit headers of the two UIs are 8 bytes like implicit ones, so the item keeps
  // 52 bytes; the sequence value is the item header plus that.
  const seqLen = ele.readUInt32LE(at0 + 8);
  const itemLen = ele.readUInt32LE(at0 + 16);
  assert.equal(seqLen, 8 + itemLen);
  assert.equal(itemLen, 8 + 26 + 8 + 10);
  assert.equal(ele.readUInt32LE(at0 + 12), 0xe000fffe);
});

test('explicit BE swaps binary values per VR and leaves strings, OB and UN alone', () => {
  const ebe = convertDataset(sampleDataset(), ILE, EBE);
  // FD: each 8-byte double big-endian
  const fdAt = find(ebe, [0, 0x18, 0x90, 0x87, 0x46, 0x44, 0, 16]);
  assert.equal(ebe.readDoubleBE(fdAt + 8), 1000.5);
  assert.equal(ebe.readDoubleBE(fdAt + 16), -2.25);
  // AT: group and element each 16-bit big-endian
  assert.ok(find(ebe, [0, 0x28, 0, 0x09, 0x41, 0x54, 0, 4, 0, 0x18, 0x10, 0x63]) >= 0);
  // UL, US, OW pixels
  assert.ok(find(ebe, [0, 0x28, 0x90, 0x01, 0x55, 0x4c, 0, 4, 1, 2, 3, 4]) >= 0);
  assert.ok(find(ebe, [0, 0x28, 0x01, 0x00, 0x55, 0x53, 0, 2, 0, 16]) >= 0);
  assert.ok(find(ebe, [0x7f, 0xe0, 0, 0x10, 0x4f, 0x57, 0, 0, 0, 0, 0, 8, 1, 2, 3, 4, 0xff, 0xfe, 0x80, 0x01]) >= 0);
  // strings and UN unchanged
  assert.ok(find(ebe, [0, 0x10, 0, 0x10, 0x50, 0x4e, 0, 8, ...Buffer.from('Doe^Jane')]) >= 0);
  assert.ok(find(ebe, [0, 0x09, 0x10, 0x01, 0x55, 0x4e, 0, 0, 0, 0, 0, 6, 1, 2, 3, 4, 5, 6]) >= 0);
  // item tags are big-endian too
  assert.ok(find(ebe, [0xff, 0xfe, 0xe0, 0x00, 0xff, 0xff, 0xff, 0xff]) >= 0);
});

test('8-bit pixels are OB, PixelRepresentation 1 makes US-or-SS elements SS', () => {
  const ds = Buffer.concat([
    el(0x00280100, us(8)), el(0x00280103, us(1)), el(0x00280106, us(0xfff0)),
    el(0x7fe00010, Buffer.from([1, 2, 3, 4])),
  ]);
  const ebe = convertDataset(ds, ILE, EBE);
  assert.ok(find(ebe, [0, 0x28, 0x01, 0x06, 0x53, 0x53, 0, 2, 0xff, 0xf0]) >= 0);
  assert.ok(find(ebe, [0x7f, 0xe0, 0, 0x10, 0x4f, 0x42, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]) >= 0);
  assert.deepEqual(convertDataset(ebe, EBE, ILE), ds);
  assert.equal(implicitVr(0x00280106), 'US');
  assert.equal(implicitVr(0x00280000), 'UL');
  assert.equal(implicitVr(0x60023000, {}, 4), 'OW'); // repeating group 60xx
});

test('a value too long for a 16-bit length becomes UN (PS3.5 6.2.2) and comes back intact', () => {
  const text = Buffer.alloc(0x10002, 0x41);
  const ds = Buffer.concat([el(0x00100010, str('X^Y')), el(0x00204000, text)]);
  const ele = convertDataset(ds, ILE, ELE);
  assert.ok(find(ele, [0x20, 0, 0, 0x40, 0x55, 0x4e, 0, 0, 0x02, 0, 0x01, 0]) >= 0);
  const ebe = convertDataset(ele, ELE, EBE);
  assert.deepEqual(convertDataset(ebe, EBE, ILE), ds);
});

test('streaming in 1-byte and random chunks equals the buffer converter, every direction', async () => {
  const ivr = sampleDataset({ groupLength: true, privateSequence: true });
  const inputs: Record<string, Buffer> = {
    [ILE]: ivr,
    [ELE]: convertDataset(ivr, ILE, ELE),
    [EBE]: convertDataset(ivr, ILE, EBE),
  };
  const rnd = seeded(42);
  for (const from of [ILE, ELE, EBE]) {
    for (const to of [ILE, ELE, EBE]) {
      const want = convertDataset(inputs[from], from, to);
      assert.deepEqual(await streamConvert(inputs[from], from, to, () => 1), want, `${from}→${to} 1-byte`);
      for (let i = 0; i < 5; i++) {
        const got = await streamConvert(inputs[from], from, to, () => 1 + Math.floor(rnd() * 37));
        assert.deepEqual(got, want, `${from}→${to} random`);
      }
    }
  }
});

test('a large Pixel Data value streams through in chunks', async () => {
  const pixels = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < pixels.length; i += 2) pixels.writeUInt16LE(i & 0xffff, i);
  const ds = Buffer.concat([el(0x00280100, us(16)), el(0x7fe00010, pixels)]);
  const out = await streamConvert(ds, ILE, EBE, () => 65535); // odd size: 16-bit units split across chunks
  const value = out.subarray(out.length - pixels.length);
  assert.equal(value.readUInt16BE(0x1234), 0x1234);
  assert.equal(value.readUInt16BE(pixels.length - 2), (pixels.length - 2) & 0xffff);
  assert.deepEqual(convertDataset(out, EBE, ILE), ds);
});

test('top-level values are passed on as they arrive, not held until the element ends', () => {
  const pixels = Buffer.alloc(1 << 20, 0x11);
  const ds = Buffer.concat([el(0x00280100, us(16)), el(0x7fe00010, pixels)]);
  let emitted = 0;
  const core = new ConverterCore(
    { from: { explicit: false, bigEndian: false }, to: { explicit: true, bigEndian: true } },
    (c) => (emitted += c.length),
  );
  const half = 10 + 8 + pixels.length / 2 + 1; // odd: one byte of a 16-bit unit is held back
  core.push(ds.subarray(0, half));
  assert.equal(emitted, 10 + 12 + pixels.length / 2);
  core.push(ds.subarray(half));
  core.finish();
  assert.equal(emitted, 10 + 12 + pixels.length);
});

test('errors: truncated, encapsulated pixel data, unsupported syntax, malformed VR', async () => {
  const ds = sampleDataset();
  assert.throws(() => convertDataset(ds.subarray(0, ds.length - 3), ILE, ELE), { code: 'DICOM_TRUNCATED' });
  const encaps = el(0x7fe00010, Buffer.alloc(0), UNDEF);
  assert.throws(() => convertDataset(encaps, ILE, ELE), { code: 'DICOM_TS_UNSUPPORTED' });
  assert.throws(() => convertDataset(ds, '1.2.840.10008.1.2.4.50', ELE), { code: 'DICOM_TS_UNSUPPORTED' });
  assert.throws(() => convertDataset(Buffer.from('0800160001234567', 'hex'), ELE, ILE), { code: 'DICOM_MALFORMED' });
  await assert.rejects(streamConvert(ds.subarray(0, 100), ILE, ELE, () => 7), { code: 'DICOM_TRUNCATED' });
});

// ---- DCMTK cross-check ----
const hasDcmtk = spawnSync('which', ['dcmconv']).status === 0;

function part10(dataset: Buffer, ts: string): Buffer {
  const meta = (tag: number, vr: string, v: Buffer) => {
    const h = Buffer.alloc(vr === 'OB' ? 12 : 8);
    h.writeUInt16LE(0x0002, 0);
    h.writeUInt16LE(tag, 2);
    h.write(vr, 4, 'latin1');
    if (vr === 'OB') h.writeUInt32LE(v.length, 8);
    else h.writeUInt16LE(v.length, 6);
    return Buffer.concat([h, v]);
  };
  const body = Buffer.concat([
    meta(0x0001, 'OB', Buffer.from([0, 1])),
    meta(0x0002, 'UI', uid('1.2.840.10008.5.1.4.1.1.7')),
    meta(0x0003, 'UI', uid('1.2.826.0.1.3680043.2.1143.1')),
    meta(0x0010, 'UI', uid(ts)),
    meta(0x0012, 'UI', uid('1.2.826.0.1.3680043.2.1143.9')),
  ]);
  const gl = meta(0x0000, 'UL', ul(body.length));
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), gl, body, dataset]);
}

test('matches DCMTK dcmconv +te / +tb / +ti data set bytes', { skip: !hasDcmtk && 'dcmconv not installed' }, () => {
  // DCMTK rewrites every sequence with explicit lengths (+e) and recomputes group
  // lengths, and reads an unknown undefined-length element as SQ: the sample for this
  // comparison therefore has defined lengths, no group length and no private sequence.
  const dir = mkdtempSync(join(tmpdir(), 'tsconv-'));
  try {
    const ivr = sampleDataset({ undefinedLengths: false });
    writeFileSync(join(dir, 'in.dcm'), part10(ivr, ILE));
    const run = (flag: string, inFile: string, outFile: string) => {
      const r = spawnSync('dcmconv', [flag, '-F', join(dir, inFile), join(dir, outFile)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return readFileSync(join(dir, outFile));
    };
    const dcmEle = run('+te', 'in.dcm', 'ele.raw');
    assert.deepEqual(convertDataset(ivr, ILE, ELE), dcmEle);
    const dcmEbe = run('+tb', 'in.dcm', 'ebe.raw');
    assert.deepEqual(convertDataset(ivr, ILE, EBE), dcmEbe);
    writeFileSync(join(dir, 'be.dcm'), part10(dcmEbe, EBE));
    const dcmIvr = run('+ti', 'be.dcm', 'ivr.raw');
    assert.deepEqual(convertDataset(dcmEbe, EBE, ILE), dcmIvr);
    assert.deepEqual(dcmIvr, ivr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DCMTK agrees on UN for over-long values; differs, legitimately, on 8-bit Pixel Data', { skip: !hasDcmtk && 'dcmconv not installed' }, () => {
  // PS3.5 A.1 lets 8-bit Pixel Data be OB or OW in Explicit VR: we write OB (no swap
  // in Big Endian), DCMTK keeps OW. Everything before Pixel Data must be identical.
  const dir = mkdtempSync(join(tmpdir(), 'tsconv-'));
  try {
    const head = Buffer.concat([el(0x00100010, str('X^Y')), el(0x00204000, Buffer.alloc(0x10002, 0x41)), el(0x00280100, us(8))]);
    const ds = Buffer.concat([head, el(0x7fe00010, Buffer.from([1, 2, 3, 4]))]);
    writeFileSync(join(dir, 'in.dcm'), part10(ds, ILE));
    const r = spawnSync('dcmconv', ['+tb', '-F', join(dir, 'in.dcm'), join(dir, 'out.raw')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const theirs = readFileSync(join(dir, 'out.raw'));
    const ours = convertDataset(ds, ILE, EBE);
    const pixelAt = ours.length - 16;
    assert.deepEqual(ours.subarray(0, pixelAt), theirs.subarray(0, pixelAt));
    assert.equal(ours.toString('latin1', pixelAt + 4, pixelAt + 6), 'OB');
    assert.equal(theirs.toString('latin1', pixelAt + 4, pixelAt + 6), 'OW');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
