/**
 * The Query/Retrieve information models (PS3.4 C.6) and the attributes the index holds.
 * Levels and unique keys: Patient Root C.6.1.1 (Tables C.6-1..4), Study Root C.6.2.1
 * (Tables C.6-5..7), Patient/Study Only C.6.3.1 (PATIENT and STUDY only).
 * Table aliases: p patients, st studies, se series, i instances (schema.sql.ts).
 */
import type { IdElement } from '../dicom/identifier';
import { patientInstancesSql, studyInstancesSql } from './schema.sql';

export type QueryModel = 'patient' | 'study' | 'patientStudyOnly';
export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

export const MODEL_LEVELS: Record<QueryModel, QueryLevel[]> = {
  patient: ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'],
  study: ['STUDY', 'SERIES', 'IMAGE'],
  patientStudyOnly: ['PATIENT', 'STUDY'],
};

export const LEVEL_RANK: Record<QueryLevel, number> = { PATIENT: 0, STUDY: 1, SERIES: 2, IMAGE: 3 };

export const TAG = {
  SpecificCharacterSet: 0x00080005,
  QueryRetrieveLevel: 0x00080052,
  RetrieveAETitle: 0x00080054,
  InstanceAvailability: 0x00080056,
  Modality: 0x00080060,
  ModalitiesInStudy: 0x00080061,
  PatientID: 0x00100020,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  SOPInstanceUID: 0x00080018,
  PixelData: 0x7fe00010,
} as const;

/** PS3.4 C.6.x: the unique key of each level. */
export const UNIQUE_KEY: Record<QueryLevel, number> = {
  PATIENT: TAG.PatientID,
  STUDY: TAG.StudyInstanceUID,
  SERIES: TAG.SeriesInstanceUID,
  IMAGE: TAG.SOPInstanceUID,
};

/** How a key is matched (PS3.4 C.2.2.2) and its stored form. */
export type MatchKind = 'text' | 'pn' | 'uid' | 'date' | 'time' | 'int' | 'exists';

export interface IndexedKey {
  tag: number;
  vr: string;
  level: QueryLevel;
  /** SQL expression of the value to return. */
  column: string;
  /** SQL expression to match against, when not `column` (upper-cased PN). */
  match?: string;
  kind: MatchKind;
  /** For kind 'exists': a subquery with `?COND?` where the condition on `existsColumn` goes. */
  exists?: string;
  existsColumn?: string;
}

const MODALITY_EXISTS = 'EXISTS (SELECT 1 FROM series se2 WHERE se2.study_fk = st.id AND ?COND?)';
const SOP_CLASS_EXISTS = 'EXISTS (SELECT 1 FROM series se2 JOIN instances i2 ON i2.series_fk = se2.id WHERE se2.study_fk = st.id AND ?COND?)';

const KEYS: IndexedKey[] = [
  // PATIENT (C.6.1.1.2)
  { tag: 0x00100010, vr: 'PN', level: 'PATIENT', column: 'p.patient_name_full', match: 'p.patient_name_norm', kind: 'pn' },
  { tag: 0x00100020, vr: 'LO', level: 'PATIENT', column: 'p.patient_id', kind: 'text' },
  { tag: 0x00100030, vr: 'DA', level: 'PATIENT', column: 'p.patient_birth_date', kind: 'date' },
  { tag: 0x00100040, vr: 'CS', level: 'PATIENT', column: 'p.patient_sex', kind: 'text' },
  { tag: 0x00201200, vr: 'IS', level: 'PATIENT', column: 'p.num_studies', kind: 'int' },
  { tag: 0x00201202, vr: 'IS', level: 'PATIENT', column: 'p.num_series', kind: 'int' },
  { tag: 0x00201204, vr: 'IS', level: 'PATIENT', column: patientInstancesSql('p'), kind: 'int' },
  // STUDY (C.6.1.1.3, C.6.2.1.2)
  { tag: 0x0020000d, vr: 'UI', level: 'STUDY', column: 'st.study_uid', kind: 'uid' },
  { tag: 0x00080020, vr: 'DA', level: 'STUDY', column: 'st.study_date', kind: 'date' },
  { tag: 0x00080030, vr: 'TM', level: 'STUDY', column: 'st.study_time', kind: 'time' },
  { tag: 0x00080050, vr: 'SH', level: 'STUDY', column: 'st.accession_number', kind: 'text' },
  { tag: 0x00200010, vr: 'SH', level: 'STUDY', column: 'st.study_id', kind: 'text' },
  { tag: 0x00081030, vr: 'LO', level: 'STUDY', column: 'st.study_description', kind: 'text' },
  { tag: 0x00080090, vr: 'PN', level: 'STUDY', column: 'st.referring_physician_name_full', match: 'st.referring_physician_name_norm', kind: 'pn' },
  { tag: 0x00080061, vr: 'CS', level: 'STUDY', column: 'st.modalities_in_study', kind: 'exists', exists: MODALITY_EXISTS, existsColumn: 'se2.modality' },
  {
    tag: 0x00080062, vr: 'UI', level: 'STUDY', kind: 'exists', exists: SOP_CLASS_EXISTS, existsColumn: 'i2.sop_class_uid',
    column: `(SELECT group_concat(c, '\\') FROM (SELECT DISTINCT i2.sop_class_uid AS c FROM series se2
      JOIN instances i2 ON i2.series_fk = se2.id WHERE se2.study_fk = st.id ORDER BY c))`,
  },
  { tag: 0x00201206, vr: 'IS', level: 'STUDY', column: 'st.num_series', kind: 'int' },
  { tag: 0x00201208, vr: 'IS', level: 'STUDY', column: studyInstancesSql('st'), kind: 'int' },
  // SERIES (C.6.1.1.4)
  { tag: 0x0020000e, vr: 'UI', level: 'SERIES', column: 'se.series_uid', kind: 'uid' },
  { tag: 0x00080060, vr: 'CS', level: 'SERIES', column: 'se.modality', kind: 'text' },
  { tag: 0x00200011, vr: 'IS', level: 'SERIES', column: 'se.series_number', kind: 'int' },
  { tag: 0x0008103e, vr: 'LO', level: 'SERIES', column: 'se.series_description', kind: 'text' },
  { tag: 0x00201209, vr: 'IS', level: 'SERIES', column: 'se.num_instances', kind: 'int' },
  // IMAGE (C.6.1.1.5)
  { tag: 0x00080018, vr: 'UI', level: 'IMAGE', column: 'i.sop_uid', kind: 'uid' },
  { tag: 0x00080016, vr: 'UI', level: 'IMAGE', column: 'i.sop_class_uid', kind: 'uid' },
  { tag: 0x00200013, vr: 'IS', level: 'IMAGE', column: 'i.instance_number', kind: 'int' },
  { tag: 0x00280008, vr: 'IS', level: 'IMAGE', column: 'i.number_of_frames', kind: 'int' },
  { tag: 0x00280010, vr: 'US', level: 'IMAGE', column: 'i.rows', kind: 'int' },
  { tag: 0x00280011, vr: 'US', level: 'IMAGE', column: 'i.columns', kind: 'int' },
  { tag: 0x00083002, vr: 'UI', level: 'IMAGE', column: 'i.transfer_syntax', kind: 'uid' }, // Available Transfer Syntax UID
];

export const INDEXED_KEYS: ReadonlyMap<number, IndexedKey> = new Map(KEYS.map((k) => [k.tag, k]));

/** FROM clause reaching from `level` up to the patient; the level's own alias first. */
export const LEVEL_FROM: Record<QueryLevel, { alias: string; from: string }> = {
  PATIENT: { alias: 'p', from: 'patients p' },
  STUDY: { alias: 'st', from: 'studies st JOIN patients p ON p.id = st.patient_fk' },
  SERIES: { alias: 'se', from: 'series se JOIN studies st ON st.id = se.study_fk JOIN patients p ON p.id = st.patient_fk' },
  IMAGE: {
    alias: 'i',
    from: 'instances i JOIN series se ON se.id = i.series_fk JOIN studies st ON st.id = se.study_fk JOIN patients p ON p.id = st.patient_fk',
  },
};

/** One stored instance standing for an entity, to read attributes the index lacks. */
export const REPRESENTATIVE_SQL: Record<QueryLevel, string> = {
  PATIENT: `SELECT i.path, i.transfer_syntax AS ts, i.data_set_offset AS offset FROM instances i
    JOIN series se ON se.id = i.series_fk JOIN studies st ON st.id = se.study_fk WHERE st.patient_fk = ? ORDER BY i.id LIMIT 1`,
  STUDY: `SELECT i.path, i.transfer_syntax AS ts, i.data_set_offset AS offset FROM instances i
    JOIN series se ON se.id = i.series_fk WHERE se.study_fk = ? ORDER BY i.id LIMIT 1`,
  SERIES: 'SELECT i.path, i.transfer_syntax AS ts, i.data_set_offset AS offset FROM instances i WHERE i.series_fk = ? ORDER BY i.id LIMIT 1',
  IMAGE: 'SELECT i.path, i.transfer_syntax AS ts, i.data_set_offset AS offset FROM instances i WHERE i.id = ?',
};
/** Where each returned key's value comes from. */
export type ReturnSource =
  | { kind: 'index'; column: number }
  | { kind: 'file' }
  | { kind: 'empty' }
  | { kind: 'const'; value: string };

export interface ReturnKey {
  request: IdElement;
  vr: string;
  source: ReturnSource;
}

