/**
 * What a spooled print job holds (what the modality sent, as sent): the film session's
 * attributes and, per film, the film box attributes and every image box N-SET data set
 * (position, polarity, the Preformatted Grayscale/Color Image Sequence with pixels).
 */
import { findElement, get, type Identifier } from '../dicom/identifier';
import { TAG } from './uids';

export interface SpoolBox {
  position: number;
  /** Basic Color Image Box (else grayscale). */
  color: boolean;
  /** The Image Box N-SET data set. */
  dataset: Identifier;
}

export interface SpoolFilm {
  /** Film box attributes (display format, film size, orientation, magnification, densities, trim…). */
  attrs: Identifier;
  boxes: SpoolBox[];
}

export interface SpoolJobContent {
  session: Identifier;
  films: SpoolFilm[];
}

export type JobState = 'queued' | 'printing' | 'done' | 'failed' | 'held';

/** The image item (Preformatted Grayscale/Color Image Sequence item) of an image box data set. */
export function imageItem(box: Identifier): Identifier | undefined {
  const seq = findElement(box, TAG.BasicGrayscaleImageSequence) ?? findElement(box, TAG.BasicColorImageSequence);
  const items = seq?.value as Identifier[] | undefined;
  return Array.isArray(items) && items.length ? items[0] : undefined;
}

export function copiesOf(content: SpoolJobContent): number {
  const n = Number(get(content.session, TAG.NumberOfCopies) ?? '1');
  return Number.isInteger(n) && n > 0 ? n : 1;
}

export function imageCount(content: SpoolJobContent): number {
  return content.films.reduce((n, f) => n + f.boxes.filter((b) => imageItem(b.dataset)).length, 0);
}
