/**
 * Does an image fit its image box? Pure geometry and the PS3.4 H.4 answer.
 *
 * The printable pixels of an image box follow from the film (PS3.3 C.13.3 Film Size ID and
 * Film Orientation) at the printer's resolution ([RemoteAE] printerDpi, default 300), divided
 * by the Image Display Format; no margins or gaps are taken off (our conformance choice).
 * The image is printed at 1:1 unless the SCU asks for a Requested Image Size (2020,0030),
 * "width (x-dimension) in mm of the image to be printed" (PS3.3 C.13.5). It is larger than
 * its box when its rows or columns at that scale exceed the box's pixels. Then:
 *
 * - Requested Decimate/Crop Behavior (2020,0040) when the SCU sent it, else the
 *   `[Print] oversize` policy, decides (PS3.3 C.13.5: "DECIMATE: a magnification factor <1
 *   to be applied to the image"; "CROP: some image rows and/or columns are to be deleted
 *   before printing"; "FAIL: the SCP shall not crop or decimate");
 * - decimating needs an interpolation: "the method of decimation shall be that specified by
 *   Magnification Type (2010,0060)" (C.13.5), so with Magnification Type NONE the image
 *   cannot be made smaller and the N-SET fails with C603 unless cropping was asked for.
 *
 * Statuses (PS3.4 Tables H.4.3.1.2.1.2-1 grayscale and H.4.3.2.2.1.2-1 color Image Box
 * N-SET; repeated by the Film Box N-ACTION, Table H.4-9, and the Film Session N-ACTION,
 * Table H.4-4):
 *   B604 "Image size larger than image box size, the image has been demagnified." — our
 *        policy demagnified (the SCU asked for nothing);
 *   B60A "Image size or Combined Print Image size is larger than the Image Box size. The
 *        Image or Combined Print Image has been decimated to fit." — the SCU asked DECIMATE;
 *   B609 "Image size is larger than the Image Box size. The Image has been cropped to fit.";
 *   C603 "Failed: Image size is larger than image box size" — FAIL asked, `oversize = fail`,
 *        or magnification NONE without cropping.
 * Our crop keeps the centre of the image (the algorithm C.13.5 leaves to the conformance
 * statement).
 */
import { get, type Identifier } from '../dicom/identifier';
import type { PrinterCapabilities } from './config';
import { filmSizeMm, mapFilmSize, parseDisplayFormat } from './layout';
import { ST } from './status';
import { TAG } from './uids';

export type OversizePolicy = 'demagnify' | 'crop' | 'fail';
export const OVERSIZE_POLICIES: readonly OversizePolicy[] = ['demagnify', 'crop', 'fail'];

/** Printer resolution used when [RemoteAE] printerDpi is not set (a common dry laser imager value). */
export const DEFAULT_DPI = 300;
/** The SCP's film when the SCU names none and the printer lists none (also the N-CREATE response default). */
export const DEFAULT_FILM = '8INX10IN';

export interface FitContext {
  dpi: number;
  policy: OversizePolicy;
  /** The printer's accepted film sizes: the film the job will print on is the mapped one. */
  caps?: PrinterCapabilities;
}

export interface Size { w: number; h: number }

/** Film Size ID and Film Orientation → the film's pixels at `dpi` (undefined: unknown size). */
export function filmPixels(filmSizeId: string, orientation: string | undefined, dpi: number): Size | undefined {
  const mm = filmSizeMm(filmSizeId);
  if (!mm) return undefined;
  const [w, h] = mm.map((v) => Math.floor((v / 25.4) * dpi));
  return (orientation ?? '').trim().toUpperCase() === 'LANDSCAPE' ? { w: h, h: w } : { w, h };
}

/** The film size a film box prints on: as asked when the printer accepts it, else the mapped one, else the default. */
export function effectiveFilmSize(filmAttrs: Identifier, caps?: PrinterCapabilities): string {
  const asked = get(filmAttrs, TAG.FilmSizeId)?.trim().toUpperCase() || undefined;
  const mapped = caps ? mapFilmSize(asked, caps) : asked;
  return mapped ?? DEFAULT_FILM;
}

/** Printable pixels of every image box of a film box, in Image Box Position order; undefined when unknown. */
export function boxSizes(filmAttrs: Identifier, ctx: Pick<FitContext, 'dpi' | 'caps'>): Size[] | undefined {
  const film = filmPixels(effectiveFilmSize(filmAttrs, ctx.caps), get(filmAttrs, TAG.FilmOrientation), ctx.dpi);
  const format = parseDisplayFormat(get(filmAttrs, TAG.ImageDisplayFormat) ?? '');
  if (!film || typeof format === 'string') return undefined;
  return format.boxes.map((b) => ({ w: Math.max(1, Math.floor(b.w * film.w)), h: Math.max(1, Math.floor(b.h * film.h)) }));
}

export interface FitRequest {
  rows: number;
  cols: number;
  box: Size;
  /** Effective Magnification Type (image box over film box, H.4.3.1.2.1.1), upper case. */
  magnification: string;
  /** Requested Image Size (2020,0030) in mm, when sent. */
  requestedWidthMm?: number;
  /** Requested Decimate/Crop Behavior (2020,0040), when sent. */
  behavior?: string;
  policy: OversizePolicy;
  dpi: number;
}

export type FitDecision =
  | { status: typeof ST.Success; action: 'none' }
  | { status: typeof ST.ImageDemagnified | typeof ST.ImageDecimated; action: 'demagnify'; rows: number; cols: number; comment: string }
  | { status: typeof ST.ImageCropped; action: 'crop'; x: number; y: number; rows: number; cols: number; requestedWidthMm?: number; comment: string }
  | { status: typeof ST.ImageLargerThanBox; action: 'fail'; comment: string };

/** Printer pixels per image pixel as asked: Requested Image Size, else 1:1. */
export function askedScale(r: Pick<FitRequest, 'cols' | 'requestedWidthMm' | 'dpi'>): number {
  const mm = r.requestedWidthMm;
  return mm !== undefined && mm > 0 ? ((mm / 25.4) * r.dpi) / r.cols : 1;
}

/** The PS3.4 H.4 answer for one image in one box (see the file comment). */
export function decideFit(r: FitRequest): FitDecision {
  const s = askedScale(r);
  const needW = r.cols * s;
  const needH = r.rows * s;
  // Half a printer pixel of tolerance: 25.4 mm at 300 dpi is 300 px whatever the rounding.
  if (needW <= r.box.w + 0.5 && needH <= r.box.h + 0.5) return { status: ST.Success, action: 'none' };
  const what = `image ${r.cols}x${r.rows}${s !== 1 ? ` at ${r.requestedWidthMm}mm` : ''} > box ${r.box.w}x${r.box.h}px`;
  const asked = (r.behavior ?? '').trim().toUpperCase();
  const behavior = asked === 'DECIMATE' || asked === 'CROP' || asked === 'FAIL' ? asked : { demagnify: 'DECIMATE', crop: 'CROP', fail: 'FAIL' }[r.policy];
  if (behavior === 'FAIL') return { status: ST.ImageLargerThanBox, action: 'fail', comment: `${what} (${asked ? 'FAIL asked' : 'oversize = fail'})` };
  if (behavior === 'CROP') {
    const cols = Math.min(r.cols, Math.max(1, Math.floor(r.box.w / s)));
    const rows = Math.min(r.rows, Math.max(1, Math.floor(r.box.h / s)));
    const x = Math.floor((r.cols - cols) / 2);
    const y = Math.floor((r.rows - rows) / 2);
    const requestedWidthMm = s !== 1 ? round2((cols * s * 25.4) / r.dpi) : undefined;
    return { status: ST.ImageCropped, action: 'crop', x, y, rows, cols, requestedWidthMm, comment: `${what}: cropped to ${cols}x${rows}` };
  }
  if (r.magnification === 'NONE') return { status: ST.ImageLargerThanBox, action: 'fail', comment: `${what} (magnification NONE)` };
  const k = Math.min(r.box.w / r.cols, r.box.h / r.rows);
  const cols = Math.max(1, Math.min(r.cols, Math.floor(r.cols * k + 1e-9)));
  const rows = Math.max(1, Math.min(r.rows, Math.floor(r.rows * k + 1e-9)));
  const status = asked === 'DECIMATE' ? ST.ImageDecimated : ST.ImageDemagnified;
  return { status, action: 'demagnify', rows, cols, comment: `${what}: ${asked === 'DECIMATE' ? 'decimated' : 'demagnified'} to ${cols}x${rows}` };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Of several warnings about one film or session, the one to answer: cropping loses most. */
export function worstFit(statuses: number[]): number {
  for (const s of [ST.ImageCropped, ST.ImageDecimated, ST.ImageDemagnified]) if (statuses.includes(s)) return s;
  return ST.Success;
}
