/**
 * Reads the attributes the index needs from a data set, without loading it whole.
 * Pure: `parseHeader(prefix, syntax, totalSize)` walks the top-level elements of a byte
 * prefix and either returns the attributes or says how many bytes it needs.
 *
 * Why not dcmjs: it needs the whole file in memory, decodes text with one decoder per
 * data set (and throws on ISO 2022 multi-valued charsets), and gives no raw bytes.
 * Here text values keep their raw bytes until src/store/charset.ts decodes them.
 */
import { decodeText, normalizePersonName, parseCharsetTerms, personNameGroups } from './charset';
import { trimUid } from './paths';

export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const EXPLICIT_VR_BE = '1.2.840.10008.1.2.2';
export const SUPPORTED_SYNTAXES = [IMPLICIT_VR_LE, EXPLICIT_VR_LE, EXPLICIT_VR_BE];

export interface HeaderAttributes {
  /** Raw (0008,0005) value, backslash-separated, or null. */
  specificCharacterSet: string | null;
  sopClassUid: string | null;
  sopInstanceUid: string | null;
  /** Alphabetic group of (0010,0010), decoded; null if absent or empty. */
  patientName: string | null;
  /** Whole PN value with all three component groups, decoded. */
  patientNameFull: string | null;
  /** Upper-cased alphabetic group for case-insensitive matching. */
  patientNameNorm: string | null;
  patientId: string | null;
  patientBirthDate: string | null;
  patientSex: string | null;
  studyInstanceUid: string | null;
  studyDate: string | null;
  studyTime: string | null;
  studyDescription: string | null;
  accessionNumber: string | null;
  referringPhysicianName: string | null;
  referringPhysicianNameFull: string | null;
  studyId: string | null;
  seriesInstanceUid: string | null;
  seriesNumber: number | null;
  modality: string | null;
  seriesDescription: string | null;
  instanceNumber: number | null;
  numberOfFrames: number | null;
  rows: number | null;
  columns: number | null;
}

export type ParseResult =
  | { kind: 'ok'; header: HeaderAttributes }
  | { kind: 'more'; need: number };

export class HeaderParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeaderParseError';
  }
}

/** The top-level tags we keep, with their PS3.6 VR (needed in Implicit VR). */
const WANTED: Record<number, string> = {
  0x00080005: 'CS', 0x00080016: 'UI', 0x00080018: 'UI', 0x00080020: 'DA', 0x00080030: 'TM',
  0x00080050: 'SH', 0x00080060: 'CS', 0x00080090: 'PN', 0x00081030: 'LO', 0x0008103e: 'LO',
  0x00100010: 'PN', 0x00100020: 'LO', 0x00100030: 'DA', 0x00100040: 'CS',
  0x0020000d: 'UI', 0x0020000e: 'UI', 0x00200010: 'SH', 0x00200011: 'IS', 0x00200013: 'IS',
  0x00280008: 'IS', 0x00280010: 'US', 0x00280011: 'US',
};
/** Past this tag nothing we want can follow (data sets are in ascending tag order). */
const LAST_WANTED = 0x00280011;
const PIXEL_DATA = 0x7fe00010;
const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_DELIM = 0xfffee00d;
const SEQ_DELIM = 0xfffee0dd;
/** PS3.5 7.1.2: these explicit VRs have 2 reserved bytes and a 32-bit length. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const MAX_DEPTH = 32;

interface Enc { implicit: boolean; little: boolean }
interface Raw { vr: string; bytes: Buffer; little: boolean }

/** Signals that the prefix ended before the walk could finish. */
class NeedMore {
  constructor(readonly need: number) {}
}

function encodingOf(syntax: string): Enc {
  if (syntax === IMPLICIT_VR_LE) return { implicit: true, little: true };
  if (syntax === EXPLICIT_VR_LE) return { implicit: false, little: true };
  if (syntax === EXPLICIT_VR_BE) return { implicit: false, little: false };
  throw new HeaderParseError(`unsupported transfer syntax ${syntax}`);
}

class Cursor {
  constructor(readonly buf: Buffer, public pos: number, readonly total: number) {}
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.buf.length >= this.total) throw new HeaderParseError(`data set truncated at byte ${this.pos}`);
    throw new NeedMore(this.pos + n);
  }
  u16(little: boolean): number {
    this.ensure(2);
    const v = little ? this.buf.readUInt16LE(this.pos) : this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(little: boolean): number {
    this.ensure(4);
    const v = little ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  tag(little: boolean): number {
    const g = this.u16(little);
    return ((g << 16) | this.u16(little)) >>> 0;
  }
  skip(n: number): void {
    if (this.pos + n > this.total) throw new HeaderParseError(`element length ${n} runs past the end at byte ${this.pos}`);
    this.pos += n;
  }
}

/** 'AA'..'ZZ', indexed by (first letter - 'A') * 26 + (second - 'A'). */
const VR_NAMES: string[] = Array.from({ length: 26 * 26 }, (_, i) => String.fromCharCode(0x41 + Math.floor(i / 26), 0x41 + (i % 26)));

/** PS3.5 7.1: one element header. In Implicit VR the VR comes from the dictionary. */
function readElementHeader(c: Cursor, enc: Enc): { tag: number; vr: string; length: number } {
  const tag = c.tag(enc.little);
  if (tag === ITEM || tag === ITEM_DELIM || tag === SEQ_DELIM) return { tag, vr: '', length: c.u32(enc.little) };
  if (enc.implicit) return { tag, vr: WANTED[tag] ?? 'UN', length: c.u32(true) };
  c.ensure(2);
  const a = c.buf[c.pos] - 0x41;
  const b = c.buf[c.pos + 1] - 0x41;
  c.pos += 2;
  if (a < 0 || a > 25 || b < 0 || b > 25) throw new HeaderParseError(`invalid VR at byte ${c.pos - 2}`);
  const vr = VR_NAMES[a * 26 + b]; // no string made per element
  if (LONG_VRS.has(vr)) {
    c.skip(2);
    return { tag, vr, length: c.u32(enc.little) };
  }
  return { tag, vr, length: c.u16(enc.little) };
}

/**
 * Skips the content of an undefined-length element: a sequence of items (SQ, UN, or
 * encapsulated OB/OW) up to the Sequence Delimitation Item (PS3.5 7.5.2). The items of
 * UN of undefined length are in Implicit VR Little Endian (PS3.5 6.2.2 note).
 */
function skipUndefined(c: Cursor, enc: Enc, vr: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new HeaderParseError('sequences nested too deeply');
  const inner: Enc = vr === 'UN' ? { implicit: true, little: true } : enc;
  for (;;) {
    const { tag, length } = readElementHeader(c, inner);
    if (tag === SEQ_DELIM) return;
    if (tag !== ITEM) throw new HeaderParseError(`expected an item at byte ${c.pos - 8}`);
    if (length !== UNDEFINED) c.skip(length);
    else skipDataSet(c, inner, depth + 1, ITEM_DELIM);
  }
}

/** Walks nested elements until `until` (an Item Delimitation Item). */
function skipDataSet(c: Cursor, enc: Enc, depth: number, until: number): void {
  for (;;) {
    const { tag, vr, length } = readElementHeader(c, enc);
    if (tag === until) return;
    if (length === UNDEFINED) skipUndefined(c, enc, vr, depth);
    else c.skip(length);
  }
}

/** Walks the top level and collects the raw values of the wanted tags. */
function collect(c: Cursor, enc: Enc): Map<number, Raw> {
  const found = new Map<number, Raw>();
  while (c.pos < c.total) {
    const start = c.pos;
    const { tag, vr, length } = readElementHeader(c, enc);
    if (tag > LAST_WANTED || tag === PIXEL_DATA) {
      c.pos = start;
      break;
    }
    if (length === UNDEFINED) {
      skipUndefined(c, enc, vr, 1);
      continue;
    }
    if (WANTED[tag] !== undefined) {
      c.ensure(length);
      found.set(tag, { vr: enc.implicit ? WANTED[tag] : vr, bytes: c.buf.subarray(c.pos, c.pos + length), little: enc.little });
    }
    c.skip(length);
  }
  return found;
}

/**
 * Parses a prefix of a data set (not a Part 10 file: no preamble, no group 0002).
 * `totalSize` is the full data set length, so a short prefix asks for more and a
 * complete one that ends mid-element is an error.
 */
export function parseHeader(prefix: Buffer, transferSyntaxUid: string, totalSize: number): ParseResult {
  const enc = encodingOf(transferSyntaxUid);
  const c = new Cursor(prefix, 0, totalSize);
  try {
    return { kind: 'ok', header: toAttributes(collect(c, enc)) };
  } catch (e) {
    if (e instanceof NeedMore) return { kind: 'more', need: Math.min(totalSize, Math.max(e.need, prefix.length * 2)) };
    if (e instanceof HeaderParseError) throw e;
    throw new HeaderParseError(`cannot parse data set: ${(e as Error).message}`);
  }
}

const TEXT_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN']);

function toAttributes(found: Map<number, Raw>): HeaderAttributes {
  const csRaw = ascii(found.get(0x00080005));
  const terms = parseCharsetTerms(csRaw);
  const text = (tag: number): string | null => {
    const r = found.get(tag);
    if (!r) return null;
    const s = TEXT_VRS.has(r.vr) ? decodeText(r.bytes, terms) : r.bytes.toString('latin1');
    return emptyToNull(r.vr === 'LT' || r.vr === 'ST' || r.vr === 'UT' ? s.replace(/[ \0]+$/, '') : s.replace(/^[ \0]+|[ \0]+$/g, ''));
  };
  const uid = (tag: number): string | null => emptyToNull(trimUid(ascii(found.get(tag)) ?? ''));
  const patient = personName(text(0x00100010));
  const referring = personName(text(0x00080090));
  return {
    specificCharacterSet: emptyToNull(csRaw?.trim() ?? ''),
    sopClassUid: uid(0x00080016), sopInstanceUid: uid(0x00080018),
    patientName: patient.alphabetic, patientNameFull: patient.full, patientNameNorm: patient.norm,
    patientId: text(0x00100020), patientBirthDate: text(0x00100030), patientSex: text(0x00100040),
    studyInstanceUid: uid(0x0020000d), studyDate: text(0x00080020), studyTime: text(0x00080030),
    studyDescription: text(0x00081030), accessionNumber: text(0x00080050),
    referringPhysicianName: referring.alphabetic, referringPhysicianNameFull: referring.full,
    studyId: text(0x00200010), seriesInstanceUid: uid(0x0020000e), seriesNumber: integer(text(0x00200011)),
    modality: text(0x00080060), seriesDescription: text(0x0008103e), instanceNumber: integer(text(0x00200013)),
    numberOfFrames: integer(text(0x00280008)), rows: us(found.get(0x00280010)), columns: us(found.get(0x00280011)),
  };
}

function ascii(r: Raw | undefined): string | null {
  return r ? r.bytes.toString('latin1') : null;
}

function emptyToNull(s: string): string | null {
  return s.length ? s : null;
}

/** IS (PS3.5 6.2): an integer string, possibly with a sign and padding; first value. */
function integer(s: string | null): number | null {
  if (s === null) return null;
  const first = s.split('\\')[0].trim();
  return /^[+-]?\d+$/.test(first) ? Number.parseInt(first, 10) : null;
}

function us(r: Raw | undefined): number | null {
  if (!r || r.bytes.length < 2) return null;
  return r.little ? r.bytes.readUInt16LE(0) : r.bytes.readUInt16BE(0);
}

function personName(full: string | null): { alphabetic: string | null; full: string | null; norm: string | null } {
  if (full === null) return { alphabetic: null, full: null, norm: null };
  const alphabetic = emptyToNull(personNameGroups(full).alphabetic.replace(/ +$/, ''));
  return { alphabetic, full, norm: alphabetic === null ? null : emptyToNull(normalizePersonName(alphabetic)) };
}
