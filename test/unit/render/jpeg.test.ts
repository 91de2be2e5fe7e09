/**
 * JPEG output of the renderer, decoded by an independent implementation: DCMTK wraps the
 * file with img2dcm and decodes it with dcmj2pnm (IJG libjpeg) to a PPM we compare
 * pixel by pixel with the raster that was encoded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeJpeg } from '../../../src/dicom/render/jpeg';
import { encodeJpegOffThread } from '../../../src/dicom/render/jpeg-thread';
import type { RasterImage } from '../../../src/dicom/render/png';
import { tmpDir } from '../../helpers/tmp';

function gradient(width: number, height: number, channels: 1 | 3): RasterImage {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      data[o] = Math.round((x / (width - 1)) * 255);
      if (channels === 3) {
        data[o + 1] = Math.round((y / (height - 1)) * 255);
        data[o + 2] = 128;
      }
    }
  }
  return { width, height, channels, data };
}

/** DCMTK's decoding of `jpeg`: RGB bytes of the P6 PPM that dcmj2pnm writes. */
function dcmtkDecode(dir: string, jpeg: Buffer): { width: number; height: number; rgb: Buffer } {
  const jpg = join(dir, 'x.jpg');
  writeFileSync(jpg, jpeg);
  const wrap = spawnSync('img2dcm', [jpg, join(dir, 'x.dcm')], { encoding: 'utf8' });
  assert.equal(wrap.status, 0, `img2dcm: ${wrap.stderr}`);
  const dec = spawnSync('dcmj2pnm', ['+op', join(dir, 'x.dcm'), join(dir, 'x.ppm')], { encoding: 'utf8' });
  assert.equal(dec.status, 0, `dcmj2pnm: ${dec.stderr}`);
  const ppm = readFileSync(join(dir, 'x.ppm'));
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 32).toString('latin1'));
  assert.ok(m, 'a binary PPM');
  return { width: Number(m[1]), height: Number(m[2]), rgb: ppm.subarray(m[0].length) };
}

function compare(img: RasterImage, rgb: Buffer): { meanErr: number; maxErr: number } {
  let sum = 0;
  let max = 0;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const want = img.data[i * img.channels + (img.channels === 3 ? c : 0)];
      const err = Math.abs(rgb[i * 3 + c] - want);
      sum += err;
      max = Math.max(max, err);
    }
  }
  return { meanErr: sum / (n * 3), maxErr: max };
}

for (const channels of [1, 3] as const) {
  test(`JPEG of a ${channels === 1 ? 'grey' : 'colour'} raster decodes (DCMTK) to the same pixels within JPEG's loss`, async (t) => {
    const dir = await tmpDir('jpeg-', t);
    const img = gradient(70, 45, channels); // not multiples of 8: partial blocks at the edges
    const jpeg = encodeJpeg(img);
    assert.deepEqual([jpeg[0], jpeg[1]], [0xff, 0xd8], 'SOI');
    assert.deepEqual([jpeg[jpeg.length - 2], jpeg[jpeg.length - 1]], [0xff, 0xd9], 'EOI');
    const d = dcmtkDecode(dir, jpeg);
    assert.deepEqual([d.width, d.height], [70, 45]);
    const e = compare(img, d.rgb);
    t.diagnostic(`mean error ${e.meanErr.toFixed(2)}, max ${e.maxErr}`);
    assert.ok(e.meanErr < 2.5, `mean error ${e.meanErr}`);
    assert.ok(e.maxErr < 24, `max error ${e.maxErr}`);
  });
}

test('JPEG quality: lower quality, smaller file; out-of-range values are clamped; a bad raster is refused', () => {
  const img = gradient(128, 128, 1);
  for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) img.data[y * 128 + x] ^= (x * 7 + y * 13) & 31; // texture
  const q20 = encodeJpeg(img, 20).length;
  const q95 = encodeJpeg(img, 95).length;
  assert.ok(q20 < q95, `${q20} < ${q95}`);
  assert.equal(encodeJpeg(img, 500).length, encodeJpeg(img, 100).length);
  assert.throws(() => encodeJpeg({ width: 4, height: 4, channels: 1, data: new Uint8Array(15) }), { code: 'RENDER_BAD_RASTER' });
});

test('JPEG on the worker thread: the same bytes as inline, several at once, a bad raster rejected', async () => {
  const a = gradient(300, 200, 1);
  const b = gradient(64, 64, 3);
  const [ja, jb] = await Promise.all([encodeJpegOffThread(a, 80), encodeJpegOffThread(b)]);
  assert.ok(ja.equals(encodeJpeg(a, 80)), 'grey: identical to the inline encoding');
  assert.ok(jb.equals(encodeJpeg(b)), 'colour: identical to the inline encoding');
  await assert.rejects(encodeJpegOffThread({ width: 4, height: 4, channels: 1, data: new Uint8Array(3) }), { code: 'JPEG_ENCODE' });
  assert.ok((await encodeJpegOffThread(a, 80)).equals(ja), 'the worker still serves after a failure');
});
