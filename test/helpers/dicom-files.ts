/**
 * Test DICOM Part 10 files written directly, without the product's code (PS3.10 7.1):
 * 128-byte preamble, "DICM", the File Meta group in Explicit VR Little Endian with
 * its group length (0002,0000), then the data set in the requested transfer syntax
 * (PS3.5 7.1.1-7.1.3 element encodings; PS3.5 7.3 byte ordering for Big Endian).
 * Values are padded to even length (PS3.5 7.1.1): UI with NUL, other strings with space.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';

export type Syntax = 'implicit' | 'explicit' | 'big';

export const TS_UID: Record<Syntax, string> = {
  implicit: '1.2.840.10008.1.2',
  explicit: '1.2.840.10008.1.2.1',
  big: '1.2.840.10008.1.2.2',
};

export const SOP_CLASS_BY_MODALITY: Record<string, string> = {
  CT: '1.2.840.10008.5.1.4.1.1.2',
  MR: '1.2.840.10008.5.1.4.1.1.4',
  CR: '1.2.840.10008.5.1.4.1.1.1',
  DX: '1.2.840.10008.5.1.4.1.1.1.1',
  US: '1.2.840.10008.5.1.4.1.1.6.1',
  OT: '1.2.840.10008.5.1.4.1.1.7',
  SC: '1.2.840.10008.5.1.4.1.1.7',
};

/** Implementation Class UID of these test files (a 2.25 UUID-derived root). */
export const TEST_IMPLEMENTATION_UID = '2.25.301993318318765470939181467226335226882';
export const PRIVATE_CREATOR = 'DICOM-EDGE TEST';

export interface DicomFileOptions {
  sopClassUid?: string;
  sopInstanceUid?: string;
  studyUid?: string;
  seriesUid?: string;
  patientName?: string;
  patientId?: string;
  modality?: string;
  rows?: number;
  cols?: number;
  bitsAllocated?: 8 | 16;
  transferSyntax?: Syntax;
  instanceNumber?: number;
  /** Adds a private block (0009,0010) creator + (0009,1001) LO, (0009,1002) SL, (0009,1003) OB. */
  privateTags?: boolean;
  /**
   * More attributes, keyed by keyword (see KEYWORDS) or tag "ggggeeee" / "(gggg,eeee)".
   * A plain string takes the VR from KEYWORDS (LO for unknown tags); `{ vr, value }` sets it.
   * Numbers for US/UL/SS/SL are given as text ("512"), multiple values joined with "\".
   */
  extra?: Record<string, string | { vr: string; value: string }>;
}

/** A 2.25 UID from 128 random bits (PS3.5 B.2). */
export function newUid(): string {
  return `2.25.${BigInt(`0x${crypto.randomBytes(16).toString('hex')}`).toString()}`;
}

/** Keyword → [tag, VR] for the attributes written by default and common extras. */
export const KEYWORDS: Record<string, [number, string]> = {
  SpecificCharacterSet: [0x00080005, 'CS'], ImageType: [0x00080008, 'CS'],
  SOPClassUID: [0x00080016, 'UI'], SOPInstanceUID: [0x00080018, 'UI'],
  StudyDate: [0x00080020, 'DA'], SeriesDate: [0x00080021, 'DA'], StudyTime: [0x00080030, 'TM'],
  AccessionNumber: [0x00080050, 'SH'], Modality: [0x00080060, 'CS'], Manufacturer: [0x00080070, 'LO'],
  InstitutionName: [0x00080080, 'LO'], ReferringPhysicianName: [0x00080090, 'PN'], StationName: [0x00081010, 'SH'],
  StudyDescription: [0x00081030, 'LO'], SeriesDescription: [0x0008103e, 'LO'],
  PatientName: [0x00100010, 'PN'], PatientID: [0x00100020, 'LO'], PatientBirthDate: [0x00100030, 'DA'],
  PatientSex: [0x00100040, 'CS'], BodyPartExamined: [0x00180015, 'CS'],
  StudyInstanceUID: [0x0020000d, 'UI'], SeriesInstanceUID: [0x0020000e, 'UI'], StudyID: [0x00200010, 'SH'],
  SeriesNumber: [0x00200011, 'IS'], InstanceNumber: [0x00200013, 'IS'],
  SamplesPerPixel: [0x00280002, 'US'], PhotometricInterpretation: [0x00280004, 'CS'],
  Rows: [0x00280010, 'US'], Columns: [0x00280011, 'US'], BitsAllocated: [0x00280100, 'US'],
  BitsStored: [0x00280101, 'US'], HighBit: [0x00280102, 'US'], PixelRepresentation: [0x00280103, 'US'],
};

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

interface Element {
  tag: number;
  vr: string;
  value: Buffer;
  /** For OW in Big Endian: swap each 16-bit word. */
  words?: boolean;
}

function stringValue(vr: string, text: string): Buffer {
  const b = Buffer.from(text, 'latin1');
  if (b.length % 2 === 0) return b;
  return Buffer.concat([b, Buffer.from([vr === 'UI' ? 0 : 0x20])]);
}

function numberValue(vr: string, text: string, big: boolean): Buffer {
  const nums = text.split('\\').map(Number);
  const size = vr === 'US' || vr === 'SS' ? 2 : 4;
  const out = Buffer.alloc(nums.length * size);
  nums.forEach((n, i) => {
    const o = i * size;
    if (vr === 'US') big ? out.writeUInt16BE(n, o) : out.writeUInt16LE(n, o);
    else if (vr === 'SS') big ? out.writeInt16BE(n, o) : out.writeInt16LE(n, o);
    else if (vr === 'UL') big ? out.writeUInt32BE(n, o) : out.writeUInt32LE(n, o);
    else big ? out.writeInt32BE(n, o) : out.writeInt32LE(n, o);
  });
  return out;
}

function makeElement(tag: number, vr: string, text: string, big: boolean): Element {
  if (['US', 'SS', 'UL', 'SL'].includes(vr)) return { tag, vr, value: numberValue(vr, text, big) };
  return { tag, vr, value: stringValue(vr, text) };
}

/** Encodes one element (PS3.5 7.1.1 explicit, 7.1.2 implicit). */
function encodeElement(el: Element, syntax: Syntax): Buffer {
  const big = syntax === 'big';
  let value = el.value;
  if (value.length % 2 !== 0) value = Buffer.concat([value, Buffer.from([0])]);
  if (big && el.words) value = Buffer.from(value).swap16();
  const group = el.tag >>> 16;
  const elem = el.tag & 0xffff;
  let head: Buffer;
  if (syntax === 'implicit') {
    head = Buffer.alloc(8);
    head.writeUInt16LE(group, 0);
    head.writeUInt16LE(elem, 2);
    head.writeUInt32LE(value.length, 4);
  } else if (LONG_VRS.has(el.vr)) {
    head = Buffer.alloc(12);
    big ? head.writeUInt16BE(group, 0) : head.writeUInt16LE(group, 0);
    big ? head.writeUInt16BE(elem, 2) : head.writeUInt16LE(elem, 2);
    head.write(el.vr, 4, 'latin1');
    big ? head.writeUInt32BE(value.length, 8) : head.writeUInt32LE(value.length, 8);
  } else {
    head = Buffer.alloc(8);
    big ? head.writeUInt16BE(group, 0) : head.writeUInt16LE(group, 0);
    big ? head.writeUInt16BE(elem, 2) : head.writeUInt16LE(elem, 2);
    head.write(el.vr, 4, 'latin1');
    big ? head.writeUInt16BE(value.length, 6) : head.writeUInt16LE(value.length, 6);
  }
  return Buffer.concat([head, value]);
}

function encodeAll(elements: Element[], syntax: Syntax): Buffer {
  const sorted = [...elements].sort((a, b) => a.tag - b.tag);
  return Buffer.concat(sorted.map((e) => encodeElement(e, syntax)));
}

/** PS3.10 7.1 File Meta Information, group length first. */
function encodeMeta(sopClassUid: string, sopInstanceUid: string, syntax: Syntax): Buffer {
  const rest = encodeAll(
    [
      { tag: 0x00020001, vr: 'OB', value: Buffer.from([0, 1]) },
      makeElement(0x00020002, 'UI', sopClassUid, false),
      makeElement(0x00020003, 'UI', sopInstanceUid, false),
      makeElement(0x00020010, 'UI', TS_UID[syntax], false),
      makeElement(0x00020012, 'UI', TEST_IMPLEMENTATION_UID, false),
      makeElement(0x00020013, 'SH', 'EDGE_TEST', false),
    ],
    'explicit',
  );
  const groupLength = encodeElement(makeElement(0x00020000, 'UL', String(rest.length), false), 'explicit');
  return Buffer.concat([groupLength, rest]);
}

function parseTag(key: string): number | undefined {
  const m = /^\(?([0-9a-fA-F]{4}),?([0-9a-fA-F]{4})\)?$/.exec(key);
  return m ? parseInt(m[1] + m[2], 16) >>> 0 : undefined;
}

/** Pixel values: a diagonal ramp offset by the instance number, so instances differ. */
function pixelData(rows: number, cols: number, bits: 8 | 16, seed: number): Element {
  const mask = bits === 16 ? 0x0fff : 0xff;
  const value = Buffer.alloc(rows * cols * (bits / 8));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = ((r + c) * 7 + seed) & mask;
      if (bits === 16) value.writeUInt16LE(v, (r * cols + c) * 2);
      else value[r * cols + c] = v;
    }
  }
  return { tag: 0x7fe00010, vr: bits === 16 ? 'OW' : 'OB', value, words: bits === 16 };
}

function privateElements(big: boolean): Element[] {
  const sl = Buffer.alloc(4);
  big ? sl.writeInt32BE(-42, 0) : sl.writeInt32LE(-42, 0);
  return [
    makeElement(0x00090010, 'LO', PRIVATE_CREATOR, big),
    makeElement(0x00091001, 'LO', 'private text', big),
    { tag: 0x00091002, vr: 'SL', value: sl },
    { tag: 0x00091003, vr: 'OB', value: Buffer.from([1, 2, 3, 4]) },
  ];
}

export interface ResolvedDicomOptions extends Required<Omit<DicomFileOptions, 'extra'>> {
  extra: NonNullable<DicomFileOptions['extra']>;
}

/** Fills every option with a default (fresh UIDs, 64x64 16-bit CT, Explicit VR LE). */
export function resolveOptions(o: DicomFileOptions = {}): ResolvedDicomOptions {
  const modality = o.modality ?? 'CT';
  return {
    sopClassUid: o.sopClassUid ?? SOP_CLASS_BY_MODALITY[modality] ?? SOP_CLASS_BY_MODALITY.OT,
    sopInstanceUid: o.sopInstanceUid ?? newUid(),
    studyUid: o.studyUid ?? newUid(),
    seriesUid: o.seriesUid ?? newUid(),
    patientName: o.patientName ?? 'TEST^PATIENT',
    patientId: o.patientId ?? 'PID0001',
    modality,
    rows: o.rows ?? 64,
    cols: o.cols ?? 64,
    bitsAllocated: o.bitsAllocated ?? 16,
    transferSyntax: o.transferSyntax ?? 'explicit',
    instanceNumber: o.instanceNumber ?? 1,
    privateTags: o.privateTags ?? false,
    extra: o.extra ?? {},
  };
}

function datasetElements(o: ResolvedDicomOptions): Element[] {
  const big = o.transferSyntax === 'big';
  const bitsStored = o.bitsAllocated === 16 ? 12 : 8;
  const text: Record<string, string> = {
    SpecificCharacterSet: 'ISO_IR 100', ImageType: 'ORIGINAL\\PRIMARY\\AXIAL',
    SOPClassUID: o.sopClassUid, SOPInstanceUID: o.sopInstanceUid, StudyDate: '20240102', StudyTime: '101500',
    AccessionNumber: 'ACC0001', Modality: o.modality, ReferringPhysicianName: '', PatientName: o.patientName,
    PatientID: o.patientId, PatientBirthDate: '19700101', PatientSex: 'O', StudyInstanceUID: o.studyUid,
    SeriesInstanceUID: o.seriesUid, StudyID: '1', SeriesNumber: '1', InstanceNumber: String(o.instanceNumber),
    SamplesPerPixel: '1', PhotometricInterpretation: 'MONOCHROME2', Rows: String(o.rows), Columns: String(o.cols),
    BitsAllocated: String(o.bitsAllocated), BitsStored: String(bitsStored), HighBit: String(bitsStored - 1),
    PixelRepresentation: '0',
  };
  const byTag = new Map<number, Element>();
  for (const [kw, value] of Object.entries(text)) {
    const [tag, vr] = KEYWORDS[kw];
    byTag.set(tag, makeElement(tag, vr, value, big));
  }
  if (o.privateTags) for (const el of privateElements(big)) byTag.set(el.tag, el);
  for (const [key, spec] of Object.entries(o.extra)) {
    const known = KEYWORDS[key];
    const tag = known ? known[0] : parseTag(key);
    if (tag === undefined) throw new Error(`makeDicomFile: unknown attribute "${key}"`);
    const vr = typeof spec === 'string' ? (known ? known[1] : 'LO') : spec.vr;
    byTag.set(tag, makeElement(tag, vr, typeof spec === 'string' ? spec : spec.value, big));
  }
  byTag.set(0x7fe00010, pixelData(o.rows, o.cols, o.bitsAllocated, o.instanceNumber));
  return [...byTag.values()];
}

/** The complete Part 10 file as bytes. */
export function encodeDicomFile(opts: DicomFileOptions = {}): Buffer {
  const o = resolveOptions(opts);
  const preamble = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1')]);
  const meta = encodeMeta(o.sopClassUid, o.sopInstanceUid, o.transferSyntax);
  return Buffer.concat([preamble, meta, encodeAll(datasetElements(o), o.transferSyntax)]);
}

/** Writes a Part 10 file and returns the options used (with the generated UIDs). */
export async function makeDicomFile(file: string, opts: DicomFileOptions = {}): Promise<ResolvedDicomOptions> {
  const o = resolveOptions(opts);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, encodeDicomFile(o));
  return o;
}

export interface StudyOptions {
  count: number;
  rows?: number;
  cols?: number;
  modality?: string;
  syntax?: Syntax;
  patientName?: string;
  patientId?: string;
  studyUid?: string;
  /** Instances are spread round-robin over this many series (default 1). */
  series?: number;
  privateTags?: boolean;
  extra?: DicomFileOptions['extra'];
}

export interface StudyFile {
  path: string;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesUid: string;
  instanceNumber: number;
}

export interface Study {
  studyUid: string;
  seriesUids: string[];
  patientName: string;
  patientId: string;
  files: StudyFile[];
}

/** Writes `count` instances of one study into `dir` (IM00001.dcm, ...). */
export async function makeStudy(dir: string, opts: StudyOptions): Promise<Study> {
  const studyUid = opts.studyUid ?? newUid();
  const seriesUids = Array.from({ length: Math.max(1, opts.series ?? 1) }, () => newUid());
  const patientName = opts.patientName ?? 'STUDY^TEST';
  const patientId = opts.patientId ?? `PID${crypto.randomBytes(3).toString('hex').toUpperCase()}`;
  await fsp.mkdir(dir, { recursive: true });
  const files: StudyFile[] = [];
  for (let i = 0; i < opts.count; i++) {
    const file = path.join(dir, `IM${String(i + 1).padStart(5, '0')}.dcm`);
    const o = await makeDicomFile(file, {
      studyUid, seriesUid: seriesUids[i % seriesUids.length], patientName, patientId,
      modality: opts.modality, rows: opts.rows, cols: opts.cols, transferSyntax: opts.syntax,
      instanceNumber: i + 1, privateTags: opts.privateTags, extra: opts.extra,
    });
    files.push({ path: file, sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid, seriesUid: o.seriesUid, instanceNumber: i + 1 });
  }
  return { studyUid, seriesUids, patientName, patientId, files };
}
