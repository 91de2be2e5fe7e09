/**
 * The Image Pixel Module (PS3.3 C.7.6.3) and the attributes rendering needs, read from a
 * decoded data set. Pixel Data comes from identifier-codec as little-endian bytes whatever
 * the transfer syntax (it swaps OW of Explicit VR Big Endian), so the renderer reads LE only.
 */
import { EdgeError } from '../../util/errors';
import { findElement, get, type Identifier } from '../identifier';

export interface PixelModule {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  /** 0 interleaved (R1G1B1R2...), 1 planar (RRR...GGG...BBB). */
  planarConfiguration: number;
  numberOfFrames: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** First Window Center/Width pair of the image, if any (PS3.3 C.11.2). */
  window?: { center: number; width: number };
  /** All window pairs, for presets. */
  windows: { center: number; width: number; explanation?: string }[];
  pixelData: Buffer;
}

const T = {
  SamplesPerPixel: 0x00280002, Photometric: 0x00280004, PlanarConfiguration: 0x00280006, NumberOfFrames: 0x00280008,
  Rows: 0x00280010, Columns: 0x00280011, BitsAllocated: 0x00280100, BitsStored: 0x00280101, HighBit: 0x00280102,
  PixelRepresentation: 0x00280103, WindowCenter: 0x00281050, WindowWidth: 0x00281051, WindowExplanation: 0x00281055,
  RescaleIntercept: 0x00281052, RescaleSlope: 0x00281053, PixelData: 0x7fe00010,
} as const;

function num(id: Identifier, tag: number, dflt?: number): number {
  const v = get(id, tag)?.split('\\')[0]?.trim();
  const n = v === undefined || v === '' ? NaN : Number(v);
  if (Number.isFinite(n)) return n;
  if (dflt === undefined) throw new EdgeError('RENDER_NO_IMAGE', `missing or bad ${tag.toString(16).padStart(8, '0')}`);
  return dflt;
}

function nums(id: Identifier, tag: number): number[] {
  return (get(id, tag) ?? '').split('\\').map((s) => s.trim()).filter((s) => s !== '').map(Number);
}

export function pixelModuleOf(id: Identifier): PixelModule {
  const px = findElement(id, T.PixelData)?.value;
  if (!Buffer.isBuffer(px)) throw new EdgeError('RENDER_NO_IMAGE', 'no native (uncompressed) Pixel Data');
  const bitsAllocated = num(id, T.BitsAllocated);
  const centers = nums(id, T.WindowCenter);
  const widths = nums(id, T.WindowWidth);
  const expl = (get(id, T.WindowExplanation) ?? '').split('\\');
  const windows = centers.map((c, i) => ({ center: c, width: widths[i] ?? widths[0], explanation: expl[i] || undefined }))
    .filter((w) => Number.isFinite(w.center) && Number.isFinite(w.width) && w.width >= 1);
  const pm: PixelModule = {
    rows: num(id, T.Rows), columns: num(id, T.Columns),
    samplesPerPixel: num(id, T.SamplesPerPixel, 1),
    photometric: (get(id, T.Photometric) ?? 'MONOCHROME2').trim().toUpperCase(),
    bitsAllocated, bitsStored: num(id, T.BitsStored, bitsAllocated),
    highBit: num(id, T.HighBit, num(id, T.BitsStored, bitsAllocated) - 1),
    pixelRepresentation: num(id, T.PixelRepresentation, 0),
    planarConfiguration: num(id, T.PlanarConfiguration, 0),
    numberOfFrames: Math.max(1, num(id, T.NumberOfFrames, 1)),
    rescaleSlope: num(id, T.RescaleSlope, 1) || 1,
    rescaleIntercept: num(id, T.RescaleIntercept, 0),
    window: windows[0] ? { center: windows[0].center, width: windows[0].width } : undefined,
    windows,
    pixelData: px,
  };
  checkModule(pm);
  return pm;
}

function checkModule(pm: PixelModule): void {
  if (![8, 16, 32].includes(pm.bitsAllocated)) throw new EdgeError('RENDER_UNSUPPORTED', `Bits Allocated ${pm.bitsAllocated}`);
  if (pm.bitsStored < 1 || pm.bitsStored > pm.bitsAllocated) throw new EdgeError('RENDER_UNSUPPORTED', `Bits Stored ${pm.bitsStored}`);
  if (pm.samplesPerPixel !== 1 && pm.samplesPerPixel !== 3) throw new EdgeError('RENDER_UNSUPPORTED', `Samples per Pixel ${pm.samplesPerPixel}`);
  if (pm.rows < 1 || pm.columns < 1) throw new EdgeError('RENDER_NO_IMAGE', `image size ${pm.columns}x${pm.rows}`);
  const need = frameBytes(pm);
  if (pm.pixelData.length < need) throw new EdgeError('RENDER_NO_IMAGE', `Pixel Data has ${pm.pixelData.length} bytes, one frame needs ${need}`);
  // PS3.3 C.7.6.6: frames available are what the bytes hold, even if Number of Frames says more.
  pm.numberOfFrames = Math.max(1, Math.min(pm.numberOfFrames, Math.floor(pm.pixelData.length / need)));
}

export function frameBytes(pm: PixelModule): number {
  return pm.rows * pm.columns * pm.samplesPerPixel * (pm.bitsAllocated / 8);
}
