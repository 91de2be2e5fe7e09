/**
 * The SQLite index of stored instances (better-sqlite3, synchronous API).
 * Durability: the instance file is fsynced, renamed into place and its directory fsynced
 * before the row is written; that is what makes an acknowledged image safe. The index is
 * WAL with synchronous=NORMAL: a commit survives a crash of the process, and after a power
 * loss the last commits may be missing, which the start-up recovery repairs from the files
 * themselves (every file without a row is indexed again, and the forwarding hooks run for
 * it, so its routes are queued again). FULL would add an fsync to every instance on the
 * event loop (better-sqlite3 is synchronous) for nothing the files cannot rebuild.
 * (https://www.sqlite.org/pragma.html#pragma_synchronous)
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EdgeError } from '../util/errors';
import { MIGRATIONS, SCHEMA_V1, SCHEMA_VERSION } from './schema.sql';
import type { HeaderAttributes } from './header';

/** Everything the index stores about one instance (header + file facts). */
export interface InstanceRow extends HeaderAttributes {
  sopInstanceUid: string;
  sopClassUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  transferSyntaxUid: string;
  /** File size in bytes. */
  size: number;
  dataSetOffset: number;
  /** Relative to the store root, POSIX separators. */
  path: string;
  callingAe: string | null;
  calledAe: string | null;
  /** ISO 8601 UTC. */
  receivedAt: string;
}

export type SqliteDb = Database.Database;

const UPSERT_PATIENT = `INSERT INTO patients (patient_id, patient_name, patient_name_norm, patient_name_full,
  patient_birth_date, patient_sex, specific_character_set, updated_at)
  VALUES (@patientIdKey, @patientName, @patientNameNorm, @patientNameFull, @patientBirthDate, @patientSex, @specificCharacterSet, @receivedAt)
  ON CONFLICT(patient_id) DO UPDATE SET
    patient_name = COALESCE(excluded.patient_name, patient_name),
    patient_name_norm = COALESCE(excluded.patient_name_norm, patient_name_norm),
    patient_name_full = COALESCE(excluded.patient_name_full, patient_name_full),
    patient_birth_date = COALESCE(excluded.patient_birth_date, patient_birth_date),
    patient_sex = COALESCE(excluded.patient_sex, patient_sex),
    specific_character_set = COALESCE(excluded.specific_character_set, specific_character_set),
    updated_at = excluded.updated_at
  RETURNING id`;

const UPSERT_STUDY = `INSERT INTO studies (study_uid, patient_fk, study_date, study_time, study_description,
  accession_number, referring_physician_name, referring_physician_name_norm, referring_physician_name_full, study_id, updated_at)
  VALUES (@studyInstanceUid, @patientFk, @studyDate, @studyTime, @studyDescription, @accessionNumber,
    @referringPhysicianName, @referringPhysicianNameNorm, @referringPhysicianNameFull, @studyId, @receivedAt)
  ON CONFLICT(study_uid) DO UPDATE SET
    patient_fk = excluded.patient_fk,
    study_date = COALESCE(excluded.study_date, study_date),
    study_time = COALESCE(excluded.study_time, study_time),
    study_description = COALESCE(excluded.study_description, study_description),
    accession_number = COALESCE(excluded.accession_number, accession_number),
    referring_physician_name = COALESCE(excluded.referring_physician_name, referring_physician_name),
    referring_physician_name_norm = COALESCE(excluded.referring_physician_name_norm, referring_physician_name_norm),
    referring_physician_name_full = COALESCE(excluded.referring_physician_name_full, referring_physician_name_full),
    study_id = COALESCE(excluded.study_id, study_id),
    updated_at = excluded.updated_at
  RETURNING id`;

const UPSERT_SERIES = `INSERT INTO series (series_uid, study_fk, modality, series_number, series_description, updated_at)
  VALUES (@seriesInstanceUid, @studyFk, @modality, @seriesNumber, @seriesDescription, @receivedAt)
  ON CONFLICT(series_uid) DO UPDATE SET
    study_fk = excluded.study_fk,
    modality = COALESCE(excluded.modality, modality),
    series_number = COALESCE(excluded.series_number, series_number),
    series_description = COALESCE(excluded.series_description, series_description),
    updated_at = excluded.updated_at
  RETURNING id`;

const UPSERT_INSTANCE = `INSERT INTO instances (sop_uid, series_fk, sop_class_uid, instance_number, rows, columns,
  number_of_frames, specific_character_set, transfer_syntax, size, data_set_offset, path, calling_ae, called_ae, received_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT(sop_uid) DO UPDATE SET
    series_fk = excluded.series_fk, sop_class_uid = excluded.sop_class_uid, instance_number = excluded.instance_number,
    rows = excluded.rows, columns = excluded.columns, number_of_frames = excluded.number_of_frames,
    specific_character_set = excluded.specific_character_set, transfer_syntax = excluded.transfer_syntax,
    size = excluded.size, data_set_offset = excluded.data_set_offset, path = excluded.path,
    calling_ae = excluded.calling_ae, called_ae = excluded.called_ae, received_at = excluded.received_at`;

/** The same insert for an instance not indexed yet: a row already there is left alone (changes = 0). */
const INSERT_NEW_INSTANCE = UPSERT_INSTANCE.slice(0, UPSERT_INSTANCE.indexOf('ON CONFLICT')) + 'ON CONFLICT(sop_uid) DO NOTHING';

/** A stored instance with its series, study and patient attributes (snake_case columns). */
export type StoredInstance = Record<string, string | number | null> & {
  sop_uid: string; path: string; transfer_syntax: string; size: number; data_set_offset: number;
  series_uid: string; study_uid: string; patient_id: string;
};

const SELECT_INSTANCE = `SELECT i.*, s.series_uid, s.modality, s.series_number, s.series_description,
  st.study_uid, st.study_date, st.study_time, st.study_description, st.accession_number, st.study_id,
  st.referring_physician_name, st.modalities_in_study, p.patient_id, p.patient_name, p.patient_name_full,
  p.patient_birth_date, p.patient_sex
  FROM instances i JOIN series s ON s.id = i.series_fk JOIN studies st ON st.id = s.study_fk
  JOIN patients p ON p.id = st.patient_fk WHERE i.sop_uid = ?`;

export class IndexDb {
  readonly db: SqliteDb;
  private readonly stmts: ReturnType<typeof prepare>;

  /** One transaction function for every call (better-sqlite3 builds its wrappers once). */
  private readonly runInTransaction: Database.Transaction<(fn: (db: SqliteDb) => unknown) => unknown>;

  private constructor(db: SqliteDb) {
    this.db = db;
    this.stmts = prepare(db);
    this.runInTransaction = db.transaction((fn: (db: SqliteDb) => unknown) => fn(db));
  }

  /** Opens (creating if needed) and migrates the index at `path` (':memory:' for tests). */
  static open(path: string): IndexDb {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrate(db);
    } catch (e) {
      db.close();
      throw e;
    }
    return new IndexDb(db);
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: (db: SqliteDb) => T): T {
    try {
      return this.runInTransaction.immediate(fn) as T;
    } catch (e) {
      // Rolled back: what the parents memo learnt inside may name rows that are gone.
      this.parents.clear();
      throw e;
    }
  }

  /**
   * Parents seen last for a series (SOP UIDs of a study arrive series after series): when a
   * new instance comes with exactly the same patient/study/series attributes, the parents
   * need no rewrite and their counts just go up by one, a fraction of the full upsert.
   */
  private readonly parents = new Map<string, { sig: string; fks: Fks }>();

  /**
   * Inserts or replaces the instance and its parents; keeps derived counts right. Inside the
   * caller's transaction when there is one (no savepoint: an error rolls the whole back).
   */
  upsertInstance(row: InstanceRow): void {
    if (!this.db.inTransaction) {
      this.transaction(() => this.upsertInstance(row));
      return;
    }
    const sig = parentSignature(row);
    const known = this.parents.get(row.seriesInstanceUid);
    // A new instance under parents seen last. A row already there is not touched by the fast
    // path's insert (a replaced row must not be counted twice): the full upsert handles it.
    if (known && known.sig === sig && this.insertUnderKnownParents(row, known.fks)) return;
    const s = this.stmts;
    // Parents the instance, its series or its study had before: they may be left empty.
    const before = s.instanceFks.get(row.sopInstanceUid) as Fks | undefined;
    const oldSeriesStudy = s.seriesStudy.get(row.seriesInstanceUid) as { fk: number } | undefined;
    const oldStudyPatient = s.studyPatient.get(row.studyInstanceUid) as { fk: number } | undefined;
    const params = { ...row, patientIdKey: row.patientId ?? '', referringPhysicianNameNorm: normName(row.referringPhysicianName) };
    const patientFk = (s.upsertPatient.get(params) as { id: number }).id;
    const studyFk = (s.upsertStudy.get({ ...params, patientFk }) as { id: number }).id;
    const seriesFk = (s.upsertSeries.get({ ...params, studyFk }) as { id: number }).id;
    s.upsertInstance.run(...instanceParams(row, seriesFk));
    this.refresh(
      [seriesFk, before?.seriesFk],
      [studyFk, before?.studyFk, oldSeriesStudy?.fk],
      [patientFk, before?.patientFk, oldStudyPatient?.fk],
    );
    if (this.parents.size > 1024) this.parents.clear();
    this.parents.set(row.seriesInstanceUid, { sig, fks: { seriesFk, studyFk, patientFk } });
  }

  /** False (nothing written) when the instance is indexed already. */
  private insertUnderKnownParents(row: InstanceRow, fks: Fks): boolean {
    const s = this.stmts;
    if (s.insertNewInstance.run(...instanceParams(row, fks.seriesFk)).changes === 0) return false;
    s.bumpSeries.run(row.size, row.receivedAt, fks.seriesFk); // study/patient counts (v2) and the store's size (v3) are sums of these
    return true;
  }

  /** Whether a row exists (cheaper than getInstance: one table, no join). */
  hasInstance(sopInstanceUid: string): boolean {
    return this.stmts.hasInstance.get(sopInstanceUid) !== undefined;
  }

  getInstance(sopInstanceUid: string): StoredInstance | undefined {
    return this.stmts.selectInstance.get(sopInstanceUid) as StoredInstance | undefined;
  }

  /** Removes the row (not the file); drops series, study, patient left empty. */
  deleteInstance(sopInstanceUid: string): boolean {
    return this.transaction(() => {
      const fks = this.stmts.instanceFks.get(sopInstanceUid) as Fks | undefined;
      if (!fks) return false;
      this.stmts.deleteInstance.run(sopInstanceUid);
      this.parents.clear();
      this.refresh([fks.seriesFk], [fks.studyFk], [fks.patientFk]);
      return true;
    });
  }

  /** Sum of every indexed instance's file size in bytes (from the series' sums, schema v3). */
  storedBytes(): number {
    return (this.stmts.storedBytes.get() as { n: number }).n;
  }

  countInstances(): number {
    return (this.stmts.count.get() as { n: number }).n;
  }

  /** Every instance's row id, SOP UID and relative path, a page at a time after `afterId` in row order (consistency checks: bounded memory, no statement left open). */
  instancePathsAfter(afterId: number, limit: number): Array<{ id: number; sopUid: string; path: string }> {
    return this.stmts.pathsAfter.all(afterId, limit) as Array<{ id: number; sopUid: string; path: string }>;
  }

  /** `PRAGMA integrity_check`: empty when the database is sound, else the problems. */
  integrityCheck(): string[] {
    const rows = this.db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).filter((m) => m !== 'ok');
  }

  /**
   * Copies the whole write-ahead log into the database file and truncates it. With
   * synchronous=NORMAL a checkpoint syncs the log before and the database after, so true
   * means every commit so far is on disk (a graceful stop relies on it: recover.ts
   * CLEAN_STOP; retention frees the log's space). False when a reader (another process:
   * `dicom-edge queue`) kept it from completing within `waitMs`; throws on an I/O error.
   */
  checkpointAll(waitMs = 2000): boolean {
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    try {
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(waitMs))}`);
      const [r] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
      return r !== undefined && r.busy === 0 && r.log === r.checkpointed;
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  close(): void {
    this.db.close();
  }

  /** Recounts series, then studies, then patients; deletes the ones left empty. */
  private refresh(series: Array<number | undefined>, studies: Array<number | undefined>, patients: Array<number | undefined>): void {
    const s = this.stmts;
    const levels = [
      [series, s.countSeries, s.deleteSeries, s.updateSeries],
      [studies, s.countStudy, s.deleteStudy, s.updateStudy],
      [patients, s.countPatient, s.deletePatient, s.updatePatient],
    ] as const;
    for (const [ids, count, del, update] of levels) {
      for (const id of new Set(ids)) {
        if (id === undefined) continue;
        if ((count.get(id) as { n: number }).n === 0) del.run(id);
        else update.run({ id });
      }
    }
  }
}

interface Fks { seriesFk: number; studyFk: number; patientFk: number }

/** The row's patient, study and series attributes: a known parent is reused only when all are equal. */
const PARENT_FIELDS = [
  'specificCharacterSet', 'patientName', 'patientNameFull', 'patientNameNorm', 'patientId', 'patientBirthDate', 'patientSex',
  'studyInstanceUid', 'studyDate', 'studyTime', 'studyDescription', 'accessionNumber', 'referringPhysicianName',
  'referringPhysicianNameFull', 'studyId', 'seriesInstanceUid', 'seriesNumber', 'modality', 'seriesDescription',
] as const satisfies ReadonlyArray<keyof InstanceRow>;
/** Compile-time check: every row field is a parent field or one of the instance's own. */
type InstanceOwnField = 'sopInstanceUid' | 'sopClassUid' | 'instanceNumber' | 'rows' | 'columns' | 'numberOfFrames'
  | 'transferSyntaxUid' | 'size' | 'dataSetOffset' | 'path' | 'callingAe' | 'calledAe' | 'receivedAt';
const everyFieldClassified: Exclude<keyof InstanceRow, (typeof PARENT_FIELDS)[number] | InstanceOwnField> extends never ? true : never = true;
void everyFieldClassified;

/**
 * The parent attributes of a row as one string: equal strings, equal parents. Each value
 * is tagged with its type and length-prefixed, so no value can imitate a boundary.
 * (JSON of the sorted entries was ~8 µs of a small instance's C-STORE.)
 */
function parentSignature(row: InstanceRow): string {
  let sig = '';
  for (const k of PARENT_FIELDS) {
    const v = row[k];
    const text = v === null ? 'n' : v === undefined ? 'u' : (typeof v)[0] + String(v);
    sig += `${text.length}:${text}`;
  }
  return sig;
}

/** The instance statement's parameters, in its column order (positional binding). */
function instanceParams(row: InstanceRow, seriesFk: number): unknown[] {
  return [row.sopInstanceUid, seriesFk, row.sopClassUid, row.instanceNumber, row.rows, row.columns, row.numberOfFrames,
    row.specificCharacterSet, row.transferSyntaxUid, row.size, row.dataSetOffset, row.path, row.callingAe, row.calledAe, row.receivedAt];
}

function normName(name: string | null): string | null {
  return name === null ? null : name.replace(/[\^ ]+$/, '').toUpperCase() || null;
}

function prepare(db: SqliteDb) {
  return {
    upsertPatient: db.prepare(UPSERT_PATIENT),
    upsertStudy: db.prepare(UPSERT_STUDY),
    upsertSeries: db.prepare(UPSERT_SERIES),
    upsertInstance: db.prepare(UPSERT_INSTANCE),
    insertNewInstance: db.prepare(INSERT_NEW_INSTANCE),
    selectInstance: db.prepare(SELECT_INSTANCE),
    hasInstance: db.prepare('SELECT 1 AS found FROM instances WHERE sop_uid = ?'),
    instanceFks: db.prepare(`SELECT i.series_fk AS seriesFk, s.study_fk AS studyFk, st.patient_fk AS patientFk
      FROM instances i JOIN series s ON s.id = i.series_fk JOIN studies st ON st.id = s.study_fk WHERE i.sop_uid = ?`),
    seriesStudy: db.prepare('SELECT study_fk AS fk FROM series WHERE series_uid = ?'),
    studyPatient: db.prepare('SELECT patient_fk AS fk FROM studies WHERE study_uid = ?'),
    deleteInstance: db.prepare('DELETE FROM instances WHERE sop_uid = ?'),
    count: db.prepare('SELECT COUNT(*) AS n FROM instances'),
    pathsAfter: db.prepare('SELECT id, sop_uid AS sopUid, path FROM instances WHERE id > ? ORDER BY id LIMIT ?'),
    bumpSeries: db.prepare('UPDATE series SET num_instances = num_instances + 1, bytes = bytes + ?, updated_at = ? WHERE id = ?'),
    storedBytes: db.prepare('SELECT COALESCE(SUM(bytes), 0) AS n FROM series'),
    countSeries: db.prepare('SELECT COUNT(*) AS n FROM instances WHERE series_fk = ?'),
    countStudy: db.prepare('SELECT COUNT(*) AS n FROM series WHERE study_fk = ?'),
    countPatient: db.prepare('SELECT COUNT(*) AS n FROM studies WHERE patient_fk = ?'),
    deleteSeries: db.prepare('DELETE FROM series WHERE id = ?'),
    deleteStudy: db.prepare('DELETE FROM studies WHERE id = ?'),
    deletePatient: db.prepare('DELETE FROM patients WHERE id = ?'),
    updateSeries: db.prepare(`UPDATE series SET (num_instances, bytes) = (SELECT COUNT(*), COALESCE(SUM(size), 0) FROM instances WHERE series_fk = @id)
      WHERE id = @id`),
    updateStudy: db.prepare(`UPDATE studies SET
      num_series = (SELECT COUNT(*) FROM series WHERE study_fk = @id),
      modalities_in_study = (SELECT group_concat(m, '\\') FROM
        (SELECT DISTINCT modality AS m FROM series WHERE study_fk = @id AND modality IS NOT NULL ORDER BY m))
      WHERE id = @id`),
    updatePatient: db.prepare(`UPDATE patients SET
      num_studies = (SELECT COUNT(*) FROM studies WHERE patient_fk = @id),
      num_series = (SELECT COALESCE(SUM(num_series), 0) FROM studies WHERE patient_fk = @id)
      WHERE id = @id`),
  };
}

function migrate(db: SqliteDb): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new EdgeError('INDEX_SCHEMA_TOO_NEW', `index schema version ${version} is newer than this program (${SCHEMA_VERSION})`);
  }
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    if (version === 0) db.exec(SCHEMA_V1);
    for (let v = Math.max(version, 1) + 1; v <= SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
