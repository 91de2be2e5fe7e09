/**
 * PS3.10 7.1 DICOM File Meta Information: 128-byte preamble, "DICM", then group 0002
 * in Explicit VR Little Endian with (0002,0000) group length first. The data set that
 * follows is kept byte for byte as received; only this header is ours.
 */
import { parseMeta } from '../dicom/part10-reader';

export interface FileMetaInput {
  /** (0002,0002) Media Storage SOP Class UID = the C-STORE's Affected SOP Class UID. */
  mediaStorageSopClassUid: string;
  /** (0002,0003) Media Storage SOP Instance UID. */
  mediaStorageSopInstanceUid: string;
  /** (0002,0010) the negotiated transfer syntax of the data set bytes. */
  transferSyntaxUid: string;
  /** (0002,0012) */
  implementationClassUid: string;
  /** (0002,0013) SH, at most 16 characters. */
  implementationVersionName?: string;
  /** (0002,0016) the AE that wrote this file: us. */
  sourceAeTitle?: string;
  /** (0002,0017) the AE that sent us the data set (calling AE). */
  sendingAeTitle?: string;
  /** (0002,0018) the AE that received it: us. */
  receivingAeTitle?: string;
}

export interface FileMeta {
  transferSyntaxUid: string;
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  implementationClassUid: string;
  implementationVersionName: string | null;
  sourceAeTitle: string | null;
  sendingAeTitle: string | null;
  receivingAeTitle: string | null;
  /** Byte offset in the file where the data set starts. */
  dataSetOffset: number;
}

const PREAMBLE_LENGTH = 128;
const MAGIC = 'DICM';

/** One Explicit VR LE element with a 16-bit length (PS3.5 7.1.2). */
function shortElement(element: number, vr: string, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  writeShortHeader(h, 0, element, vr, value.length);
  return Buffer.concat([h, value]);
}

/** OB has 2 reserved bytes and a 32-bit length (PS3.5 Table 7.1-1). */
function obElement(element: number, value: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16LE(0x0002, 0);
  h.writeUInt16LE(element, 2);
  h.write('OB', 4, 'latin1');
  h.writeUInt32LE(value.length, 8);
  return Buffer.concat([h, value]);
}

/** PS3.5 6.2: UI pads with a trailing NUL, other strings with a space, to even length. */
function padded(value: string, vr: string): Buffer {
  const b = Buffer.from(value, 'latin1');
  if (b.length % 2 === 0) return b;
  return Buffer.concat([b, Buffer.from([vr === 'UI' ? 0x00 : 0x20])]);
}

function checkAe(ae: string, what: string): string {
  const v = ae.trim();
  if (v.length > 16 || /[\\\x00-\x1f]/.test(v)) throw new Error(`${what} is not a valid AE title: ${JSON.stringify(ae)}`);
  return v;
}

/** The bytes written before the data set: preamble, magic and group 0002. */
export function buildFileMeta(m: FileMetaInput): Buffer {
  // Only (0002,0003) changes from one instance of an association to the next: the rest of
  // the group is built once per SOP class, syntax and AE titles.
  const key = `${m.mediaStorageSopClassUid}\0${m.transferSyntaxUid}\0${m.implementationClassUid}\0${m.implementationVersionName}\0${m.sourceAeTitle}\0${m.sendingAeTitle}\0${m.receivingAeTitle}`;
  let parts = metaParts.get(key);
  if (!parts) {
    if (metaParts.size >= 256) metaParts.clear();
    parts = buildMetaParts(m);
    metaParts.set(key, parts);
  }
  // One buffer written in place: a C-STORE builds one each.
  const uid = m.mediaStorageSopInstanceUid;
  const uidLength = uid.length + (uid.length % 2);
  const groupLength = parts.before.length + 8 + uidLength + parts.after.length;
  // allocUnsafe: a slice of Node's pool (a zeroed Buffer.alloc is its own ArrayBuffer each
  // time); every byte is written below, the preamble zeroed by hand.
  const out = Buffer.allocUnsafe(PREAMBLE_LENGTH + 4 + 12 + groupLength);
  out.fill(0, 0, PREAMBLE_LENGTH);
  let off = out.write(MAGIC, PREAMBLE_LENGTH, 'latin1') + PREAMBLE_LENGTH;
  // (0002,0000) File Meta Information Group Length UL: bytes after this element to the end of group 0002
  off = writeShortHeader(out, off, 0x0000, 'UL', 4);
  off = out.writeUInt32LE(groupLength, off);
  off += parts.before.copy(out, off);
  off = writeShortHeader(out, off, 0x0003, 'UI', uidLength);
  off += out.write(uid, off, 'latin1');
  if (uid.length % 2) out[off++] = 0x00; // UI pads with a trailing NUL
  parts.after.copy(out, off);
  return out;
}

/** Tag (group 0002), VR and 16-bit length; returns the offset after them. */
function writeShortHeader(out: Buffer, off: number, element: number, vr: string, length: number): number {
  out.writeUInt16LE(0x0002, off);
  out.writeUInt16LE(element, off + 2);
  out.write(vr, off + 4, 'latin1');
  return out.writeUInt16LE(length, off + 6);
}

const metaParts = new Map<string, { before: Buffer; after: Buffer }>();

/** Group 0002 without its length: the elements before (0002,0003) and those after it. */
function buildMetaParts(m: FileMetaInput): { before: Buffer; after: Buffer } {
  const before = Buffer.concat([
    obElement(0x0001, Buffer.from([0x00, 0x01])), // (0002,0001) File Meta Information Version 00\01
    shortElement(0x0002, 'UI', padded(m.mediaStorageSopClassUid, 'UI')),
  ]);
  const els: Buffer[] = [
    shortElement(0x0010, 'UI', padded(m.transferSyntaxUid, 'UI')),
    shortElement(0x0012, 'UI', padded(m.implementationClassUid, 'UI')),
  ];
  if (m.implementationVersionName) {
    if (m.implementationVersionName.length > 16) throw new Error('Implementation Version Name longer than 16');
    els.push(shortElement(0x0013, 'SH', padded(m.implementationVersionName, 'SH')));
  }
  const aes: Array<[number, string | undefined, string]> = [
    [0x0016, m.sourceAeTitle, 'Source AE Title'],
    [0x0017, m.sendingAeTitle, 'Sending AE Title'],
    [0x0018, m.receivingAeTitle, 'Receiving AE Title'],
  ];
  for (const [el, ae, what] of aes) {
    const v = ae === undefined ? '' : checkAe(ae, what);
    if (v) els.push(shortElement(el, 'AE', padded(v, 'AE')));
  }
  return { before, after: Buffer.concat(els) };
}

/**
 * Reads the File Meta Information of a Part 10 file from its first bytes. Returns null
 * when `head` is too short (read more and retry); throws when it is not Part 10.
 */
/**
 * Reads back the File Meta Information of a stored file from its first bytes; null when
 * more bytes are needed (the one Part 10 meta parser is src/dicom/part10-reader.ts).
 * Throws when the bytes are not a Part 10 file or the meta has no Transfer Syntax UID.
 */
export function parseFileMeta(head: Buffer, wholeFile = false): FileMeta | null {
  const r = parseMeta(head, wholeFile);
  if (!('meta' in r)) return null;
  const m = r.meta.meta;
  const text = (k: string): string | null => (m[k] ?? '').replace(/[\0 ]+$/, '').trim() || null;
  if (!r.meta.transferSyntaxUid) throw new Error('File Meta Information has no Transfer Syntax UID (0002,0010)');
  return {
    transferSyntaxUid: r.meta.transferSyntaxUid,
    mediaStorageSopClassUid: r.meta.sopClassUid,
    mediaStorageSopInstanceUid: r.meta.sopInstanceUid,
    implementationClassUid: text('ImplementationClassUID') ?? '',
    implementationVersionName: text('ImplementationVersionName'),
    sourceAeTitle: text('SourceApplicationEntityTitle'),
    sendingAeTitle: text('SendingApplicationEntityTitle'),
    receivingAeTitle: text('ReceivingApplicationEntityTitle'),
    dataSetOffset: r.meta.datasetOffset,
  };
}
