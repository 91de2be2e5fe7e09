/**
 * Attribute values a route condition needs, for one just-indexed instance: from the index
 * row when it has them, else from the stored file's top-level elements (read once, with
 * synchronous reads: this runs inside the SQLite transaction that indexes the instance, and
 * the file was renamed into place just before, so it is in the page cache).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { decodeDataSet } from '../dicom/identifier';
import type { InstanceRow } from '../store/index-db';
import type { MatchSubject } from './match';

/** Tags the index row answers (PS3.6 tags → InstanceRow fields). */
const ROW_FIELDS: Record<number, keyof InstanceRow> = {
  0x00080016: 'sopClassUid', 0x00080018: 'sopInstanceUid', 0x00080020: 'studyDate', 0x00080030: 'studyTime',
  0x00080050: 'accessionNumber', 0x00080060: 'modality', 0x00080090: 'referringPhysicianNameFull',
  0x00081030: 'studyDescription', 0x0008103e: 'seriesDescription', 0x00100010: 'patientNameFull',
  0x00100020: 'patientId', 0x00100030: 'patientBirthDate', 0x00100040: 'patientSex',
  0x0020000d: 'studyInstanceUid', 0x0020000e: 'seriesInstanceUid', 0x00200010: 'studyId',
  0x00200011: 'seriesNumber', 0x00200013: 'instanceNumber', 0x00280008: 'numberOfFrames',
  0x00280010: 'rows', 0x00280011: 'columns',
};

const FIRST_READ = 64 * 1024;
const MAX_READ = 64 * 1024 * 1024;

/** Top-level values of `tags` from a Part 10 file (text as decoded; binary values are skipped). */
export function readFileAttributes(absPath: string, dataSetOffset: number, syntax: string, tags: number[]): Map<number, string> {
  const out = new Map<number, string>();
  if (!tags.length) return out;
  const wanted = new Set(tags);
  const stopAt = Math.max(...tags) + 1;
  const fd = openSync(absPath, 'r');
  try {
    const total = fstatSync(fd).size - dataSetOffset;
    for (let want = Math.min(total, FIRST_READ); ; want = Math.min(total, want * 4)) {
      const buf = Buffer.alloc(want);
      const n = readSync(fd, buf, 0, want, dataSetOffset);
      const r = decodeDataSet(buf.subarray(0, n), syntax, { keep: (t) => wanted.has(t), stopAtTag: stopAt, allowTruncated: true });
      if (r.complete || r.stopped || want >= total || want >= MAX_READ) {
        for (const e of r.identifier) if (typeof e.value === 'string') out.set(e.tag, e.value);
        return out;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A MatchSubject over an index row, reading other attributes from `absPath` lazily, once. */
export function subjectOf(row: InstanceRow, absPath: string, fileTags: number[], onError?: (e: unknown) => void): MatchSubject {
  let fromFile: Map<number, string> | undefined;
  return {
    callingAe: row.callingAe, calledAe: row.calledAe, sopClassUid: row.sopClassUid,
    attribute(tag: number): string | null {
      const field = ROW_FIELDS[tag];
      if (field) {
        const v = row[field];
        return v === null || v === undefined ? null : String(v);
      }
      if (!fromFile) {
        try {
          fromFile = readFileAttributes(absPath, row.dataSetOffset, row.transferSyntaxUid, fileTags.filter((t) => !ROW_FIELDS[t]));
        } catch (e) {
          // A condition on an unreadable attribute sees it as absent; the store must not fail for it.
          onError?.(e);
          fromFile = new Map();
        }
      }
      return fromFile.get(tag) ?? null;
    },
  };
}
