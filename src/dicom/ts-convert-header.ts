/**
 * Data element headers of the three uncompressed transfer syntaxes (PS3.5 7.1).
 *
 *   Implicit VR (7.1.3):          tag(4) length(4)
 *   Explicit VR, 16-bit length:   tag(4) VR(2) length(2)
 *   Explicit VR, 32-bit length:   tag(4) VR(2) reserved(2)=0 length(4)   (PS3.5 Table 7.1-1)
 *   Item / delimiters (7.5):      tag(4) length(4), never a VR, in every syntax
 *
 * A tag is group then element, each 16-bit in the syntax's byte order (PS3.5 7.3).
 */
import { EdgeError } from '../util/errors';
import { KNOWN_VRS, isLongVr, type Vr } from './vr-dictionary';

export interface Syntax {
  explicit: boolean;
  bigEndian: boolean;
}

export const UNDEFINED_LENGTH = 0xffffffff;
export const TAG_ITEM = 0xfffee000;
export const TAG_ITEM_DELIMITATION = 0xfffee00d;
export const TAG_SEQUENCE_DELIMITATION = 0xfffee0dd;

export interface ElementHeader {
  tag: number;
  /** The VR as read (explicit syntaxes only, and never for items/delimiters). */
  vr?: Vr;
  length: number;
  headerLength: number;
}

function u16(buf: Buffer, off: number, big: boolean): number {
  return big ? buf.readUInt16BE(off) : buf.readUInt16LE(off);
}

function u32(buf: Buffer, off: number, big: boolean): number {
  return big ? buf.readUInt32BE(off) : buf.readUInt32LE(off);
}

export function readTag(buf: Buffer, off: number, big: boolean): number {
  return ((u16(buf, off, big) << 16) | u16(buf, off + 2, big)) >>> 0;
}

export function readU16(buf: Buffer, off: number, big: boolean): number {
  return u16(buf, off, big);
}

/** Parses the header at `off`, or returns undefined when more bytes are needed. */
export function readHeader(buf: Buffer, off: number, syntax: Syntax): ElementHeader | undefined {
  if (buf.length - off < 8) return undefined;
  const tag = readTag(buf, off, syntax.bigEndian);
  if (!syntax.explicit || tag >>> 16 === 0xfffe) {
    return { tag, length: u32(buf, off + 4, syntax.bigEndian), headerLength: 8 };
  }
  const vr = buf.toString('latin1', off + 4, off + 6);
  if (!KNOWN_VRS.has(vr)) {
    throw new EdgeError('DICOM_MALFORMED', `bad VR ${JSON.stringify(vr)} in ${tagString(tag)}`);
  }
  if (!isLongVr(vr)) return { tag, vr, length: u16(buf, off + 6, syntax.bigEndian), headerLength: 8 };
  if (buf.length - off < 12) return undefined;
  return { tag, vr, length: u32(buf, off + 8, syntax.bigEndian), headerLength: 12 };
}

function writeTag(out: Buffer, tag: number, big: boolean): void {
  if (big) {
    out.writeUInt16BE(tag >>> 16, 0);
    out.writeUInt16BE(tag & 0xffff, 2);
  } else {
    out.writeUInt16LE(tag >>> 16, 0);
    out.writeUInt16LE(tag & 0xffff, 2);
  }
}

/** Header for a data element; `vr` is ignored for Implicit VR output. */
export function writeHeader(syntax: Syntax, tag: number, vr: Vr | undefined, length: number): Buffer {
  const big = syntax.bigEndian;
  if (!syntax.explicit || tag >>> 16 === 0xfffe || vr === undefined) {
    const out = Buffer.alloc(8);
    writeTag(out, tag, big);
    if (big) out.writeUInt32BE(length, 4);
    else out.writeUInt32LE(length, 4);
    return out;
  }
  const long = isLongVr(vr);
  const out = Buffer.alloc(long ? 12 : 8);
  writeTag(out, tag, big);
  out.write(vr, 4, 'latin1');
  if (long) {
    if (big) out.writeUInt32BE(length, 8);
    else out.writeUInt32LE(length, 8);
  } else if (big) out.writeUInt16BE(length, 6);
  else out.writeUInt16LE(length, 6);
  return out;
}

export function tagString(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}
