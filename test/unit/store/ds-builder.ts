/**
 * A tiny data set encoder for tests (PS3.5 7.1): each element in the given transfer
 * syntax, byte-exact, so tests can compare stored bytes with what was sent.
 */
export const IVR_LE = '1.2.840.10008.1.2';
export const EVR_LE = '1.2.840.10008.1.2.1';
export const EVR_BE = '1.2.840.10008.1.2.2';
export const SYNTAXES = [IVR_LE, EVR_LE, EVR_BE];

export interface El {
  tag: number;
  vr: string;
  /** string (latin1 bytes, padded), raw Buffer (padded if odd), number (US), or SQ items. */
  value: string | Buffer | number | El[][];
  /** SQ/UN: encode with undefined length and delimiters. */
  undefinedLength?: boolean;
}

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

function u16(v: number, little: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (little) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

function u32(v: number, little: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (little) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

function tagBytes(tag: number, little: boolean): Buffer {
  return Buffer.concat([u16(tag >>> 16, little), u16(tag & 0xffff, little)]);
}

function valueBytes(el: El, syntax: string): Buffer {
  const little = syntax !== EVR_BE;
  if (typeof el.value === 'number') return u16(el.value, little);
  if (Array.isArray(el.value)) return encodeItems(el.value, el.vr === 'UN' ? IVR_LE : syntax, !!el.undefinedLength);
  const raw = typeof el.value === 'string' ? Buffer.from(el.value, 'latin1') : el.value;
  if (raw.length % 2 === 0) return raw;
  return Buffer.concat([raw, Buffer.from([el.vr === 'UI' || el.vr === 'OB' ? 0 : 0x20])]);
}

function encodeItems(items: El[][], syntax: string, undefinedLength: boolean): Buffer {
  const little = syntax !== EVR_BE;
  const parts: Buffer[] = [];
  for (const item of items) {
    const body = encodeDataSet(item, syntax);
    if (undefinedLength) {
      parts.push(tagBytes(0xfffee000, little), u32(0xffffffff, little), body, tagBytes(0xfffee00d, little), u32(0, little));
    } else {
      parts.push(tagBytes(0xfffee000, little), u32(body.length, little), body);
    }
  }
  if (undefinedLength) parts.push(tagBytes(0xfffee0dd, little), u32(0, little));
  return Buffer.concat(parts);
}

export function encodeElement(el: El, syntax: string): Buffer {
  const little = syntax !== EVR_BE;
  const value = valueBytes(el, syntax);
  const len = el.undefinedLength ? 0xffffffff : value.length;
  if (syntax === IVR_LE) return Buffer.concat([tagBytes(el.tag, true), u32(len, true), value]);
  const vr = Buffer.from(el.vr, 'latin1');
  if (LONG.has(el.vr)) return Buffer.concat([tagBytes(el.tag, little), vr, Buffer.alloc(2), u32(len, little), value]);
  return Buffer.concat([tagBytes(el.tag, little), vr, u16(len, little), value]);
}

export function encodeDataSet(els: El[], syntax: string): Buffer {
  return Buffer.concat([...els].sort((a, b) => a.tag - b.tag).map((e) => encodeElement(e, syntax)));
}

export const CT = '1.2.840.10008.5.1.4.1.1.2';

export interface SampleOptions {
  sopInstanceUid?: string;
  sopClassUid?: string;
  studyUid?: string;
  seriesUid?: string;
  patientId?: string;
  patientName?: string | Buffer;
  charset?: string;
  modality?: string;
  pixels?: number;
  extra?: El[];
}

/** A small image data set with a private block (0009,0010) + (0009,1001) and pixel data. */
export function sampleElements(o: SampleOptions = {}): El[] {
  const els: El[] = [
    { tag: 0x00080016, vr: 'UI', value: o.sopClassUid ?? CT },
    { tag: 0x00080018, vr: 'UI', value: o.sopInstanceUid ?? '1.2.3.4.5.6.7' },
    { tag: 0x00080020, vr: 'DA', value: '20240131' },
    { tag: 0x00080030, vr: 'TM', value: '101500' },
    { tag: 0x00080050, vr: 'SH', value: 'ACC123' },
    { tag: 0x00080060, vr: 'CS', value: o.modality ?? 'CT' },
    { tag: 0x00080090, vr: 'PN', value: 'House^Gregory' },
    { tag: 0x00081030, vr: 'LO', value: 'Chest' },
    { tag: 0x0008103e, vr: 'LO', value: 'Axial' },
    { tag: 0x00091001, vr: 'LO', value: 'secret private value' },
    { tag: 0x00090010, vr: 'LO', value: 'ACME 1.0' },
    { tag: 0x00100010, vr: 'PN', value: o.patientName ?? 'Doe^John' },
    { tag: 0x00100020, vr: 'LO', value: o.patientId ?? 'PID1' },
    { tag: 0x00100030, vr: 'DA', value: '19700101' },
    { tag: 0x00100040, vr: 'CS', value: 'M' },
    { tag: 0x0020000d, vr: 'UI', value: o.studyUid ?? '1.2.3.4.100' },
    { tag: 0x0020000e, vr: 'UI', value: o.seriesUid ?? '1.2.3.4.100.1' },
    { tag: 0x00200010, vr: 'SH', value: 'S1' },
    { tag: 0x00200011, vr: 'IS', value: '3' },
    { tag: 0x00200013, vr: 'IS', value: '12' },
    { tag: 0x00280010, vr: 'US', value: 2 },
    { tag: 0x00280011, vr: 'US', value: 2 },
    { tag: 0x7fe00010, vr: 'OW', value: Buffer.alloc(o.pixels ?? 8, 0x11) },
    ...(o.extra ?? []),
  ];
  if (o.charset) els.push({ tag: 0x00080005, vr: 'CS', value: o.charset });
  return els;
}

export function sampleDataSet(syntax: string, o: SampleOptions = {}): Buffer {
  return encodeDataSet(sampleElements(o), syntax);
}
