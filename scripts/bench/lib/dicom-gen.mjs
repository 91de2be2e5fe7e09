// Compact Part 10 writer for the benchmark (no product code): 128-byte preamble, "DICM",
// File Meta Information in Explicit VR Little Endian with its group length (PS3.10 7.1),
// then an Explicit VR Little Endian data set (PS3.5 7.1.2) ending with Pixel Data (OW).
// Big objects are streamed to disk in chunks: the pixel data is never whole in memory.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const IMPLEMENTATION_UID = '2.25.301993318318765470939181467226335226882';
// PS3.5 7.1.2: these VRs have a 2-byte reserved field and a 32-bit length.
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);

/** A 2.25 UID from 128 random bits (PS3.5 B.2). */
export function newUid() {
  return `2.25.${BigInt(`0x${crypto.randomBytes(16).toString('hex')}`)}`;
}

/** Element header only (Explicit VR LE); `length` is the value length. */
function head(tag, vr, length) {
  const long = LONG_VRS.has(vr);
  const b = Buffer.alloc(long ? 12 : 8);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  b.write(vr, 4, 'latin1');
  if (long) b.writeUInt32LE(length, 8);
  else b.writeUInt16LE(length, 6);
  return b;
}

/** One element with its value padded to even length (PS3.5 6.2: UI with NUL, text with space). */
function el(tag, vr, value) {
  let v;
  if (Buffer.isBuffer(value)) v = value;
  else if (vr === 'US') { v = Buffer.alloc(2); v.writeUInt16LE(value, 0); }
  else if (vr === 'UL') { v = Buffer.alloc(4); v.writeUInt32LE(value, 0); }
  else v = Buffer.from(String(value), 'latin1');
  if (v.length % 2) v = Buffer.concat([v, Buffer.from([vr === 'UI' ? 0 : 0x20])]);
  return Buffer.concat([head(tag, vr, v.length), v]);
}

function fileMeta(sopClassUid, sopInstanceUid) {
  const rest = Buffer.concat([
    el(0x00020001, 'OB', Buffer.from([0, 1])),
    el(0x00020002, 'UI', sopClassUid),
    el(0x00020003, 'UI', sopInstanceUid),
    el(0x00020010, 'UI', EXPLICIT_LE),
    el(0x00020012, 'UI', IMPLEMENTATION_UID),
    el(0x00020013, 'SH', 'EDGE_BENCH'),
  ]);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), el(0x00020000, 'UL', rest.length), rest]);
}

/**
 * Everything of the file before the Pixel Data value: preamble, meta, data set elements
 * in ascending tag order, and the (7FE0,0010) OW header announcing `pixelBytes`.
 */
export function imageHeader(o) {
  const bitsStored = 12;
  const elements = [
    el(0x00080005, 'CS', 'ISO_IR 100'),
    el(0x00080008, 'CS', 'ORIGINAL\\PRIMARY\\AXIAL'),
    el(0x00080016, 'UI', o.sopClassUid),
    el(0x00080018, 'UI', o.sopInstanceUid),
    el(0x00080020, 'DA', '20240102'),
    el(0x00080030, 'TM', '101500'),
    el(0x00080050, 'SH', 'ACC0001'),
    el(0x00080060, 'CS', 'CT'),
    el(0x00080090, 'PN', ''),
    el(0x00081030, 'LO', o.description ?? 'BENCH'),
    el(0x00100010, 'PN', o.patientName ?? 'BENCH^PATIENT'),
    el(0x00100020, 'LO', o.patientId ?? 'BENCH0001'),
    el(0x00100030, 'DA', '19700101'),
    el(0x00100040, 'CS', 'O'),
    el(0x0020000d, 'UI', o.studyUid),
    el(0x0020000e, 'UI', o.seriesUid),
    el(0x00200010, 'SH', '1'),
    el(0x00200011, 'IS', '1'),
    el(0x00200013, 'IS', String(o.instanceNumber ?? 1)),
    el(0x00280002, 'US', 1),
    el(0x00280004, 'CS', 'MONOCHROME2'),
    el(0x00280010, 'US', o.rows),
    el(0x00280011, 'US', o.cols),
    el(0x00280100, 'US', 16),
    el(0x00280101, 'US', bitsStored),
    el(0x00280102, 'US', bitsStored - 1),
    el(0x00280103, 'US', 0),
  ];
  const pixelBytes = o.rows * o.cols * 2;
  return Buffer.concat([fileMeta(o.sopClassUid, o.sopInstanceUid), ...elements, head(0x7fe00010, 'OW', pixelBytes)]);
}

/** 16-bit pixels: a diagonal ramp (12 bits stored) so the data is not all zeros. */
export function rampPixels(rows, cols, seed = 0) {
  const words = new Uint16Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) words[base + c] = ((r + c) * 7 + seed) & 0x0fff;
  }
  return Buffer.from(words.buffer, words.byteOffset, words.byteLength);
}

/** Writes `count` single-frame 16-bit CT images of one study into `dir` (IM00001.dcm, ...). */
export async function writeStudy(dir, { count, rows, cols }) {
  await fsp.mkdir(dir, { recursive: true });
  const studyUid = newUid();
  const seriesUid = newUid();
  const pixels = rampPixels(rows, cols);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const header = imageHeader({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: newUid(), studyUid, seriesUid, rows, cols, instanceNumber: i + 1 });
    pixels.writeUInt16LE(i & 0x0fff, 0); // instances differ
    await fsp.writeFile(path.join(dir, `IM${String(i + 1).padStart(5, '0')}.dcm`), Buffer.concat([header, pixels]));
    bytes += header.length + pixels.length;
  }
  return { studyUid, count, bytes };
}

/**
 * One big CT image of `megabytes` MiB of pixel data (rows 16384 × cols 32·MiB, 16-bit),
 * streamed to `file` in 4 MiB chunks. Returns its SOP Instance UID and size.
 */
export async function writeBigObject(file, megabytes) {
  const rows = 16384;
  const cols = 32 * megabytes;
  if (!Number.isInteger(megabytes) || megabytes < 1 || cols > 0xffff) throw new Error(`big object: 1..2047 MiB, got ${megabytes}`);
  const sopInstanceUid = newUid();
  const header = imageHeader({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid, studyUid: newUid(), seriesUid: newUid(), rows, cols, description: 'BIG OBJECT' });
  const total = rows * cols * 2;
  const chunk = rampPixels(1024, 2048); // 4 MiB
  const fd = await fsp.open(file, 'w');
  try {
    await fd.write(header);
    for (let done = 0; done < total; done += chunk.length) {
      const n = Math.min(chunk.length, total - done);
      await fd.write(chunk, 0, n);
    }
  } finally {
    await fd.close();
  }
  return { sopInstanceUid, bytes: header.length + total };
}

export function dirBytes(dir) {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}
