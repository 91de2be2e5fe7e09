/**
 * Media type negotiation for rendered images (PS3.18 8.7.4 and 9.1.2.1.6): image/jpeg is
 * the default and image/png is also served; nothing else (image/gif, video…).
 */
import type { RenderedType } from '../dicom/render/load';
import { HttpError } from './http-util';

const RENDERED: readonly RenderedType[] = ['image/jpeg', 'image/png'];

/** The media ranges of an Accept header, best first (RFC 9110 12.5.1; q=0 = not acceptable). */
export function acceptRanges(accept: string): string[] {
  return accept.split(',')
    .map((part, i) => {
      const [range, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='));
      return { range, q: q ? Number(q.slice(2)) : 1, i };
    })
    .filter((r) => r.range && Number.isFinite(r.q) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((r) => r.range);
}

/** The rendered type to answer an Accept header with (none → JPEG), or undefined when none is served. */
export function pickRendered(accept: string | undefined): RenderedType | undefined {
  if (!accept?.trim()) return 'image/jpeg';
  for (const range of acceptRanges(accept)) {
    if (range === '*/*' || range === 'image/*') return 'image/jpeg';
    const hit = RENDERED.find((t) => t === range);
    if (hit) return hit;
  }
  return undefined;
}

/** WADO-URI contentType (9.1.2.1.6): a list in order of preference; default image/jpeg. */
export function pickWadoUriType(contentType: string | null): RenderedType | 'application/dicom' | undefined {
  const list = (contentType ?? 'image/jpeg').split(',').map((x) => x.split(';')[0].trim().toLowerCase()).filter(Boolean);
  for (const t of list.length ? list : ['image/jpeg']) {
    if (t === 'application/dicom') return t;
    if (t === '*/*' || t === 'image/*') return 'image/jpeg';
    const hit = RENDERED.find((r) => r === t);
    if (hit) return hit;
  }
  return undefined;
}

/** `quality` (WADO-RS) / `imageQuality` (WADO-URI): an integer 1-100, else 400. */
export function qualityParam(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new HttpError(400, `quality must be an integer from 1 to 100, not ${JSON.stringify(v)}`);
  return n;
}
