/**
 * The synthetic study the start-up warm-up sends (WARM_UP_NOTE in warm-up.ts): CT images
 * in Explicit VR Little Endian, Part 10 files written with the store's own File Meta
 * builder. Small ones give the per-message code many calls, large ones (many PDUs each)
 * the per-PDU and per-write loops. Patient "WARM^UP": nothing here is ever kept.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeIdentifier, type Identifier } from '../dicom/identifier';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLEMENTATION_CLASS_UID, newUid } from '../dicom/uids';
import { buildFileMeta } from '../store/part10';
import type { SendableInstance } from '../services/store-scu';

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

export interface StudyShape {
  /** Images of `smallRows` × `smallRows` pixels. */
  small: number;
  smallRows: number;
  /** Images of `largeRows` × `largeRows` pixels (a CT slice is 512). */
  large: number;
  largeRows: number;
}

/** The study's size on disk, roughly (pixel data; the rest is under 1 KiB an image). */
export function studyBytes(shape: StudyShape): number {
  return shape.small * (shape.smallRows ** 2 * 2 + 1024) + shape.large * (shape.largeRows ** 2 * 2 + 1024);
}

/** Writes the study into `dir` (which exists) and returns the instances in sending order. */
export async function writeWarmUpStudy(dir: string, shape: StudyShape): Promise<SendableInstance[]> {
  const study = newUid();
  const series = newUid();
  const order = sendingOrder(shape);
  const out: SendableInstance[] = [];
  for (const [i, rows] of order.entries()) {
    const uid = newUid();
    const meta = buildFileMeta({ mediaStorageSopClassUid: CT_IMAGE_STORAGE, mediaStorageSopInstanceUid: uid, transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN, implementationClassUid: IMPLEMENTATION_CLASS_UID });
    const data = encodeIdentifier(ctImage({ study, series, uid, number: i + 1, rows }), EXPLICIT_VR_LITTLE_ENDIAN);
    const path = join(dir, `${String(i + 1).padStart(4, '0')}.dcm`);
    await writeFile(path, Buffer.concat([meta, data]));
    out.push({ path, sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: uid, transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN, datasetOffset: meta.length, size: data.length });
  }
  return out;
}

/** Row counts in sending order: the large images spread among the small ones, as a mixed study arrives. */
export function sendingOrder(shape: StudyShape): number[] {
  const total = shape.small + shape.large;
  const every = shape.large ? Math.max(1, Math.floor(total / shape.large)) : 0;
  let large = shape.large;
  let small = shape.small;
  const out: number[] = [];
  for (let i = 1; i <= total; i++) {
    const takeLarge = large > 0 && (small === 0 || i % every === 0);
    if (takeLarge) large--; else small--;
    out.push(takeLarge ? shape.largeRows : shape.smallRows);
  }
  return out;
}

function ctImage(p: { study: string; series: string; uid: string; number: number; rows: number }): Identifier {
  const pixels = Buffer.allocUnsafe(p.rows * p.rows * 2);
  for (let i = 0; i < pixels.length; i += 2) pixels.writeUInt16LE((i * 7) & 0x0fff, i);
  const us = (tag: number, n: number): Identifier[number] => ({ tag, vr: 'US', value: String(n) });
  return [
    { tag: 0x00080016, vr: 'UI', value: CT_IMAGE_STORAGE },
    { tag: 0x00080018, vr: 'UI', value: p.uid },
    { tag: 0x00080060, vr: 'CS', value: 'CT' },
    { tag: 0x00100010, vr: 'PN', value: 'WARM^UP' },
    { tag: 0x00100020, vr: 'LO', value: 'WARMUP' },
    { tag: 0x0020000d, vr: 'UI', value: p.study },
    { tag: 0x0020000e, vr: 'UI', value: p.series },
    { tag: 0x00200013, vr: 'IS', value: String(p.number) },
    us(0x00280002, 1),
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    us(0x00280010, p.rows), us(0x00280011, p.rows), us(0x00280100, 16), us(0x00280101, 12), us(0x00280102, 11), us(0x00280103, 0),
    { tag: 0x7fe00010, vr: 'OW', value: pixels },
  ];
}
