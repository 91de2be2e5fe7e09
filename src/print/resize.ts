/**
 * Cropping and demagnifying a Preformatted Grayscale/Color Image item (PS3.3 C.13.5.1:
 * 8/8 or 16/12 grey, RGB 8-bit by pixel or by plane), so the spooled job holds the pixels
 * the print SCP decided on (src/print/fit.ts): the preview and the replay to the printer
 * then show the same image. Pure.
 */
import { findElement, get, set, type Identifier } from '../dicom/identifier';
import type { FitDecision } from './fit';
import { TAG } from './uids';

interface Raster { rows: number; cols: number; spp: number; bytes: 1 | 2; planar: boolean; px: Buffer }

function rasterOf(item: Identifier): Raster {
  const n = (tag: number, d: number): number => { const v = Number(get(item, tag)); return Number.isFinite(v) ? v : d; };
  const px = findElement(item, TAG.PixelData)?.value;
  if (!Buffer.isBuffer(px)) throw new Error('image item without Pixel Data');
  return {
    rows: n(TAG.Rows, 0), cols: n(TAG.Columns, 0), spp: n(TAG.SamplesPerPixel, 1), bytes: n(TAG.BitsAllocated, 8) > 8 ? 2 : 1,
    planar: n(TAG.PlanarConfiguration, 0) === 1, px,
  };
}

function index(r: Pick<Raster, 'rows' | 'cols' | 'spp' | 'planar'>, y: number, x: number, c: number): number {
  return r.planar ? c * r.rows * r.cols + y * r.cols + x : (y * r.cols + x) * r.spp + c;
}

function read(r: Raster, i: number): number {
  return r.bytes === 1 ? r.px[i] : r.px.readUInt16LE(i * 2);
}

/** A raster of the same layout and depth, `rows` x `cols`, filled by `value(y, x, c)`. */
function build(src: Raster, rows: number, cols: number, value: (y: number, x: number, c: number) => number): Raster {
  const count = rows * cols * src.spp * src.bytes;
  const out: Raster = { ...src, rows, cols, px: Buffer.alloc(count + (count & 1)) }; // even length (PS3.5 7.1.1)
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      for (let c = 0; c < src.spp; c++) {
        const i = index(out, y, x, c);
        if (src.bytes === 1) out.px[i] = value(y, x, c);
        else out.px.writeUInt16LE(value(y, x, c), i * 2);
      }
    }
  }
  return out;
}

function withRaster(item: Identifier, r: Raster): Identifier {
  const out = item.map((e) => ({ ...e }));
  set(out, TAG.Rows, String(r.rows), 'US');
  set(out, TAG.Columns, String(r.cols), 'US');
  set(out, TAG.PixelData, r.px, r.bytes === 1 ? 'OB' : 'OW');
  return out;
}

/** The `cols` x `rows` region at (x, y). */
export function cropItem(item: Identifier, x: number, y: number, cols: number, rows: number): Identifier {
  const src = rasterOf(item);
  return withRaster(item, build(src, rows, cols, (oy, ox, c) => read(src, index(src, oy + y, ox + x, c))));
}

/**
 * Smaller, to `cols` x `rows`: REPLICATE drops pixels (nearest neighbour); BILINEAR and
 * CUBIC average the source pixels each output pixel covers (an area filter: smoother than
 * either interpolation when shrinking).
 */
export function demagnifyItem(item: Identifier, cols: number, rows: number, magnification: string): Identifier {
  const src = rasterOf(item);
  const fy = src.rows / rows;
  const fx = src.cols / cols;
  if (magnification === 'REPLICATE') {
    return withRaster(item, build(src, rows, cols, (oy, ox, c) => read(src, index(src, Math.min(src.rows - 1, Math.floor((oy + 0.5) * fy)), Math.min(src.cols - 1, Math.floor((ox + 0.5) * fx)), c))));
  }
  return withRaster(item, build(src, rows, cols, (oy, ox, c) => {
    const y0 = Math.floor(oy * fy);
    const y1 = Math.max(y0 + 1, Math.min(src.rows, Math.floor((oy + 1) * fy)));
    const x0 = Math.floor(ox * fx);
    const x1 = Math.max(x0 + 1, Math.min(src.cols, Math.floor((ox + 1) * fx)));
    let sum = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += read(src, index(src, y, x, c));
    return Math.round(sum / ((y1 - y0) * (x1 - x0)));
  }));
}

/**
 * An Image Box N-SET data set with the decision applied to its image item: cropped or
 * demagnified pixels; Requested Image Size adjusted to the cropped width, or dropped once
 * demagnified (the image now fills its box at 1:1).
 */
export function applyFit(box: Identifier, seqTag: number, d: FitDecision, magnification: string): Identifier {
  if (d.action === 'none' || d.action === 'fail') return box;
  const items = findElement(box, seqTag)?.value as Identifier[];
  const r = rasterOf(items[0]);
  const item = d.action === 'crop'
    ? cropItem(items[0], d.x, d.y, d.cols, d.rows)
    : d.cols === r.cols && d.rows === r.rows ? items[0] : demagnifyItem(items[0], d.cols, d.rows, magnification);
  const out = box.filter((e) => e.tag !== seqTag && e.tag !== TAG.RequestedImageSize);
  set(out, seqTag, [item], 'SQ');
  if (d.action === 'crop' && d.requestedWidthMm !== undefined) set(out, TAG.RequestedImageSize, String(d.requestedWidthMm), 'DS');
  return out.sort((a, b) => a.tag - b.tag);
}
