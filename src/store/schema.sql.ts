/**
 * SQLite schema of the instance index (PRAGMA user_version): version 1 below, then the
 * MIGRATIONS. Text attributes are stored decoded (UTF-8) as received; empty values are NULL.
 * Counts and ModalitiesInStudy (PS3.4 C.6.1.1.5) are derived and kept up to date by
 * IndexDb on every insert, update and delete, so Q/R can answer them without COUNT(*),
 * except the instance counts of studies and patients (version 2): those are the sum of
 * their series' counts (studyInstancesSql / patientInstancesSql), so an instance added to a
 * known series rewrites one parent row, not three (two WAL pages less per C-STORE).
 * Version 3: each series also keeps the sum of its instances' file sizes (`bytes`), so the
 * size of the whole store is a sum over series, not over every instance ([Storage]
 * highWater as a size is checked every 5 s: ~6 ms per 100,000 instances before).
 */
export const SCHEMA_VERSION = 3;

/** Schema changes from version N-1 to N (keys from 2 up to SCHEMA_VERSION). */
export const MIGRATIONS: Record<number, string> = {
  2: `ALTER TABLE studies DROP COLUMN num_instances;
      ALTER TABLE patients DROP COLUMN num_instances;`,
  3: `ALTER TABLE series ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
      UPDATE series SET bytes = (SELECT COALESCE(SUM(size), 0) FROM instances WHERE series_fk = series.id);`,
};

/** Number of Study Related Instances of the study row aliased `st`. */
export function studyInstancesSql(st: string): string {
  return `(SELECT COALESCE(SUM(x.num_instances), 0) FROM series x WHERE x.study_fk = ${st}.id)`;
}

/** Number of Patient Related Instances of the patient row aliased `p`. */
export function patientInstancesSql(p: string): string {
  return `(SELECT COALESCE(SUM(x.num_instances), 0) FROM series x JOIN studies y ON y.id = x.study_fk WHERE y.patient_fk = ${p}.id)`;
}

export const SCHEMA_V1 = `
CREATE TABLE patients (
  id                  INTEGER PRIMARY KEY,
  patient_id          TEXT NOT NULL UNIQUE,      -- (0010,0020); '' when absent
  patient_name        TEXT,                      -- (0010,0010) alphabetic group
  patient_name_norm   TEXT,                      -- upper case, for case-insensitive PN matching
  patient_name_full   TEXT,                      -- whole PN value, all component groups
  patient_birth_date  TEXT,
  patient_sex         TEXT,
  specific_character_set TEXT,
  num_studies         INTEGER NOT NULL DEFAULT 0,
  num_series          INTEGER NOT NULL DEFAULT 0,
  num_instances       INTEGER NOT NULL DEFAULT 0,
  updated_at          TEXT NOT NULL
);
CREATE INDEX patients_name_norm ON patients(patient_name_norm);
CREATE INDEX patients_name ON patients(patient_name);

CREATE TABLE studies (
  id                  INTEGER PRIMARY KEY,
  study_uid           TEXT NOT NULL UNIQUE,      -- (0020,000D)
  patient_fk          INTEGER NOT NULL REFERENCES patients(id),
  study_date          TEXT,                      -- (0008,0020) YYYYMMDD
  study_time          TEXT,
  study_description   TEXT,
  accession_number    TEXT,
  referring_physician_name      TEXT,
  referring_physician_name_norm TEXT,
  referring_physician_name_full TEXT,
  study_id            TEXT,                      -- (0020,0010)
  modalities_in_study TEXT,                      -- (0008,0061) derived, backslash-separated, sorted
  num_series          INTEGER NOT NULL DEFAULT 0,
  num_instances       INTEGER NOT NULL DEFAULT 0,
  updated_at          TEXT NOT NULL
);
CREATE INDEX studies_patient ON studies(patient_fk);
CREATE INDEX studies_date ON studies(study_date);
CREATE INDEX studies_accession ON studies(accession_number);

CREATE TABLE series (
  id                  INTEGER PRIMARY KEY,
  series_uid          TEXT NOT NULL UNIQUE,      -- (0020,000E)
  study_fk            INTEGER NOT NULL REFERENCES studies(id),
  modality            TEXT,
  series_number       INTEGER,
  series_description  TEXT,
  num_instances       INTEGER NOT NULL DEFAULT 0,
  updated_at          TEXT NOT NULL
);
CREATE INDEX series_study ON series(study_fk);
CREATE INDEX series_modality ON series(modality);

CREATE TABLE instances (
  id                  INTEGER PRIMARY KEY,
  sop_uid             TEXT NOT NULL UNIQUE,      -- (0008,0018)
  series_fk           INTEGER NOT NULL REFERENCES series(id),
  sop_class_uid       TEXT NOT NULL,
  instance_number     INTEGER,
  rows                INTEGER,
  columns             INTEGER,
  number_of_frames    INTEGER,
  specific_character_set TEXT,
  transfer_syntax     TEXT NOT NULL,
  size                INTEGER NOT NULL,          -- file size in bytes
  data_set_offset     INTEGER NOT NULL,          -- where the data set starts in the file
  path                TEXT NOT NULL,             -- relative to the store root
  calling_ae          TEXT,
  called_ae           TEXT,
  received_at         TEXT NOT NULL              -- ISO 8601 UTC
);
CREATE INDEX instances_series ON instances(series_fk);
CREATE INDEX instances_received ON instances(received_at);
`;
