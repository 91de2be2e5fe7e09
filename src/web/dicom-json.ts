/**
 * DICOM JSON Model (PS3.18 F.2): an object keyed by 8 upper-case hex digits, each
 * attribute { vr, Value? | InlineBinary? | BulkDataURI? }.
 *  - F.2.2: PN values are objects with Alphabetic / Ideographic / Phonetic groups;
 *  - F.2.3: IS, DS and the binary numbers are JSON numbers; AT is "GGGGEEEE";
 *  - F.2.5: an empty value is the attribute with no Value;
 *  - F.2.7: OB/OW/OF/OD/OL/OV/UN as InlineBinary (base64) or BulkDataURI.
 */
import type { IdElement, Identifier } from '../dicom/identifier';

export type DicomJson = Record<string, DicomJsonAttr>;
export interface DicomJsonAttr {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

const NUMBER_VRS = new Set(['IS', 'DS', 'US', 'SS', 'UL', 'SL', 'FL', 'FD', 'SV', 'UV']);
const BINARY_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN']);
/** Single-valued text VRs: a backslash is part of the value (PS3.5 6.2). */
const SINGLE_TEXT = new Set(['LT', 'ST', 'UT', 'UR']);

export function tagKey(tag: number): string {
  return (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

export interface JsonOptions {
  /** Binary values longer than this become BulkDataURI (when `bulkDataUri` is given). */
  inlineMax?: number;
  bulkDataUri?: (tag: number) => string;
}

export function toDicomJson(id: Identifier, o: JsonOptions = {}): DicomJson {
  const out: DicomJson = {};
  for (const el of id) {
    if ((el.tag >>> 16) === 0x0002 || (el.tag & 0xffff) === 0x0000) continue; // meta and group lengths
    out[tagKey(el.tag)] = attr(el, o);
  }
  return out;
}

function attr(el: IdElement, o: JsonOptions): DicomJsonAttr {
  const vr = el.vr || 'UN';
  const v = el.value;
  if (vr === 'SQ') {
    const items = Array.isArray(v) ? (v as Identifier[]) : [];
    return items.length ? { vr, Value: items.map((i) => toDicomJson(i, o)) } : { vr };
  }
  if (Buffer.isBuffer(v)) {
    if (v.length === 0) return { vr };
    if (o.bulkDataUri && v.length > (o.inlineMax ?? 1024)) return { vr, BulkDataURI: o.bulkDataUri(el.tag) };
    return { vr, InlineBinary: v.toString('base64') };
  }
  const text = Array.isArray(v) ? (v as string[]).join('\\') : String(v ?? '');
  if (text === '') return { vr };
  return { vr, Value: textValues(vr, text) };
}

/** One DICOM text value (multi-values joined by \) → JSON values for the VR. */
export function textValues(vr: string, text: string): unknown[] {
  const parts = SINGLE_TEXT.has(vr) ? [text] : text.split('\\');
  if (vr === 'PN') return parts.map(pnValue);
  if (NUMBER_VRS.has(vr)) return parts.map((p) => (p.trim() === '' ? null : numberValue(p.trim())));
  if (vr === 'AT') return parts.map((p) => p.replace(/[^0-9A-Fa-f]/g, '').toUpperCase());
  if (BINARY_VRS.has(vr)) return parts;
  return parts.map((p) => (p === '' ? null : p));
}

function numberValue(s: string): number | string {
  const n = Number(s);
  if (!Number.isFinite(n)) return s;
  // SV/UV beyond 2^53 stay exact as strings (F.2.3.1 allows it for 64-bit integers).
  return Number.isSafeInteger(n) || !/^-?\d+$/.test(s) ? n : s;
}

function pnValue(p: string): Record<string, string> | null {
  if (p === '') return null;
  const [alphabetic, ideographic, phonetic] = p.split('=');
  const o: Record<string, string> = {};
  if (alphabetic) o.Alphabetic = alphabetic;
  if (ideographic) o.Ideographic = ideographic;
  if (phonetic) o.Phonetic = phonetic;
  return o;
}

/** Builds an attribute from a plain value (QIDO results from index rows). */
export function jsonAttr(vr: string, value: string | number | null | undefined): DicomJsonAttr {
  if (value === null || value === undefined || value === '') return { vr };
  return { vr, Value: textValues(vr, String(value)) };
}
