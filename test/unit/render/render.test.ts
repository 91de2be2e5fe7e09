import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSimplePng, encodePng } from '../../../src/dicom/render/png';
import { pixelModuleOf } from '../../../src/dicom/render/pixel-module';
import { applyWindow, renderFrame } from '../../../src/dicom/render/render';
import { renderPng } from '../../../src/dicom/render/load';
import { decodeDataSet, encodeIdentifier, type Identifier } from '../../../src/dicom/identifier';

const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';

function image(o: { rows: number; cols: number; bits: 8 | 16; stored?: number; signed?: boolean; photometric?: string; spp?: number; planar?: number; frames?: number; slope?: string; intercept?: string; wc?: string; ww?: string; pixels: Buffer }): Identifier {
  const id: Identifier = [
    { tag: 0x00280002, vr: 'US', value: String(o.spp ?? 1) },
    { tag: 0x00280004, vr: 'CS', value: o.photometric ?? 'MONOCHROME2' },
  ];
  if (o.spp === 3) id.push({ tag: 0x00280006, vr: 'US', value: String(o.planar ?? 0) });
  if (o.frames) id.push({ tag: 0x00280008, vr: 'IS', value: String(o.frames) });
  id.push(
    { tag: 0x00280010, vr: 'US', value: String(o.rows) },
    { tag: 0x00280011, vr: 'US', value: String(o.cols) },
    { tag: 0x00280100, vr: 'US', value: String(o.bits) },
    { tag: 0x00280101, vr: 'US', value: String(o.stored ?? o.bits) },
    { tag: 0x00280102, vr: 'US', value: String((o.stored ?? o.bits) - 1) },
    { tag: 0x00280103, vr: 'US', value: o.signed ? '1' : '0' },
  );
  if (o.wc) id.push({ tag: 0x00281050, vr: 'DS', value: o.wc }, { tag: 0x00281051, vr: 'DS', value: o.ww! });
  if (o.intercept) id.push({ tag: 0x00281052, vr: 'DS', value: o.intercept }, { tag: 0x00281053, vr: 'DS', value: o.slope ?? '1' });
  id.push({ tag: 0x7fe00010, vr: o.bits === 8 ? 'OB' : 'OW', value: o.pixels });
  return id;
}

function u16(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => (v < 0 ? b.writeInt16LE(v, i * 2) : b.writeUInt16LE(v, i * 2)));
  return b;
}

/** Encode → decode in a transfer syntax, render, PNG round trip through zlib inflate. */
function pngPixels(id: Identifier, ts: string, o: Parameters<typeof renderFrame>[1] = {}): number[] {
  const decoded = decodeDataSet(encodeIdentifier(id, ts), ts).identifier;
  const { png } = renderPng(pixelModuleOf(decoded), o);
  return [...decodeSimplePng(png).data];
}

test('PS3.3 C.11.2.1.2.1 linear window: below, inside and above', () => {
  assert.equal(applyWindow(-0.5, 50, 101), 0); // x <= c - 0.5 - (w-1)/2
  assert.equal(applyWindow(0, 50, 101), 1); // ((0 - 49.5) / 100 + 0.5) * 255 = 1.27
  assert.equal(applyWindow(100.5, 50, 101), 255);
  assert.equal(applyWindow(50, 50, 101), 129);
  assert.equal(applyWindow(-1, 50, 101), 0);
});

test('8-bit MONOCHROME2 with an explicit full window gives the stored values in all three syntaxes', () => {
  const px = Buffer.from([0, 64, 128, 255]);
  for (const ts of [IMPLICIT, EXPLICIT_LE, EXPLICIT_BE]) {
    const out = pngPixels(image({ rows: 2, cols: 2, bits: 8, pixels: px }), ts, { center: 128, width: 256 });
    assert.deepEqual(out, [0, 64, 128, 255], ts);
  }
});

test('16-bit signed with rescale: the window is in modality units (HU), in all three syntaxes', () => {
  // stored -1024, 0, 1000, 3000 with intercept -1024 → -2048, -1024, -24, 1976 HU
  const id = image({ rows: 1, cols: 4, bits: 16, signed: true, intercept: '-1024', slope: '1', pixels: u16([-1024, 0, 1000, 3000]) });
  for (const ts of [IMPLICIT, EXPLICIT_LE, EXPLICIT_BE]) {
    // window -1024..-24 (center -524, width 1001): -2048 → 0, -1024 → 0, -24 → 255, 1976 → 255
    assert.deepEqual(pngPixels(id, ts, { center: -524, width: 1001 }), [0, 0, 255, 255], ts);
  }
});

test('12-bit stored in 16 ignores the bits above High Bit; the image window is the default', () => {
  const id = image({ rows: 1, cols: 3, bits: 16, stored: 12, wc: '2048', ww: '4096', pixels: u16([0xf000, 0x0800, 0x0fff]) });
  const out = pngPixels(id, EXPLICIT_LE);
  assert.equal(out[0], 0); // 0xf000 → 0 once masked to 12 bits
  assert.ok(out[1] >= 127 && out[1] <= 128);
  assert.equal(out[2], 255);
});

test('MONOCHROME1 is inverted', () => {
  const id = image({ rows: 1, cols: 2, bits: 8, photometric: 'MONOCHROME1', pixels: Buffer.from([0, 255]) });
  assert.deepEqual(pngPixels(id, IMPLICIT, { center: 128, width: 256 }), [255, 0]);
});

test('no window in the image: min..max of the frame', () => {
  const id = image({ rows: 1, cols: 3, bits: 16, pixels: u16([100, 150, 200]) });
  const out = pngPixels(id, EXPLICIT_LE);
  assert.equal(out[0], 0);
  assert.equal(out[2], 255);
  assert.ok(out[1] > 100 && out[1] < 155);
});

test('RGB interleaved and planar give the same picture', () => {
  const inter = Buffer.from([255, 0, 0, 0, 255, 0]);
  const planar = Buffer.from([255, 0, 0, 255, 0, 0]);
  const a = pngPixels(image({ rows: 1, cols: 2, bits: 8, spp: 3, photometric: 'RGB', planar: 0, pixels: inter }), EXPLICIT_BE);
  const b = pngPixels(image({ rows: 1, cols: 2, bits: 8, spp: 3, photometric: 'RGB', planar: 1, pixels: planar }), IMPLICIT);
  assert.deepEqual(a, [255, 0, 0, 0, 255, 0]);
  assert.deepEqual(b, a);
});

test('multi-frame: each frame renders its own bytes; frames out of range are refused', () => {
  const id = image({ rows: 1, cols: 2, bits: 8, frames: 2, pixels: Buffer.from([0, 0, 255, 255]) });
  const pm = pixelModuleOf(decodeDataSet(encodeIdentifier(id, EXPLICIT_LE), EXPLICIT_LE).identifier);
  assert.equal(pm.numberOfFrames, 2);
  assert.deepEqual([...renderFrame(pm, { frame: 0, center: 128, width: 256 }).data], [0, 0]);
  assert.deepEqual([...renderFrame(pm, { frame: 1, center: 128, width: 256 }).data], [255, 255]);
  assert.throws(() => renderFrame(pm, { frame: 2 }), { code: 'RENDER_BAD_FRAME' });
});

test('maxSize scales down; PNG chunks carry valid CRCs (zlib decodes the IDAT)', () => {
  const px = Buffer.alloc(64 * 32, 200);
  const pm = pixelModuleOf(image({ rows: 32, cols: 64, bits: 8, pixels: px }));
  const r = renderFrame(pm, { maxSize: 16, center: 128, width: 256 });
  assert.equal(r.width, 16);
  assert.equal(r.height, 8);
  const png = encodePng(r);
  const back = decodeSimplePng(png);
  assert.equal(back.width, 16);
  assert.ok(back.data.every((v) => v === 200));
});

test('no pixel data is a RENDER_NO_IMAGE error', () => {
  assert.throws(() => pixelModuleOf([{ tag: 0x00280010, vr: 'US', value: '1' }]), { code: 'RENDER_NO_IMAGE' });
});
