/**
 * Building a print job from images (for `dicom-edge print`): items laid out on films of a
 * display format, one Image Box per image, as many films as needed. Pure.
 */
import type { Identifier } from '../dicom/identifier';
import type { PrinterCapabilities } from './config';
import type { SpoolJobContent } from './job';
import { parseDisplayFormat } from './layout';
import { TAG } from './uids';

export interface ComposeOptions {
  /** Image Display Format; default: the smallest STANDARD grid the printer accepts that holds them (max 4x5). */
  format?: string;
  film?: string;
  copies?: number;
  orientation?: string;
  magnification?: string;
  label?: string;
}

/** A STANDARD\c,r for n images: from the printer's list when it has one, else near-square. */
export function defaultFormat(n: number, caps: PrinterCapabilities): string {
  const fits = caps.displayFormats.filter(([c, r]) => c * r >= n).sort((a, b) => a[0] * a[1] - b[0] * b[1]);
  if (fits.length) return `STANDARD\\${fits[0][0]},${fits[0][1]}`;
  if (caps.displayFormats.length) {
    const [c, r] = [...caps.displayFormats].sort((a, b) => b[0] * b[1] - a[0] * a[1])[0];
    return `STANDARD\\${c},${r}`;
  }
  const cols = Math.min(4, Math.ceil(Math.sqrt(n)));
  const rows = Math.min(5, Math.ceil(n / cols));
  return `STANDARD\\${cols},${rows}`;
}

export function composeJob(items: Array<{ item: Identifier; colour: boolean }>, o: ComposeOptions, caps: PrinterCapabilities): SpoolJobContent {
  const format = o.format ?? defaultFormat(items.length, caps);
  const parsed = parseDisplayFormat(format);
  if (typeof parsed === 'string') throw new Error(parsed);
  const per = parsed.boxes.length;
  const session: Identifier = [{ tag: TAG.NumberOfCopies, vr: 'IS', value: String(o.copies ?? 1) }];
  if (o.label) session.push({ tag: TAG.FilmSessionLabel, vr: 'LO', value: o.label });
  const films: SpoolJobContent['films'] = [];
  for (let i = 0; i < items.length; i += per) {
    const attrs: Identifier = [{ tag: TAG.ImageDisplayFormat, vr: 'ST', value: format }];
    if (o.orientation) attrs.push({ tag: TAG.FilmOrientation, vr: 'CS', value: o.orientation.toUpperCase() });
    if (o.film) attrs.push({ tag: TAG.FilmSizeId, vr: 'CS', value: o.film.toUpperCase() });
    if (o.magnification) attrs.push({ tag: TAG.MagnificationType, vr: 'CS', value: o.magnification.toUpperCase() });
    attrs.sort((a, b) => a.tag - b.tag);
    const boxes = items.slice(i, i + per).map((it, j) => ({
      position: j + 1,
      color: it.colour,
      dataset: [
        { tag: TAG.ImageBoxPosition, vr: 'US', value: String(j + 1) },
        { tag: it.colour ? TAG.BasicColorImageSequence : TAG.BasicGrayscaleImageSequence, vr: 'SQ', value: [it.item] },
      ] as Identifier,
    }));
    films.push({ attrs, boxes });
  }
  return { session, films };
}
