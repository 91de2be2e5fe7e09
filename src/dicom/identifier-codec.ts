/**
 * Identifier ↔ bytes in the three uncompressed transfer syntaxes (PS3.5 7.1, 7.5).
 * Text is decoded per Specific Character Set (0008,0005) with src/store/charset.ts; a
 * (0008,0005) inside a sequence item applies to that item only (PS3.3 C.12.1.1.2).
 */
import { EdgeError } from '../util/errors';
import { decodeText, parseCharsetTerms } from '../store/charset';
import { implicitVr, isLongVr, swapUnit } from './vr-dictionary';
import type { IdElement, IdValue, Identifier } from './identifier';

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const TAG_CHARSET = 0x00080005;
const ITEM = 0xfffee000;
const ITEM_DELIM = 0xfffee00d;
const SEQ_DELIM = 0xfffee0dd;
const UNDEFINED = 0xffffffff;
const MAX_DEPTH = 32;

/** PS3.5 6.1.2.3: the VRs whose repertoire the Specific Character Set extends. */
const CHARSET_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN']);
const TEXT_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
/** Leading spaces are not significant in these (PS3.5 Table 6.2-1). */
const TRIM_LEADING = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'TM', 'UI']);
/** Binary numbers: [byte size, read, write] per value. */
const NUMERIC: Record<string, [number, (b: Buffer, o: number, big: boolean) => number | bigint]> = {
  US: [2, (b, o, big) => (big ? b.readUInt16BE(o) : b.readUInt16LE(o))],
  SS: [2, (b, o, big) => (big ? b.readInt16BE(o) : b.readInt16LE(o))],
  UL: [4, (b, o, big) => (big ? b.readUInt32BE(o) : b.readUInt32LE(o))],
  SL: [4, (b, o, big) => (big ? b.readInt32BE(o) : b.readInt32LE(o))],
  FL: [4, (b, o, big) => (big ? b.readFloatBE(o) : b.readFloatLE(o))],
  FD: [8, (b, o, big) => (big ? b.readDoubleBE(o) : b.readDoubleLE(o))],
  SV: [8, (b, o, big) => (big ? b.readBigInt64BE(o) : b.readBigInt64LE(o))],
  UV: [8, (b, o, big) => (big ? b.readBigUInt64BE(o) : b.readBigUInt64LE(o))],
};

interface Enc { implicit: boolean; big: boolean }

function encodingOf(ts: string): Enc {
  if (ts === IMPLICIT_LE) return { implicit: true, big: false };
  if (ts === EXPLICIT_LE) return { implicit: false, big: false };
  if (ts === EXPLICIT_BE) return { implicit: false, big: true };
  throw new EdgeError('IDENTIFIER_SYNTAX', `transfer syntax ${ts} is not supported for identifiers`);
}

function malformed(msg: string): EdgeError {
  return new EdgeError('DICOM_MALFORMED', msg);
}

class Truncated {}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer, readonly enc: Enc, readonly lenient: boolean) {}
  need(n: number): void {
    if (this.pos + n > this.buf.length) {
      if (this.lenient) throw new Truncated();
      throw malformed(`identifier truncated at byte ${this.pos}`);
    }
  }
  u16(): number {
    this.need(2);
    const v = this.enc.big ? this.buf.readUInt16BE(this.pos) : this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.enc.big ? this.buf.readUInt32BE(this.pos) : this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** PS3.5 7.1: element header; items and delimiters never carry a VR (7.5). */
  header(): { tag: number; vr: string; length: number } {
    const tag = ((this.u16() << 16) | this.u16()) >>> 0;
    if (tag >>> 16 === 0xfffe) return { tag, vr: '', length: this.u32() };
    if (this.enc.implicit) {
      const length = this.u32();
      return { tag, vr: implicitVr(tag, {}, length === UNDEFINED ? 0 : length), length };
    }
    const vr = this.bytes(2).toString('latin1');
    if (!/^[A-Z]{2}$/.test(vr)) throw malformed(`bad VR ${JSON.stringify(vr)} at byte ${this.pos - 2}`);
    if (!isLongVr(vr)) return { tag, vr, length: this.u16() };
    this.bytes(2);
    return { tag, vr, length: this.u32() };
  }
}

export interface DecodeOptions {
  /** Stop (top level only) at the first tag ≥ this, e.g. Pixel Data 0x7FE00010. */
  stopAtTag?: number;
  /** Keep only these top-level tags (others are skipped without decoding). */
  keep?: (tag: number) => boolean;
  /** Return what was read when the bytes end early instead of throwing (prefix of a file). */
  allowTruncated?: boolean;
}

/** Decodes an Identifier (a data set without group 0002) in the given transfer syntax. */
export function decodeIdentifier(bytes: Buffer, transferSyntaxUid: string): Identifier {
  return decodeDataSet(bytes, transferSyntaxUid).identifier;
}

export interface DecodeResult {
  identifier: Identifier;
  /** False when the bytes ended inside an element (only with allowTruncated). */
  complete: boolean;
  /** True when decoding stopped at `stopAtTag`: nothing wanted can follow. */
  stopped: boolean;
}

/** Like decodeIdentifier, with options for reading a prefix of a stored file. */
export function decodeDataSet(bytes: Buffer, transferSyntaxUid: string, opts: DecodeOptions = {}): DecodeResult {
  const r = new Reader(bytes, encodingOf(transferSyntaxUid), !!opts.allowTruncated);
  const out: Identifier = [];
  try {
    const stopped = readItems(r, out, bytes.length, [], 0, opts);
    return { identifier: out, complete: true, stopped };
  } catch (e) {
    if (e instanceof Truncated) return { identifier: out, complete: false, stopped: false };
    if (e instanceof EdgeError) throw e;
    throw malformed(`cannot decode identifier: ${(e as Error).message}`);
  }
}

/**
 * Reads elements into `out` until `end` or an Item Delimitation Item. `terms` is the
 * inherited Specific Character Set; a (0008,0005) here replaces it for what follows.
 */
function readItems(r: Reader, out: Identifier, end: number, terms: string[], depth: number, opts: DecodeOptions): boolean {
  if (depth > MAX_DEPTH) throw malformed('sequences nested too deeply');
  let cs = terms;
  while (r.pos < end) {
    const start = r.pos;
    const h = r.header();
    if (h.tag === ITEM_DELIM) return false;
    if (depth === 0 && opts.stopAtTag !== undefined && h.tag >= opts.stopAtTag) {
      r.pos = start;
      return true;
    }
    if (h.tag === ITEM || h.tag === SEQ_DELIM) throw malformed(`unexpected item tag at byte ${start}`);
    const skip = depth === 0 && opts.keep !== undefined && !opts.keep(h.tag) && h.tag !== TAG_CHARSET;
    const value = readValue(r, h.vr, h.length, cs, depth, opts, skip);
    if (skip) continue;
    const vr = h.length === UNDEFINED && h.vr !== 'SQ' ? 'SQ' : h.vr;
    out.push({ tag: h.tag, vr: Array.isArray(value) ? 'SQ' : vr, value });
    if (h.tag === TAG_CHARSET && typeof value === 'string') cs = parseCharsetTerms(value);
  }
  return false;
}

function readValue(r: Reader, vr: string, length: number, terms: string[], depth: number, opts: DecodeOptions, skip: boolean): IdValue {
  if (length === UNDEFINED || vr === 'SQ') {
    // PS3.5 6.2.2: UN of undefined length holds Implicit VR Little Endian items.
    const inner = vr === 'UN' ? new Reader(r.buf, { implicit: true, big: false }, r.lenient) : r;
    inner.pos = r.pos;
    const items = readSequence(inner, length, terms, depth + 1, opts);
    r.pos = inner.pos;
    return items;
  }
  const raw = r.bytes(length);
  if (skip) return raw;
  return decodeValue(raw, vr, terms, r.enc.big);
}

function readSequence(r: Reader, length: number, terms: string[], depth: number, opts: DecodeOptions): Identifier[] {
  if (depth > MAX_DEPTH) throw malformed('sequences nested too deeply');
  const end = length === UNDEFINED ? Number.POSITIVE_INFINITY : r.pos + length;
  const items: Identifier[] = [];
  while (r.pos < end) {
    const h = r.header();
    if (h.tag === SEQ_DELIM) break;
    if (h.tag !== ITEM) throw malformed(`expected an item at byte ${r.pos - 8}`);
    const item: Identifier = [];
    const itemEnd = h.length === UNDEFINED ? Number.POSITIVE_INFINITY : r.pos + h.length;
    if (itemEnd !== Number.POSITIVE_INFINITY) r.need(h.length);
    readItems(r, item, itemEnd, terms, depth, { ...opts, stopAtTag: undefined, keep: undefined });
    items.push(item);
  }
  return items;
}

function decodeValue(raw: Buffer, vr: string, terms: string[], big: boolean): IdValue {
  if (TEXT_VRS.has(vr)) {
    const s = CHARSET_VRS.has(vr) ? decodeText(raw, terms) : raw.toString('latin1');
    return trimText(s, vr);
  }
  const num = NUMERIC[vr];
  if (num) {
    const vals: string[] = [];
    for (let o = 0; o + num[0] <= raw.length; o += num[0]) vals.push(String(num[1](raw, o, big)));
    return vals.join('\\');
  }
  if (vr === 'AT') {
    const vals: string[] = [];
    for (let o = 0; o + 4 <= raw.length; o += 4) {
      const g = big ? raw.readUInt16BE(o) : raw.readUInt16LE(o);
      const e = big ? raw.readUInt16BE(o + 2) : raw.readUInt16LE(o + 2);
      vals.push(((g << 16) | e).toString(16).toUpperCase().padStart(8, '0'));
    }
    return vals.join('\\');
  }
  const copy = Buffer.from(raw);
  if (big) swapBuffer(copy, swapUnit(vr));
  return copy;
}

/** Removes padding: trailing NUL/space for UI, trailing spaces otherwise (PS3.5 6.2). */
function trimText(s: string, vr: string): string {
  let t = s.replace(vr === 'UI' ? /[\0 ]+$/ : /[ \0]+$/, '');
  if (TRIM_LEADING.has(vr)) t = t.split('\\').map((v) => v.trim().replace(/\0+$/, '')).join('\\');
  return t;
}

function swapBuffer(b: Buffer, unit: number): void {
  if (b.length % unit !== 0) return;
  if (unit === 2) b.swap16();
  else if (unit === 4) b.swap32();
  else if (unit === 8) b.swap64();
}

// ----------------------------------------------------------------------------- encode

type TextEncoding = 'utf8' | 'latin1' | 'ascii';

/** ISO_IR 192 → UTF-8, ISO_IR 100 → Latin-1, anything else → ASCII (others replaced by '?'). */
export function textEncodingFor(charset: string | undefined): TextEncoding {
  const terms = parseCharsetTerms(charset);
  if (terms.includes('ISO_IR 192')) return 'utf8';
  if (terms[0] === 'ISO_IR 100') return 'latin1';
  return 'ascii';
}

function encodeText(s: string, enc: TextEncoding): Buffer {
  if (enc === 'utf8') return Buffer.from(s, 'utf8');
  const limit = enc === 'latin1' ? 0xff : 0x7f;
  return Buffer.from(Array.from(s, (c) => (c.codePointAt(0)! > limit ? '?' : c)).join(''), 'latin1');
}

/** Encodes an Identifier; elements are written in ascending tag order (PS3.5 7.1). */
export function encodeIdentifier(id: Identifier, transferSyntaxUid: string): Buffer {
  const enc = encodingOf(transferSyntaxUid);
  const charset = id.find((e) => e.tag === TAG_CHARSET)?.value;
  return encodeItem(id, enc, textEncodingFor(typeof charset === 'string' ? charset : undefined));
}

function encodeItem(id: Identifier, enc: Enc, text: TextEncoding): Buffer {
  const own = id.find((e) => e.tag === TAG_CHARSET)?.value;
  const t = typeof own === 'string' ? textEncodingFor(own) : text;
  const sorted = [...id].sort((a, b) => a.tag - b.tag);
  return Buffer.concat(sorted.map((el) => encodeElement(el, enc, t)));
}

function encodeElement(el: IdElement, enc: Enc, text: TextEncoding): Buffer {
  const value = el.vr === 'SQ' ? encodeSequence(el.value, enc, text) : encodeValue(el, enc.big, text);
  return Buffer.concat([writeHeader(el.tag, el.vr, value.length, enc), value]);
}

function encodeSequence(value: IdValue, enc: Enc, text: TextEncoding): Buffer {
  if (!Array.isArray(value)) throw new EdgeError('IDENTIFIER_BAD_VALUE', 'a sequence value must be a list of items');
  const parts: Buffer[] = [];
  for (const item of value) {
    if (!Array.isArray(item)) throw new EdgeError('IDENTIFIER_BAD_VALUE', 'a sequence item must be an identifier');
    const body = encodeItem(item as Identifier, enc, text);
    parts.push(writeHeader(ITEM, '', body.length, enc), body);
  }
  return Buffer.concat(parts);
}

function encodeValue(el: IdElement, big: boolean, text: TextEncoding): Buffer {
  const v = el.value;
  if (Buffer.isBuffer(v)) {
    const copy = Buffer.from(v);
    if (big) swapBuffer(copy, swapUnit(el.vr));
    return pad(copy, 0);
  }
  if (Array.isArray(v) && v.some((x) => typeof x !== 'string')) throw new EdgeError('IDENTIFIER_BAD_VALUE', `${el.vr} value must be text`);
  const s = Array.isArray(v) ? (v as string[]).join('\\') : (v as string);
  if (NUMERIC[el.vr]) return encodeNumbers(s, el.vr, big);
  if (el.vr === 'AT') return encodeTags(s, big);
  if (el.vr === 'UI') return pad(Buffer.from(s, 'latin1'), 0);
  const bytes = CHARSET_VRS.has(el.vr) ? encodeText(s, text) : encodeText(s, 'ascii');
  return pad(bytes, TEXT_VRS.has(el.vr) ? 0x20 : 0);
}

function encodeNumbers(s: string, vr: string, big: boolean): Buffer {
  if (s === '') return Buffer.alloc(0);
  const size = NUMERIC[vr][0];
  const vals = s.split('\\');
  const out = Buffer.alloc(vals.length * size);
  vals.forEach((text, i) => {
    const o = i * size;
    const n = Number(text);
    const w = (le: string, be: string, x: number | bigint): void => {
      (out as unknown as Record<string, (x: number | bigint, o: number) => void>)[big ? be : le](x, o);
    };
    if (vr === 'SV' || vr === 'UV') w(`writeBig${vr === 'SV' ? '' : 'U'}Int64LE`, `writeBig${vr === 'SV' ? '' : 'U'}Int64BE`, BigInt(text));
    else if (!Number.isFinite(n)) throw new EdgeError('IDENTIFIER_BAD_VALUE', `${vr} value ${JSON.stringify(text)} is not a number`);
    else if (vr === 'US') w('writeUInt16LE', 'writeUInt16BE', n);
    else if (vr === 'SS') w('writeInt16LE', 'writeInt16BE', n);
    else if (vr === 'UL') w('writeUInt32LE', 'writeUInt32BE', n);
    else if (vr === 'SL') w('writeInt32LE', 'writeInt32BE', n);
    else if (vr === 'FL') w('writeFloatLE', 'writeFloatBE', n);
    else w('writeDoubleLE', 'writeDoubleBE', n);
  });
  return out;
}

function encodeTags(s: string, big: boolean): Buffer {
  if (s === '') return Buffer.alloc(0);
  const vals = s.split('\\');
  const out = Buffer.alloc(vals.length * 4);
  vals.forEach((text, i) => {
    const t = parseInt(text.replace(/[(),]/g, ''), 16) >>> 0;
    if (big) {
      out.writeUInt16BE(t >>> 16, i * 4);
      out.writeUInt16BE(t & 0xffff, i * 4 + 2);
    } else {
      out.writeUInt16LE(t >>> 16, i * 4);
      out.writeUInt16LE(t & 0xffff, i * 4 + 2);
    }
  });
  return out;
}

/** PS3.5 7.1.1: values have even length; text pads with a space, UI and binary with NUL. */
function pad(b: Buffer, byte: number): Buffer {
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from([byte])]);
}

function writeHeader(tag: number, vr: string, length: number, enc: Enc): Buffer {
  const w16 = (b: Buffer, v: number, o: number): number => (enc.big ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o));
  const w32 = (b: Buffer, v: number, o: number): number => (enc.big ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o));
  const explicit = !enc.implicit && tag >>> 16 !== 0xfffe;
  const long = explicit && isLongVr(vr);
  if (explicit && !long && length > 0xffff) throw new EdgeError('IDENTIFIER_BAD_VALUE', `value of ${vr} too long (${length} bytes)`);
  const out = Buffer.alloc(long ? 12 : 8);
  w16(out, tag >>> 16, 0);
  w16(out, tag & 0xffff, 2);
  if (!explicit) w32(out, length, 4);
  else {
    out.write(vr, 4, 'latin1');
    if (long) w32(out, length, 8);
    else w16(out, length, 6);
  }
  return out;
}
