/**
 * The print SCP's objects on one association (PS3.4 H.4): one Basic Film Session, its
 * Film Boxes and their Image Boxes, and Presentation LUTs. Pure: each operation takes the
 * request's data set and returns the status, the response data set, and for N-ACTION the
 * content to spool. PS3.4 H.4.1-H.4.3 decide the statuses; values follow PS3.3 C.13.
 */
import { findElement, get, set, type Identifier } from '../dicom/identifier';
import { ENUMS, parseDisplayFormat } from './layout';
import { boxSizes, decideFit, DEFAULT_DPI, worstFit, type FitContext, type FitDecision } from './fit';
import { imageItem, type SpoolFilm, type SpoolJobContent } from './job';
import { applyFit } from './resize';
import { ST } from './status';
import { TAG, UID, newUid } from './uids';

export interface NResult {
  status: number;
  dataset?: Identifier;
  instanceUid?: string;
  offending?: number[];
  comment?: string;
  /** N-ACTION print: what to spool (the caller persists it before answering). */
  spool?: SpoolJobContent;
}

/** `fit`: the status of the last image set (0, B604, B609 or B60A), repeated by N-ACTION (Tables H.4-4, H.4-9). */
interface ImageBox { uid: string; position: number; color: boolean; dataset?: Identifier; fit?: number }
interface FilmBox { uid: string; attrs: Identifier; boxes: ImageBox[] }

const ILLUMINATION = 0x2010015e;
const REFLECTED_LIGHT = 0x20100160;
const SESSION_ATTRS = new Set<number>([TAG.SpecificCharacterSet, TAG.NumberOfCopies, TAG.PrintPriority, TAG.MediumType, TAG.FilmDestination,
  TAG.FilmSessionLabel, TAG.MemoryAllocation, TAG.OwnerId, TAG.ReferencedPresentationLutSequence, ILLUMINATION, REFLECTED_LIGHT]);
const FILMBOX_SET_ATTRS = new Set<number>([TAG.MagnificationType, TAG.SmoothingType, TAG.BorderDensity, TAG.EmptyImageDensity, TAG.MinDensity,
  TAG.MaxDensity, TAG.Trim, TAG.ConfigurationInformation, TAG.ReferencedPresentationLutSequence, ILLUMINATION, REFLECTED_LIGHT]);
const FILMBOX_ATTRS = new Set<number>([...FILMBOX_SET_ATTRS, TAG.SpecificCharacterSet, TAG.ImageDisplayFormat, TAG.AnnotationDisplayFormatId,
  TAG.FilmOrientation, TAG.FilmSizeId, TAG.RequestedResolutionId, TAG.ReferencedFilmSessionSequence]);
const IMAGEBOX_ATTRS = new Set<number>([TAG.SpecificCharacterSet, TAG.ImageBoxPosition, TAG.Polarity, TAG.MagnificationType, TAG.SmoothingType,
  TAG.ConfigurationInformation, TAG.RequestedImageSize, TAG.RequestedDecimateCropBehavior, TAG.BasicGrayscaleImageSequence,
  TAG.BasicColorImageSequence, TAG.ReferencedPresentationLutSequence, TAG.MinDensity, TAG.MaxDensity]);

/** Defaults the response carries when the SCU left them out (PS3.4 H.4.1.2.1.2: the SCP supplies them). */
const FILMBOX_DEFAULTS: Array<[number, string]> = [
  [TAG.FilmOrientation, 'PORTRAIT'], [TAG.FilmSizeId, '8INX10IN'], [TAG.MagnificationType, 'REPLICATE'],
  [TAG.BorderDensity, 'BLACK'], [TAG.EmptyImageDensity, 'BLACK'], [TAG.Trim, 'NO'],
];

function fail(status: number, comment: string, offending?: number[]): NResult {
  return { status, comment, offending };
}

/**
 * Unknown attributes → warning 0107 and ignored (kept out); bad enumerated values → 0106
 * with the offending elements; returns the kept attributes.
 */
function screen(ds: Identifier, allowed: Set<number>): { kept: Identifier; warning?: NResult; error?: NResult } {
  const unknown = ds.filter((e) => !allowed.has(e.tag)).map((e) => e.tag);
  const bad = ds.filter((e) => ENUMS[e.tag] && !ENUMS[e.tag].test((get(ds, e.tag) ?? '').trim().toUpperCase()) && (get(ds, e.tag) ?? '').trim() !== '');
  if (bad.length) return { kept: [], error: fail(ST.InvalidAttributeValue, `invalid value of ${bad.map((e) => hex(e.tag)).join(', ')}`, bad.map((e) => e.tag)) };
  const copies = get(ds, TAG.NumberOfCopies);
  if (copies !== undefined && copies.trim() !== '' && !(Number(copies) >= 1 && Number(copies) <= 99 && Number.isInteger(Number(copies)))) {
    return { kept: [], error: fail(ST.InvalidAttributeValue, `Number of Copies "${copies}"`, [TAG.NumberOfCopies]) };
  }
  const kept = ds.filter((e) => allowed.has(e.tag));
  return { kept, warning: unknown.length ? fail(ST.AttributeListError, `ignored ${unknown.map(hex).join(', ')}`, unknown) : undefined };
}

function hex(tag: number): string {
  const h = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}

function merge(into: Identifier, from: Identifier): void {
  for (const e of from) set(into, e.tag, e.value, e.vr);
}

function refUid(ds: Identifier, seqTag: number): string | undefined {
  const items = findElement(ds, seqTag)?.value as Identifier[] | undefined;
  return Array.isArray(items) && items[0] ? get(items[0], TAG.ReferencedSopInstanceUid) : undefined;
}

export class PrintSession {
  sessionUid?: string;
  sessionAttrs: Identifier = [];
  private readonly filmBoxes: FilmBox[] = [];
  private readonly luts = new Map<string, Identifier>();

  private readonly fit: FitContext;

  /**
   * `color`: the association negotiated the Basic Color Print Management Meta SOP Class;
   * `fit`: the printer's resolution and the oversize policy (default 300 dpi, demagnify).
   */
  constructor(private readonly color: boolean, fit?: Partial<FitContext>) {
    this.fit = { dpi: fit?.dpi ?? DEFAULT_DPI, policy: fit?.policy ?? 'demagnify', caps: fit?.caps };
  }

  get filmBoxCount(): number { return this.filmBoxes.length; }

  createFilmSession(ds: Identifier, askedUid?: string): NResult {
    if (this.sessionUid) return fail(ST.DuplicateSopInstance, 'a film session already exists on this association');
    const { kept, warning, error } = screen(ds, SESSION_ATTRS);
    if (error) return error;
    this.sessionUid = askedUid || newUid();
    this.sessionAttrs = kept;
    const dataset: Identifier = [...kept];
    if (!get(dataset, TAG.NumberOfCopies)) set(dataset, TAG.NumberOfCopies, '1', 'IS');
    if (!get(dataset, TAG.PrintPriority)) set(dataset, TAG.PrintPriority, 'MED', 'CS');
    // PS3.4 Table H.4.1.2.1.2-1: B600 "Memory allocation not supported" (the value is kept, unused).
    const memory = (get(kept, TAG.MemoryAllocation) ?? '').trim() !== '';
    const status = warning ?? (memory ? { status: ST.MemoryAllocationNotSupported, comment: 'Memory Allocation is not supported' } : { status: ST.Success });
    return { ...status, dataset, instanceUid: this.sessionUid };
  }

  setFilmSession(uid: string, ds: Identifier): NResult {
    if (uid !== this.sessionUid) return fail(ST.NoSuchSopInstance, `no film session ${uid}`);
    const { kept, warning, error } = screen(ds, SESSION_ATTRS);
    if (error) return error;
    merge(this.sessionAttrs, kept);
    return { ...(warning ?? { status: ST.Success }), dataset: kept, instanceUid: uid };
  }

  deleteFilmSession(uid: string): NResult {
    if (uid !== this.sessionUid) return fail(ST.NoSuchSopInstance, `no film session ${uid}`);
    this.sessionUid = undefined;
    this.sessionAttrs = [];
    this.filmBoxes.length = 0;
    return { status: ST.Success, instanceUid: uid };
  }

  /** PS3.4 H.4.1.2.1: the response lists an Image Box per position of the display format. */
  createFilmBox(ds: Identifier, askedUid?: string): NResult {
    if (!this.sessionUid) return fail(ST.InvalidObjectInstance, 'no film session: N-CREATE a Basic Film Session first');
    const ref = refUid(ds, TAG.ReferencedFilmSessionSequence);
    if (!ref) return fail(ST.MissingAttribute, 'Referenced Film Session Sequence missing', [TAG.ReferencedFilmSessionSequence]);
    if (ref !== this.sessionUid) return fail(ST.InvalidAttributeValue, `film session ${ref} is not this association's`, [TAG.ReferencedFilmSessionSequence]);
    const formatText = get(ds, TAG.ImageDisplayFormat);
    if (!formatText) return fail(ST.MissingAttribute, 'Image Display Format missing', [TAG.ImageDisplayFormat]);
    const format = parseDisplayFormat(formatText);
    if (typeof format === 'string') return fail(ST.InvalidAttributeValue, format, [TAG.ImageDisplayFormat]);
    const { kept, warning: screened, error } = screen(ds, FILMBOX_ATTRS);
    if (error) return error;
    const warning = screened ?? this.densityRange(kept);
    // Kept as asked (the SCU replays only what the modality chose); defaults go in the response.
    const attrs = kept.filter((e) => e.tag !== TAG.ReferencedFilmSessionSequence);
    const box: FilmBox = { uid: askedUid || newUid(), attrs, boxes: [] };
    const boxClass = this.color ? UID.ColorImageBox : UID.GrayImageBox;
    // Image box UIDs extend the film box UID with the position (unique as the film box UID
    // is; an SCU can then address image boxes without waiting for this response).
    const boxUid = (p: number): string => (box.uid.length + 1 + String(p).length <= 64 ? `${box.uid}.${p}` : newUid());
    format.boxes.forEach((_, i) => box.boxes.push({ uid: boxUid(i + 1), position: i + 1, color: this.color }));
    this.filmBoxes.push(box);
    const dataset: Identifier = [...attrs];
    for (const [tag, v] of FILMBOX_DEFAULTS) if (!get(dataset, tag)) set(dataset, tag, v, 'CS');
    set(dataset, TAG.ReferencedFilmSessionSequence, [[
      { tag: TAG.ReferencedSopClassUid, vr: 'UI', value: UID.FilmSession },
      { tag: TAG.ReferencedSopInstanceUid, vr: 'UI', value: this.sessionUid },
    ]], 'SQ');
    set(dataset, TAG.ReferencedImageBoxSequence, box.boxes.map((b) => [
      { tag: TAG.ReferencedSopClassUid, vr: 'UI', value: boxClass },
      { tag: TAG.ReferencedSopInstanceUid, vr: 'UI', value: b.uid },
    ]), 'SQ');
    return { ...(warning ?? { status: ST.Success }), dataset, instanceUid: box.uid };
  }

  setFilmBox(uid: string, ds: Identifier): NResult {
    const box = this.filmBoxes.find((b) => b.uid === uid);
    if (!box) return fail(ST.NoSuchSopInstance, `no film box ${uid}`);
    const { kept, warning: screened, error } = screen(ds, FILMBOX_SET_ATTRS);
    if (error) return error;
    const warning = screened ?? this.densityRange(kept);
    merge(box.attrs, kept);
    return { ...(warning ?? { status: ST.Success }), dataset: kept, instanceUid: uid };
  }

  /**
   * PS3.4 Tables H.4.1.2.1.2-1, H.4.1.2.2.2-1: a Min or Max Density outside the printer's
   * range ([RemoteAE] minDensity/maxDensity) is B605, and the printer's limit is used
   * instead: the value in `attrs` (what the job replays, and what the response shows) is
   * replaced by it. Nothing is checked when the range is not configured.
   */
  private densityRange(attrs: Identifier): NResult | undefined {
    const lo = this.fit.caps?.minDensity;
    const hi = this.fit.caps?.maxDensity;
    const changed: string[] = [];
    const clamp = (tag: number, name: string, limit: number | undefined, outside: (v: number) => boolean): void => {
      const raw = get(attrs, tag);
      if (limit === undefined || raw === undefined || raw.trim() === '') return;
      const v = Number(raw);
      if (!Number.isFinite(v) || !outside(v)) return;
      set(attrs, tag, String(limit), 'US');
      changed.push(`${name} ${v}->${limit}`); // an Error Comment is LO: ASCII, 64 characters
    };
    clamp(TAG.MinDensity, 'Min', lo, (v) => v < lo!);
    clamp(TAG.MaxDensity, 'Max', hi, (v) => v > hi!);
    if (!changed.length) return undefined;
    return { status: ST.DensityOutOfRange, comment: `density ${changed.join(', ')} (printer ${lo ?? '-'}..${hi ?? '-'})` };
  }

  deleteFilmBox(uid: string): NResult {
    const at = this.filmBoxes.findIndex((b) => b.uid === uid);
    if (at < 0) return fail(ST.NoSuchSopInstance, `no film box ${uid}`);
    this.filmBoxes.splice(at, 1);
    return { status: ST.Success, instanceUid: uid };
  }

  /** PS3.4 H.4.3.1 (Image Box N-SET): the image item is checked against C.13.5. */
  setImageBox(uid: string, color: boolean, ds: Identifier): NResult {
    const box = this.filmBoxes.flatMap((f) => f.boxes).find((b) => b.uid === uid);
    if (!box) return fail(ST.NoSuchSopInstance, `no image box ${uid}`);
    if (box.color !== color) return fail(ST.ClassInstanceConflict, `image box ${uid} is ${box.color ? 'color' : 'grayscale'}`);
    const pos = get(ds, TAG.ImageBoxPosition);
    if (pos !== undefined && Number(pos) !== box.position) return fail(ST.InvalidAttributeValue, `Image Box Position ${pos} is not ${box.position}`, [TAG.ImageBoxPosition]);
    const { kept, warning, error } = screen(ds, IMAGEBOX_ATTRS);
    if (error) return error;
    const seqTag = color ? TAG.BasicColorImageSequence : TAG.BasicGrayscaleImageSequence;
    const items = findElement(kept, seqTag)?.value as Identifier[] | undefined;
    let decision: FitDecision | undefined;
    let magnification = '';
    if (Array.isArray(items) && items.length) {
      const problem = checkImage(items[0], color);
      if (problem) return fail(ST.InvalidAttributeValue, problem.text, [problem.tag]);
      magnification = this.magnificationOf(box, kept);
      decision = this.decide(box, kept, items[0], magnification);
      // C603 is a failure: the image box keeps what it had (nothing of this N-SET is applied).
      if (decision.action === 'fail') return fail(decision.status, decision.comment, [TAG.Rows, TAG.Columns]);
    }
    const fitted = decision ? applyFit(kept, seqTag, decision, magnification) : kept;
    box.dataset = box.dataset ?? [];
    if (decision && decision.action === 'demagnify') box.dataset = box.dataset.filter((e) => e.tag !== TAG.RequestedImageSize);
    merge(box.dataset, fitted);
    if (!get(box.dataset, TAG.ImageBoxPosition)) set(box.dataset, TAG.ImageBoxPosition, String(box.position), 'US');
    if (decision) box.fit = decision.status;
    // The response's attribute list is optional (PS3.7 10.1.3.1): the pixels are not echoed.
    if (decision && decision.action !== 'none') return { status: decision.status, comment: decision.comment, instanceUid: uid };
    return { ...(warning ?? { status: ST.Success }), instanceUid: uid };
  }

  /** H.4.3.1.2.1.1: the image box's Magnification Type overrides the film box's; REPLICATE is our default. */
  private magnificationOf(box: ImageBox, kept: Identifier): string {
    const film = this.filmOf(box);
    return (get(kept, TAG.MagnificationType) ?? get(box.dataset ?? [], TAG.MagnificationType) ?? get(film?.attrs ?? [], TAG.MagnificationType) ?? 'REPLICATE').trim().toUpperCase() || 'REPLICATE';
  }

  private filmOf(box: ImageBox): FilmBox | undefined {
    return this.filmBoxes.find((f) => f.boxes.includes(box));
  }

  /** The PS3.4 H.4 size decision for an image in this box (src/print/fit.ts); 'none' when the box size is unknown. */
  private decide(box: ImageBox, kept: Identifier, item: Identifier, magnification: string): FitDecision {
    const film = this.filmOf(box);
    const size = film ? boxSizes(film.attrs, this.fit)?.[box.position - 1] : undefined;
    if (!size) return { status: ST.Success, action: 'none' };
    const pick = (tag: number): string | undefined => get(kept, tag) ?? get(box.dataset ?? [], tag);
    const mm = Number(pick(TAG.RequestedImageSize));
    return decideFit({
      rows: Number(get(item, TAG.Rows)), cols: Number(get(item, TAG.Columns)), box: size, magnification,
      requestedWidthMm: Number.isFinite(mm) && mm > 0 ? mm : undefined, behavior: pick(TAG.RequestedDecimateCropBehavior),
      policy: this.fit.policy, dpi: this.fit.dpi,
    });
  }

  /** Film Box N-ACTION (print this film, H.4.2.2.4) → spool content, or a status. */
  /**
   * Film Box N-ACTION (print this film, H.4.2.2.4) → spool content, or a status. Table H.4-9:
   * an image demagnified, decimated or cropped at its N-SET is repeated (B604/B60A/B609),
   * else B603 when no image box holds an image (an empty page comes out).
   */
  printFilmBox(uid: string): NResult {
    const box = this.filmBoxes.find((b) => b.uid === uid);
    if (!box) return fail(ST.NoSuchSopInstance, `no film box ${uid}`);
    const film = toSpoolFilm(box);
    const status = worstFit(box.boxes.map((b) => b.fit ?? 0)) || (isEmpty(film) ? ST.FilmBoxEmptyPage : ST.Success);
    return { status, instanceUid: uid, spool: { session: [...this.sessionAttrs], films: [film] } };
  }

  /**
   * Film Session N-ACTION (print every film box, H.4.1.2.4) → spool content, or C600.
   * Table H.4-4: B604/B60A/B609 as for a film box; B602 when any film would come out as an
   * empty page. B601 (collation not supported) is never answered: every film box of the
   * session is printed, in order, as one job.
   */
  printFilmSession(uid: string): NResult {
    if (uid !== this.sessionUid) return fail(ST.NoSuchSopInstance, `no film session ${uid}`);
    if (!this.filmBoxes.length) return fail(ST.SessionHasNoFilmBox, 'the film session has no film box');
    const films = this.filmBoxes.map(toSpoolFilm);
    const fitted = worstFit(this.filmBoxes.flatMap((f) => f.boxes.map((b) => b.fit ?? 0)));
    const status = fitted || (films.some(isEmpty) ? ST.SessionEmptyPage : ST.Success);
    return { status, instanceUid: uid, spool: { session: [...this.sessionAttrs], films } };
  }

  createPresentationLut(ds: Identifier, askedUid?: string): NResult {
    const shape = get(ds, TAG.PresentationLutShape);
    const lutSeq = findElement(ds, 0x20500010);
    if (!shape && !lutSeq) return fail(ST.MissingAttribute, 'Presentation LUT Shape or Presentation LUT Sequence required', [TAG.PresentationLutShape]);
    if (shape && !ENUMS[TAG.PresentationLutShape].test(shape.trim().toUpperCase())) return fail(ST.InvalidAttributeValue, `Presentation LUT Shape "${shape}"`, [TAG.PresentationLutShape]);
    const uid = askedUid || newUid();
    this.luts.set(uid, ds);
    return { status: ST.Success, instanceUid: uid, dataset: ds };
  }

  deletePresentationLut(uid: string): NResult {
    if (!this.luts.delete(uid)) return fail(ST.NoSuchSopInstance, `no presentation LUT ${uid}`);
    return { status: ST.Success, instanceUid: uid };
  }
}

/** No image box of the film holds an image. */
function isEmpty(film: SpoolFilm): boolean {
  return !film.boxes.some((b) => imageItem(b.dataset));
}

function toSpoolFilm(box: FilmBox): SpoolFilm {
  return {
    attrs: [...box.attrs],
    boxes: box.boxes.filter((b) => b.dataset).map((b) => ({ position: b.position, color: b.color, dataset: b.dataset! })),
  };
}

/** PS3.3 C.13.5.1: grey 8/8 or 16/12 MONOCHROME1|2 unsigned; colour RGB 8/8. */
export function checkImage(item: Identifier, color: boolean): { tag: number; text: string } | undefined {
  const n = (tag: number): number => Number(get(item, tag) ?? NaN);
  const spp = n(TAG.SamplesPerPixel);
  const pi = (get(item, TAG.Photometric) ?? '').trim().toUpperCase();
  const rows = n(TAG.Rows);
  const cols = n(TAG.Columns);
  const ba = n(TAG.BitsAllocated);
  const bs = n(TAG.BitsStored);
  if (!(rows >= 1 && cols >= 1)) return { tag: TAG.Rows, text: 'Rows/Columns missing' };
  if (color) {
    if (spp !== 3 || pi !== 'RGB') return { tag: TAG.Photometric, text: `colour image must be RGB with 3 samples (got ${pi}, ${spp})` };
    if (ba !== 8) return { tag: TAG.BitsAllocated, text: `colour Bits Allocated ${ba}` };
  } else {
    if (spp !== 1 || (pi !== 'MONOCHROME1' && pi !== 'MONOCHROME2')) return { tag: TAG.Photometric, text: `grayscale image must be MONOCHROME1/2 (got ${pi}, ${spp})` };
    if (!((ba === 8 && bs === 8) || (ba === 16 && bs === 12))) return { tag: TAG.BitsStored, text: `Bits Allocated/Stored ${ba}/${bs} (8/8 or 16/12)` };
  }
  const px = findElement(item, TAG.PixelData)?.value;
  const need = rows * cols * spp * (ba / 8);
  if (!Buffer.isBuffer(px) || px.length < need) return { tag: TAG.PixelData, text: `Pixel Data has ${Buffer.isBuffer(px) ? px.length : 0} bytes, ${need} needed` };
  return undefined;
}
