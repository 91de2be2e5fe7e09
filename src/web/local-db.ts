/**
 * Read-only queries of the SQLite index for the pages (the DICOMweb QIDO side uses the
 * Q/R QueryEngine instead, for DICOM matching rules). Everything is one indexed SELECT,
 * so pages come back in milliseconds even on a small box.
 */
import type { IndexDb } from '../store/index-db';
import { studyInstancesSql } from '../store/schema.sql';

export interface StudyFilter {
  /** Wildcards * and ?; without any, matches as a prefix. Case-insensitive. */
  patientName?: string;
  patientId?: string;
  accession?: string;
  modality?: string;
  /** YYYYMMDD or YYYY-MM-DD, inclusive. */
  dateFrom?: string;
  dateTo?: string;
}

export type Row = Record<string, string | number | null>;

/** DICOM wildcards (PS3.4 C.2.2.2.4) → SQL LIKE with \ as escape. */
export function likePattern(v: string, prefixIfPlain = false): string {
  const escaped = v.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
  return prefixIfPlain && !/[*?]/.test(v) ? `${escaped}%` : escaped;
}

const dateKey = (d: string): string => d.replace(/-/g, '');

function where(f: StudyFilter): { sql: string; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...p: unknown[]) => { conds.push(sql); params.push(...p); };
  if (f.patientName?.trim()) {
    const pat = likePattern(f.patientName.trim().toUpperCase(), true);
    add(`(UPPER(p.patient_name) LIKE ? ESCAPE '\\' OR UPPER(p.patient_name_full) LIKE ? ESCAPE '\\')`, pat, pat);
  }
  if (f.patientId?.trim()) add(`p.patient_id LIKE ? ESCAPE '\\'`, likePattern(f.patientId.trim()));
  if (f.accession?.trim()) add(`st.accession_number LIKE ? ESCAPE '\\'`, likePattern(f.accession.trim()));
  if (f.modality?.trim()) add(`EXISTS (SELECT 1 FROM series se WHERE se.study_fk = st.id AND se.modality = ?)`, f.modality.trim().toUpperCase());
  if (f.dateFrom && /^\d{4}-?\d{2}-?\d{2}$/.test(f.dateFrom)) add('st.study_date >= ?', dateKey(f.dateFrom));
  if (f.dateTo && /^\d{4}-?\d{2}-?\d{2}$/.test(f.dateTo)) add('st.study_date <= ?', dateKey(f.dateTo));
  return { sql: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}

const STUDY_COLUMNS = `st.study_uid, st.study_date, st.study_time, st.study_description, st.accession_number, st.study_id,
  st.modalities_in_study, st.num_series, ${studyInstancesSql('st')} AS num_instances, st.referring_physician_name,
  p.patient_id, p.patient_name, p.patient_birth_date, p.patient_sex`;

/** Newest first (study date, time, then arrival), paged. */
export function searchStudies(index: IndexDb, f: StudyFilter, offset: number, limit: number): { rows: Row[]; total: number } {
  const w = where(f);
  const from = `FROM studies st JOIN patients p ON p.id = st.patient_fk ${w.sql}`;
  const total = (index.db.prepare(`SELECT COUNT(*) AS n ${from}`).get(...w.params) as { n: number }).n;
  const rows = index.db.prepare(`SELECT ${STUDY_COLUMNS} ${from}
    ORDER BY st.study_date IS NULL, st.study_date DESC, st.study_time DESC, st.id DESC LIMIT ? OFFSET ?`).all(...w.params, limit, offset) as Row[];
  return { rows, total };
}

export function getStudy(index: IndexDb, studyUid: string): Row | undefined {
  return index.db.prepare(`SELECT ${STUDY_COLUMNS} FROM studies st JOIN patients p ON p.id = st.patient_fk WHERE st.study_uid = ?`).get(studyUid) as Row | undefined;
}

export function seriesOfStudy(index: IndexDb, studyUid: string): Row[] {
  return index.db.prepare(`SELECT se.series_uid, se.modality, se.series_number, se.series_description, se.num_instances,
      (SELECT i.sop_uid FROM instances i WHERE i.series_fk = se.id ORDER BY i.instance_number, i.id LIMIT 1) AS middle_sop
    FROM series se JOIN studies st ON st.id = se.study_fk WHERE st.study_uid = ? ORDER BY se.series_number, se.id`).all(studyUid) as Row[];
}

export function instancesOfSeries(index: IndexDb, seriesUid: string): Row[] {
  return index.db.prepare(`SELECT i.sop_uid, i.sop_class_uid, i.instance_number, i.rows, i.columns, i.number_of_frames,
      i.transfer_syntax, i.size, i.received_at, i.calling_ae
    FROM instances i JOIN series se ON se.id = i.series_fk WHERE se.series_uid = ? ORDER BY i.instance_number, i.id`).all(seriesUid) as Row[];
}

export function seriesInfo(index: IndexDb, seriesUid: string): Row | undefined {
  return index.db.prepare(`SELECT se.series_uid, se.modality, se.series_number, se.series_description, se.num_instances, st.study_uid
    FROM series se JOIN studies st ON st.id = se.study_fk WHERE se.series_uid = ?`).get(seriesUid) as Row | undefined;
}

/** Every instance of a study or series in display order (for zips and WADO-RS). */
export function instanceFiles(index: IndexDb, level: 'study' | 'series', uid: string): { sop_uid: string; series_uid: string; path: string; size: number; transfer_syntax: string; data_set_offset: number }[] {
  const cond = level === 'study' ? 'st.study_uid = ?' : 'se.series_uid = ?';
  return index.db.prepare(`SELECT i.sop_uid, se.series_uid, i.path, i.size, i.transfer_syntax, i.data_set_offset
    FROM instances i JOIN series se ON se.id = i.series_fk JOIN studies st ON st.id = se.study_fk
    WHERE ${cond} ORDER BY se.series_number, se.id, i.instance_number, i.id`).all(uid) as never;
}
