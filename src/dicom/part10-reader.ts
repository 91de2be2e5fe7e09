/**
 * Reads the File Meta Information of a DICOM Part 10 file (PS3.10 7.1): 128-byte
 * preamble, "DICM", then group 0002 in Explicit VR Little Endian, whose group length
 * (0002,0000) says where the data set starts. Files without a group length are
 * tolerated (we walk until the group is no longer 0002), and so are writers that
 * put the meta in Implicit VR.
 */
import { readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { EdgeError } from '../util/errors';
import { KNOWN_VRS, isLongVr } from './vr-dictionary';

export interface Part10Meta {
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  /** Byte offset of the first data set element (right after group 0002). */
  datasetOffset: number;
  /** Every meta element, keyed by its PS3.10 Table 7.1-1 keyword (else "(0002,eeee)"). */
  meta: Record<string, string>;
}

const PREAMBLE = 128;
const FIRST_ELEMENT = PREAMBLE + 4;
const FIRST_READ = 4096;

// PS3.10 Table 7.1-1 File Meta Information elements.
const KEYWORDS: Record<number, string> = {
  0x0000: 'FileMetaInformationGroupLength',
  0x0001: 'FileMetaInformationVersion',
  0x0002: 'MediaStorageSOPClassUID',
  0x0003: 'MediaStorageSOPInstanceUID',
  0x0010: 'TransferSyntaxUID',
  0x0012: 'ImplementationClassUID',
  0x0013: 'ImplementationVersionName',
  0x0016: 'SourceApplicationEntityTitle',
  0x0017: 'SendingApplicationEntityTitle',
  0x0018: 'ReceivingApplicationEntityTitle',
  0x0026: 'SourcePresentationAddress',
  0x0027: 'SendingPresentationAddress',
  0x0028: 'ReceivingPresentationAddress',
  0x0031: 'RTVMetaInformationVersion',
  0x0032: 'RTVCommunicationSOPClassUID',
  0x0033: 'RTVCommunicationSOPInstanceUID',
  0x0035: 'RTVSourceIdentifier',
  0x0036: 'RTVFlowIdentifier',
  0x0037: 'RTVFlowRTPSamplingRate',
  0x0038: 'RTVFlowActualFrameDuration',
  0x0100: 'PrivateInformationCreatorUID',
  0x0102: 'PrivateInformation',
};

interface Element {
  element: number;
  vr: string;
  value: Buffer;
  next: number;
}

function notPart10(why: string): EdgeError {
  return new EdgeError('DICOM_NOT_PART10', `not a DICOM Part 10 file: ${why}`);
}

/** The element at `off`, undefined if more bytes are needed; null when group 0002 has ended. */
function readMetaElement(buf: Buffer, off: number): Element | undefined | null {
  if (buf.length - off < 8) return buf.length - off >= 2 && buf.readUInt16LE(off) !== 0x0002 ? null : undefined;
  if (buf.readUInt16LE(off) !== 0x0002) return null;
  const element = buf.readUInt16LE(off + 2);
  let vr = buf.toString('latin1', off + 4, off + 6);
  let length: number;
  let header: number;
  if (!KNOWN_VRS.has(vr)) {
    vr = 'UN'; // meta written in Implicit VR LE by a non-conformant writer
    length = buf.readUInt32LE(off + 4);
    header = 8;
  } else if (isLongVr(vr)) {
    if (buf.length - off < 12) return undefined;
    length = buf.readUInt32LE(off + 8);
    header = 12;
  } else {
    length = buf.readUInt16LE(off + 6);
    header = 8;
  }
  if (length === 0xffffffff) throw notPart10(`(0002,${element.toString(16).padStart(4, '0')}) has undefined length`);
  const end = off + header + length;
  if (end > buf.length) return undefined;
  return { element, vr, value: buf.subarray(off + header, end), next: end };
}

function valueString(e: Element): string {
  if (e.vr === 'UL' && e.value.length === 4) return String(e.value.readUInt32LE(0));
  if (e.vr === 'OB' || (e.vr === 'UN' && e.element === 0x0001)) return e.value.toString('hex');
  return e.value.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
}

export type ParseResult = { meta: Part10Meta } | { needBytes: number };

/**
 * Parses the meta from the first bytes of a file; asks for more bytes if they are
 * short. `eof` says `buf` holds the whole file.
 */
/**
 * The meta of a file prefix: the meta, or how many bytes are needed (`eof`: the prefix is
 * the whole file). Throws EdgeError DICOM_NOT_PART10 for something that is not Part 10.
 */
export function parseMeta(buf: Buffer, eof: boolean): ParseResult {
  if (buf.length < FIRST_ELEMENT) {
    if (eof) throw notPart10(`only ${buf.length} bytes`);
    return { needBytes: FIRST_READ };
  }
  if (buf.toString('latin1', PREAMBLE, FIRST_ELEMENT) !== 'DICM') throw notPart10('no "DICM" at byte 128');
  const meta: Record<string, string> = {};
  let off = FIRST_ELEMENT;
  let groupEnd: number | undefined;
  for (;;) {
    // The group length says the meta ends exactly where these bytes end: nothing to wait for.
    if (groupEnd !== undefined && off === groupEnd && off === buf.length) break;
    const e = readMetaElement(buf, off);
    if (e === null || (e === undefined && eof && off === buf.length)) break;
    if (e === undefined) {
      if (eof) throw notPart10('file ends inside the meta information');
      return { needBytes: Math.max(groupEnd ?? 0, off + 12, buf.length * 2) };
    }
    const text = valueString(e);
    meta[KEYWORDS[e.element] ?? `(0002,${e.element.toString(16).toUpperCase().padStart(4, '0')})`] = text;
    if (e.element === 0x0000 && e.value.length === 4) groupEnd = e.next + e.value.readUInt32LE(0);
    off = e.next;
  }
  if (off === FIRST_ELEMENT) throw notPart10('no group 0002 after "DICM"');
  if (!meta.TransferSyntaxUID) throw notPart10('no Transfer Syntax UID (0002,0010)');
  return {
    meta: {
      transferSyntaxUid: meta.TransferSyntaxUID,
      sopClassUid: meta.MediaStorageSOPClassUID ?? '',
      sopInstanceUid: meta.MediaStorageSOPInstanceUID ?? '',
      datasetOffset: off,
      meta,
    },
  };
}

function readFd(fd: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * Reads the meta of a whole file held in a Buffer, or of an open file descriptor
 * (read from position 0, only as far as the meta goes). Throws EdgeError
 * DICOM_NOT_PART10 when the bytes are not a Part 10 file.
 */
export function readPart10Meta(input: Buffer | number): Part10Meta {
  if (Buffer.isBuffer(input)) {
    const r = parseMeta(input, true);
    if ('meta' in r) return r.meta;
    throw notPart10('file ends inside the meta information');
  }
  let want = FIRST_READ;
  for (;;) {
    const buf = readFd(input, want);
    const r = parseMeta(buf, buf.length < want);
    if ('meta' in r) return r.meta;
    want = r.needBytes;
  }
}

/** Like readPart10Meta, for a path; reads only the first few KB of the file. */
export async function readPart10MetaFromFile(path: string): Promise<Part10Meta> {
  const fh = await open(path, 'r');
  try {
    let want = FIRST_READ;
    for (;;) {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await fh.read(buf, 0, want, 0);
      const r = parseMeta(buf.subarray(0, bytesRead), bytesRead < want);
      if ('meta' in r) return r.meta;
      want = r.needBytes;
    }
  } finally {
    await fh.close();
  }
}
