/**
 * A small PNG encoder (PNG spec, ISO/IEC 15948): signature, IHDR, one IDAT compressed with
 * node:zlib (deflate, zlib wrapper as §10 requires), IEND. Filter type 0 (None) on every
 * row: simple, and deflate still does well on medical images. Grey (colour type 0) or
 * RGB (colour type 2), 8 bits per sample.
 */
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { EdgeError } from '../../util/errors';

export interface RasterImage {
  width: number;
  height: number;
  /** 1 = grey, 3 = RGB (interleaved). */
  channels: 1 | 3;
  /** width × height × channels bytes, row by row. */
  data: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  body.copy(out, 8);
  // §5.3: the CRC covers the chunk type and data, not the length.
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)) >>> 0, 8 + body.length);
  return out;
}

export function encodePng(img: RasterImage, level = 6): Buffer {
  const { width, height, channels, data } = img;
  if (width < 1 || height < 1 || data.length !== width * height * channels) {
    throw new EdgeError('RENDER_BAD_RASTER', `raster ${width}x${height}x${channels} does not match ${data.length} bytes`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 2; // colour type: greyscale / truecolour
  ihdr[10] = 0; // compression method 0 (deflate)
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None
    raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level })), chunk('IEND', Buffer.alloc(0))]);
}

/** Decodes what encodePng writes (8-bit, filter 0, no interlace): for tests and previews. */
export function decodeSimplePng(png: Buffer): RasterImage {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new EdgeError('RENDER_BAD_PNG', 'not a PNG');
  let pos = 8;
  let width = 0, height = 0, channels: 1 | 3 = 1;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('latin1', pos + 4, pos + 8);
    const body = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      channels = body[9] === 2 ? 3 : 1;
    } else if (type === 'IDAT') idat.push(body);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    if (raw[y * (stride + 1)] !== 0) throw new EdgeError('RENDER_BAD_PNG', 'only filter type 0 is decoded');
    data.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, channels, data };
}
