/**
 * Pixel data → 8-bit raster for display (shared by the web viewer and print previews).
 * Grey pipeline (PS3.3 C.11 and PS3.14): stored value → Modality LUT (Rescale Slope and
 * Intercept, C.11.1) → VOI linear window (C.11.2.1.2.1) → MONOCHROME1 inverted.
 * Colour: RGB or YBR_FULL (C.7.6.3.1.2), interleaved or planar, shown as stored.
 */
import { EdgeError } from '../../util/errors';
import { frameBytes, type PixelModule } from './pixel-module';
import type { RasterImage } from './png';

export interface RenderOptions {
  /** 0-based frame index. */
  frame?: number;
  /** Window Center / Width in modality units (after rescale); default: the image's, else min..max. */
  center?: number;
  width?: number;
  /** Longest side of the result; larger images are scaled down (nearest neighbour). */
  maxSize?: number;
}

export interface RenderResult extends RasterImage {
  /** The window used (grey images). */
  window?: { center: number; width: number };
}

/** Stored values of one grey frame, after the Modality LUT. */
export function modalityValues(pm: PixelModule, frame: number): Float64Array {
  if (frame < 0 || frame >= pm.numberOfFrames) throw new EdgeError('RENDER_BAD_FRAME', `frame ${frame} not in 0..${pm.numberOfFrames - 1}`);
  const n = pm.rows * pm.columns;
  const bytes = pm.bitsAllocated / 8;
  const base = frame * frameBytes(pm);
  const buf = pm.pixelData;
  const shift = pm.highBit + 1 - pm.bitsStored;
  const mask = pm.bitsStored >= 32 ? 0xffffffff : (2 ** pm.bitsStored) - 1;
  const signBit = 2 ** (pm.bitsStored - 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = base + i * bytes;
    const raw = bytes === 1 ? buf[o] : bytes === 2 ? buf.readUInt16LE(o) : buf.readUInt32LE(o);
    let v = Math.floor(raw / 2 ** shift) % (mask + 1);
    if (pm.pixelRepresentation === 1 && v >= signBit) v -= 2 * signBit;
    out[i] = v * pm.rescaleSlope + pm.rescaleIntercept;
  }
  return out;
}

/** The image's first window, else one spanning the frame's values. */
export function defaultWindow(pm: PixelModule, values: Float64Array): { center: number; width: number } {
  if (pm.window) return pm.window;
  let min = Infinity, max = -Infinity;
  for (const v of values) { if (v < min) min = v; if (v > max) max = v; }
  if (!Number.isFinite(min)) return { center: 0, width: 1 };
  return { center: (min + max + 1) / 2, width: Math.max(1, max - min + 1) };
}

/** PS3.3 C.11.2.1.2.1, the LINEAR function, output range 0..255. */
export function applyWindow(x: number, center: number, width: number): number {
  const w = Math.max(1, width);
  if (x <= center - 0.5 - (w - 1) / 2) return 0;
  if (x > center - 0.5 + (w - 1) / 2) return 255;
  return Math.round(((x - (center - 0.5)) / (w - 1 || 1) + 0.5) * 255);
}

export function renderFrame(pm: PixelModule, o: RenderOptions = {}): RenderResult {
  const frame = o.frame ?? 0;
  const img = pm.samplesPerPixel === 3 ? renderColour(pm, frame) : renderGrey(pm, frame, o);
  return o.maxSize ? { ...scaleDown(img, o.maxSize), window: img.window } : img;
}

function renderGrey(pm: PixelModule, frame: number, o: RenderOptions): RenderResult {
  if (pm.photometric !== 'MONOCHROME1' && pm.photometric !== 'MONOCHROME2') {
    throw new EdgeError('RENDER_UNSUPPORTED', `Photometric Interpretation ${pm.photometric} with 1 sample`);
  }
  const values = modalityValues(pm, frame);
  const dflt = defaultWindow(pm, values);
  const center = o.center ?? dflt.center;
  const width = o.width ?? dflt.width;
  const invert = pm.photometric === 'MONOCHROME1'; // C.7.6.3.1.2: minimum is white
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const y = applyWindow(values[i], center, width);
    data[i] = invert ? 255 - y : y;
  }
  return { width: pm.columns, height: pm.rows, channels: 1, data, window: { center, width } };
}

function renderColour(pm: PixelModule, frame: number): RenderResult {
  if (!['RGB', 'YBR_FULL'].includes(pm.photometric)) throw new EdgeError('RENDER_UNSUPPORTED', `Photometric Interpretation ${pm.photometric}`);
  if (frame < 0 || frame >= pm.numberOfFrames) throw new EdgeError('RENDER_BAD_FRAME', `frame ${frame} not in 0..${pm.numberOfFrames - 1}`);
  const n = pm.rows * pm.columns;
  const bytes = pm.bitsAllocated / 8;
  const base = frame * frameBytes(pm);
  const down = Math.max(0, pm.bitsStored - 8);
  const sample = (pixel: number, c: number): number => {
    const idx = pm.planarConfiguration === 1 ? c * n + pixel : pixel * 3 + c;
    const o = base + idx * bytes;
    const raw = bytes === 1 ? pm.pixelData[o] : bytes === 2 ? pm.pixelData.readUInt16LE(o) : pm.pixelData.readUInt32LE(o);
    return Math.min(255, Math.floor(raw / 2 ** down));
  };
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const [a, b, c] = [sample(i, 0), sample(i, 1), sample(i, 2)];
    if (pm.photometric === 'RGB') data.set([a, b, c], i * 3);
    else data.set(ybrToRgb(a, b, c), i * 3);
  }
  return { width: pm.columns, height: pm.rows, channels: 3, data };
}

/** PS3.3 C.7.6.3.1.2 YBR_FULL (ITU-R BT.601 full range). */
function ybrToRgb(y: number, cb: number, cr: number): [number, number, number] {
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  return [clamp(y + 1.402 * (cr - 128)), clamp(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128)), clamp(y + 1.772 * (cb - 128))];
}

export function scaleDown(img: RasterImage, maxSize: number): RasterImage {
  const f = Math.max(img.width, img.height) / maxSize;
  if (f <= 1) return img;
  const width = Math.max(1, Math.round(img.width / f));
  const height = Math.max(1, Math.round(img.height / f));
  const ch = img.channels;
  const data = new Uint8Array(width * height * ch);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.floor(y * f));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(img.width - 1, Math.floor(x * f));
      for (let c = 0; c < ch; c++) data[(y * width + x) * ch + c] = img.data[(sy * img.width + sx) * ch + c];
    }
  }
  return { width, height, channels: ch, data };
}
