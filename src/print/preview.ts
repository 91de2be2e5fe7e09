/**
 * A PNG preview of one film as the printer would lay it out: film size and orientation,
 * the Image Display Format's boxes, Border and Empty Image Density, each image scaled to
 * fit its box (aspect kept) — or at its printed size when the SCU asked for one (Requested
 * Image Size, or Magnification Type NONE: 1:1 at the printer's resolution) — and Polarity.
 * The pixels are the spooled ones, i.e. already demagnified or cropped by the SCP's size
 * decision (src/print/fit.ts), as the printer receives them. Preformatted images hold presentation values
 * (P-values, PS3.14), so the grey window spans the whole stored range. Uses the shared
 * renderer in src/dicom/render.
 */
import { get, type Identifier } from '../dicom/identifier';
import { pixelModuleOf } from '../dicom/render/pixel-module';
import { encodePng, type RasterImage } from '../dicom/render/png';
import { renderFrame } from '../dicom/render/render';
import { askedScale, boxSizes, DEFAULT_DPI, type Size } from './fit';
import type { PrinterCapabilities } from './config';
import { densityGrey, filmSizeMm, parseDisplayFormat, type BoxRect } from './layout';
import { imageItem, type SpoolFilm } from './job';
import { TAG } from './uids';

export interface PreviewOptions {
  /** Longest side of the preview in pixels; default 600. */
  size?: number;
  /** The printer's resolution and accepted films, for images printed at a requested size. */
  dpi?: number;
  caps?: PrinterCapabilities;
}

/** Film width/height ratio from Film Size ID and Film Orientation (default 8INX10IN portrait). */
export function filmAspect(attrs: Identifier): number {
  const [w, h] = filmSizeMm(get(attrs, TAG.FilmSizeId) ?? '') ?? [203.2, 254];
  const landscape = (get(attrs, TAG.FilmOrientation) ?? '').trim().toUpperCase() === 'LANDSCAPE';
  return landscape ? h / w : w / h;
}

/** The image of one box as an RGB or grey raster, polarity applied; undefined when it cannot be shown. */
export function boxRaster(box: Identifier): RasterImage | undefined {
  const item = imageItem(box);
  if (!item) return undefined;
  try {
    const pm = pixelModuleOf(item);
    const full = 2 ** pm.bitsStored;
    const img = renderFrame(pm, pm.samplesPerPixel === 1 ? { center: full / 2, width: full } : {});
    if ((get(box, TAG.Polarity) ?? '').trim().toUpperCase() === 'REVERSE') for (let i = 0; i < img.data.length; i++) img.data[i] = 255 - img.data[i];
    return img;
  } catch {
    return undefined;
  }
}

function fill(out: Uint8Array, width: number, r: { x: number; y: number; w: number; h: number }, grey: number): void {
  for (let y = r.y; y < r.y + r.h; y++) out.fill(grey, (y * width + r.x) * 3, (y * width + r.x + r.w) * 3);
}

/** Copies `img` scaled (nearest neighbour) to fit the pixel rectangle, centred; `scale` caps the fitting scale. */
function blit(out: Uint8Array, width: number, cell: { x: number; y: number; w: number; h: number }, img: RasterImage, scale = Infinity): void {
  const s = Math.min(cell.w / img.width, cell.h / img.height, scale);
  const w = Math.max(1, Math.floor(img.width * s));
  const h = Math.max(1, Math.floor(img.height * s));
  const ox = cell.x + Math.floor((cell.w - w) / 2);
  const oy = cell.y + Math.floor((cell.h - h) / 2);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(img.height - 1, Math.floor(y / s));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(img.width - 1, Math.floor(x / s));
      const si = sy * img.width + sx;
      const di = ((oy + y) * width + ox + x) * 3;
      if (img.channels === 1) out.fill(img.data[si], di, di + 3);
      else out.set(img.data.subarray(si * 3, si * 3 + 3), di);
    }
  }
}

function pixelRect(b: BoxRect, width: number, height: number, gap: number): { x: number; y: number; w: number; h: number } {
  const x = Math.round(b.x * width) + gap;
  const y = Math.round(b.y * height) + gap;
  return { x, y, w: Math.max(1, Math.round((b.x + b.w) * width) - gap - x), h: Math.max(1, Math.round((b.y + b.h) * height) - gap - y) };
}

/**
 * Preview pixels per image pixel when the SCU fixed the printed size (Requested Image Size,
 * or NONE = 1:1 printer pixels); Infinity (fit the box) otherwise.
 */
function printedScale(film: SpoolFilm, box: Identifier, img: RasterImage, printerBox: Size | undefined, cell: { w: number }, dpi: number): number {
  if (!printerBox) return Infinity;
  const mm = Number(get(box, TAG.RequestedImageSize));
  const magnification = (get(box, TAG.MagnificationType) ?? get(film.attrs, TAG.MagnificationType) ?? '').trim().toUpperCase();
  const asked = Number.isFinite(mm) && mm > 0;
  if (!asked && magnification !== 'NONE') return Infinity;
  return askedScale({ cols: img.width, requestedWidthMm: asked ? mm : undefined, dpi }) * (cell.w / printerBox.w);
}

/** Renders the film to an RGB raster. */
export function renderFilm(film: SpoolFilm, o: PreviewOptions = {}): RasterImage {
  const size = o.size ?? 600;
  const aspect = filmAspect(film.attrs);
  const width = aspect >= 1 ? size : Math.max(1, Math.round(size * aspect));
  const height = aspect >= 1 ? Math.max(1, Math.round(size / aspect)) : size;
  const data = new Uint8Array(width * height * 3);
  data.fill(densityGrey(get(film.attrs, TAG.BorderDensity), 0));
  const format = parseDisplayFormat(get(film.attrs, TAG.ImageDisplayFormat) ?? 'STANDARD\\1,1');
  const rects = typeof format === 'string' ? [{ x: 0, y: 0, w: 1, h: 1 }] : format.boxes;
  const empty = densityGrey(get(film.attrs, TAG.EmptyImageDensity), 0);
  const gap = Math.max(1, Math.round(size / 200));
  const dpi = o.dpi ?? DEFAULT_DPI;
  const printerBoxes = boxSizes(film.attrs, { dpi, caps: o.caps });
  rects.forEach((r, i) => {
    const cell = pixelRect(r, width, height, gap);
    const box = film.boxes.find((b) => b.position === i + 1);
    const img = box ? boxRaster(box.dataset) : undefined;
    fill(data, width, cell, empty);
    if (img && box) blit(data, width, cell, img, printedScale(film, box.dataset, img, printerBoxes?.[i], cell, dpi));
  });
  return { width, height, channels: 3, data };
}

export function filmPreviewPng(film: SpoolFilm, o: PreviewOptions = {}): Buffer {
  return encodePng(renderFilm(film, o));
}
