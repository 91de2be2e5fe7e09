import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/tmp';
import { IndexDb } from '../../../src/store/index-db';
import { SCHEMA_V1, SCHEMA_VERSION, patientInstancesSql, studyInstancesSql } from '../../../src/store/schema.sql';
import { row } from '../../helpers/index-row';

type Counts = { num_series: number; num_instances: number; modalities_in_study: string | null };
const study = (db: IndexDb, uid: string) => db.db.prepare(`SELECT *, ${studyInstancesSql('studies')} AS num_instances FROM studies WHERE study_uid = ?`).get(uid) as Counts | undefined;
const tableCount = (db: IndexDb, t: string) => (db.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;

test('schema is versioned; WAL and synchronous=NORMAL (files are the durable truth; recovery re-indexes) on a file database', async (t) => {
  const dir = await tmpDir('idx-', t);
  const db = IndexDb.open(join(dir, 'sub', 'index.sqlite'));
  assert.equal(db.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.db.pragma('synchronous', { simple: true }), 1);
  db.upsertInstance(row({ sopInstanceUid: '9.9' }));
  db.close();
  const again = IndexDb.open(join(dir, 'sub', 'index.sqlite'));
  assert.equal(again.countInstances(), 1, 'reopening keeps data and does not re-create the schema');
  assert.deepEqual(again.integrityCheck(), []);
  again.db.pragma('user_version = 99');
  again.close();
  assert.throws(() => IndexDb.open(join(dir, 'sub', 'index.sqlite')), /INDEX_SCHEMA_TOO_NEW|newer/);
});

test('a version 1 index is migrated in place: rows kept, study/patient instance counts now derived from the series', async (t) => {
  const dir = await tmpDir('idx-v1-', t);
  const file = join(dir, 'index.sqlite');
  const Database = (await import('better-sqlite3')).default;
  const old = new Database(file);
  old.exec(SCHEMA_V1);
  old.exec(`INSERT INTO patients (id, patient_id, num_studies, num_series, num_instances, updated_at) VALUES (1, 'P1', 1, 1, 2, 'x');
    INSERT INTO studies (id, study_uid, patient_fk, num_series, num_instances, updated_at) VALUES (1, '1.2.9.1', 1, 1, 2, 'x');
    INSERT INTO series (id, series_uid, study_fk, modality, num_instances, updated_at) VALUES (1, '1.2.9.1.1', 1, 'CT', 2, 'x');
    INSERT INTO instances (sop_uid, series_fk, sop_class_uid, transfer_syntax, size, data_set_offset, path, received_at)
      VALUES ('1.1', 1, '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.1.2', 10, 0, 'instances/aa/a.dcm', 'x'),
             ('1.2', 1, '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.1.2', 10, 0, 'instances/aa/b.dcm', 'x');`);
  old.pragma('user_version = 1');
  old.close();
  const db = IndexDb.open(file);
  assert.equal(db.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.countInstances(), 2);
  const cols = (table: string) => (db.db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
  assert.ok(!cols('studies').includes('num_instances') && !cols('patients').includes('num_instances'), 'the stored counts are gone');
  assert.equal(study(db, '1.2.9.1')?.num_instances, 2);
  assert.equal(db.storedBytes(), 20, 'version 3: the series byte sums are computed from the rows');
  db.upsertInstance(row({ sopInstanceUid: '1.3', patientId: 'P1', studyInstanceUid: '1.2.9.1', seriesInstanceUid: '1.2.9.1.1', modality: 'CT' }));
  assert.equal(study(db, '1.2.9.1')?.num_instances, 3);
  assert.equal(db.storedBytes(), 1020);
  assert.deepEqual(db.integrityCheck(), []);
  db.close();
});

test('patient, study, series and instance rows with counts and ModalitiesInStudy', () => {
  const db = IndexDb.open(':memory:');
  db.upsertInstance(row({ sopInstanceUid: '1.1' }));
  db.upsertInstance(row({ sopInstanceUid: '1.2' }));
  db.upsertInstance(row({ sopInstanceUid: '1.3', seriesInstanceUid: '1.2.9.1.2', modality: 'SR' }));
  db.upsertInstance(row({ sopInstanceUid: '1.4', seriesInstanceUid: '1.2.9.1.3', modality: 'CT' }));
  assert.equal(db.countInstances(), 4);
  assert.deepEqual({ ...study(db, '1.2.9.1') } as Counts, { ...study(db, '1.2.9.1'), num_series: 3, num_instances: 4, modalities_in_study: 'CT\\SR' });
  const p = db.db.prepare(`SELECT *, ${patientInstancesSql('patients')} AS num_instances FROM patients`).get() as Record<string, unknown>;
  assert.equal(p.num_studies, 1);
  assert.equal(p.num_instances, 4);
  assert.equal(p.patient_name_norm, 'DOE^JOHN');
  const got = db.getInstance('1.3')!;
  assert.equal(got.series_uid, '1.2.9.1.2');
  assert.equal(got.study_uid, '1.2.9.1');
  assert.equal(got.patient_id, 'P1');
  assert.equal(got.modality, 'SR');
  assert.equal(got.calling_ae, 'MOD');
  assert.equal(got.data_set_offset, 200);
  db.close();
});

test('overwrite that moves an instance to another series/study cleans up the empty ones', () => {
  const db = IndexDb.open(':memory:');
  db.upsertInstance(row({ sopInstanceUid: '2.1' }));
  db.upsertInstance(row({ sopInstanceUid: '2.1', studyInstanceUid: '1.2.9.2', seriesInstanceUid: '1.2.9.2.1', modality: 'MR', patientId: 'P2' }));
  assert.equal(db.countInstances(), 1);
  assert.equal(study(db, '1.2.9.1'), undefined, 'old study removed');
  assert.equal(tableCount(db, 'series'), 1);
  assert.equal(tableCount(db, 'patients'), 1, 'old patient removed');
  assert.equal(study(db, '1.2.9.2')!.modalities_in_study, 'MR');
  db.close();
});

test('deleteInstance removes empty parents and recounts the rest', () => {
  const db = IndexDb.open(':memory:');
  db.upsertInstance(row({ sopInstanceUid: '3.1' }));
  db.upsertInstance(row({ sopInstanceUid: '3.2', seriesInstanceUid: '1.2.9.1.7', modality: 'PR' }));
  assert.equal(study(db, '1.2.9.1')!.modalities_in_study, 'CT\\PR');
  assert.equal(db.deleteInstance('3.2'), true);
  assert.equal(db.deleteInstance('3.2'), false);
  assert.deepEqual([study(db, '1.2.9.1')!.num_series, study(db, '1.2.9.1')!.modalities_in_study], [1, 'CT']);
  db.deleteInstance('3.1');
  assert.deepEqual([tableCount(db, 'patients'), tableCount(db, 'studies'), tableCount(db, 'series')], [0, 0, 0]);
  db.close();
});

test('storedBytes is the sum of every instance size through new, known-parent, replaced, moved and deleted instances', () => {
  const db = IndexDb.open(':memory:');
  const sum = () => (db.db.prepare('SELECT COALESCE(SUM(size), 0) AS n FROM instances').get() as { n: number }).n;
  const steps: Array<() => unknown> = [
    () => db.upsertInstance(row({ sopInstanceUid: '5.1', size: 700 })), // new parents (full upsert)
    () => db.upsertInstance(row({ sopInstanceUid: '5.2', size: 300 })), // known parents (fast path)
    () => db.upsertInstance(row({ sopInstanceUid: '5.3', size: 50, seriesInstanceUid: '1.2.9.1.8' })),
    () => db.upsertInstance(row({ sopInstanceUid: '5.2', size: 4000 })), // replaced, bigger
    () => db.upsertInstance(row({ sopInstanceUid: '5.1', size: 10, seriesInstanceUid: '1.2.9.1.8' })), // moved to the other series
    () => db.deleteInstance('5.3'),
  ];
  const seen: number[] = [];
  for (const step of steps) {
    step();
    assert.equal(db.storedBytes(), sum());
    seen.push(db.storedBytes());
  }
  assert.deepEqual(seen, [700, 1000, 1050, 4750, 4060, 4010]);
  db.close();
});

test('later instances do not erase study attributes they lack; transaction() rolls back', () => {
  const db = IndexDb.open(':memory:');
  db.upsertInstance(row({ sopInstanceUid: '4.1', studyDescription: 'Head' }));
  db.upsertInstance(row({ sopInstanceUid: '4.2', studyDescription: null }));
  assert.equal((db.db.prepare('SELECT study_description AS d FROM studies').get() as { d: string }).d, 'Head');
  assert.throws(() => db.transaction(() => {
    db.upsertInstance(row({ sopInstanceUid: '4.3' }));
    throw new Error('boom');
  }), /boom/);
  assert.equal(db.getInstance('4.3'), undefined);
  assert.equal(db.countInstances(), 2);
  db.close();
});

test('instances without a Patient ID share the empty key', () => {
  const db = IndexDb.open(':memory:');
  db.upsertInstance(row({ sopInstanceUid: '5.1', patientId: null }));
  assert.equal(db.getInstance('5.1')!.patient_id, '');
  db.close();
});

test('a series received instance after instance: counts stay exact on the fast path, changed parents take the full path, a rollback forgets', () => {
  const db = IndexDb.open(':memory:');
  const recount = (): [number, number, number] => {
    const s = db.db.prepare("SELECT num_instances AS n FROM series WHERE series_uid = '1.2.9.7.1'").get() as { n: number };
    const st = db.db.prepare(`SELECT ${studyInstancesSql('studies')} AS n, num_series AS ns FROM studies WHERE study_uid = '1.2.9.7'`).get() as { n: number; ns: number };
    const p = db.db.prepare(`SELECT ${patientInstancesSql('patients')} AS n FROM patients WHERE patient_id = 'P7'`).get() as { n: number };
    return [s.n, st.n, p.n];
  };
  const base = { patientId: 'P7', studyInstanceUid: '1.2.9.7', seriesInstanceUid: '1.2.9.7.1' };
  for (let i = 0; i < 20; i++) db.upsertInstance(row(base));
  assert.deepEqual(recount(), [20, 20, 20]);
  // The same counts the full recount would give.
  const real = (db.db.prepare("SELECT COUNT(*) AS n FROM instances i JOIN series s ON i.series_fk = s.id WHERE s.series_uid = '1.2.9.7.1'").get() as { n: number }).n;
  assert.equal(real, 20);
  // An instance received again under the same parents (overwrite): one row, updated, not counted twice.
  db.upsertInstance(row({ ...base, sopInstanceUid: '1.2.9.7.1.500', size: 111 }));
  db.upsertInstance(row({ ...base, sopInstanceUid: '1.2.9.7.1.500', size: 222 }));
  assert.deepEqual(recount(), [21, 21, 21]);
  assert.equal((db.db.prepare("SELECT size FROM instances WHERE sop_uid = '1.2.9.7.1.500'").get() as { size: number }).size, 222);
  db.deleteInstance('1.2.9.7.1.500');
  assert.deepEqual(recount(), [20, 20, 20]);
  db.upsertInstance(row({ ...base, studyDescription: 'Changed' }));
  assert.equal((db.db.prepare("SELECT study_description AS d FROM studies WHERE study_uid = '1.2.9.7'").get() as { d: string }).d, 'Changed');
  assert.deepEqual(recount(), [21, 21, 21]);
  assert.throws(() => db.transaction(() => { db.upsertInstance(row({ ...base, seriesInstanceUid: '1.2.9.7.2' })); throw new Error('abort'); }));
  db.upsertInstance(row({ ...base, seriesInstanceUid: '1.2.9.7.2' }));
  db.upsertInstance(row({ ...base, seriesInstanceUid: '1.2.9.7.2' }));
  const s2 = db.db.prepare("SELECT num_instances AS n FROM series WHERE series_uid = '1.2.9.7.2'").get() as { n: number };
  assert.equal(s2.n, 2, 'the rolled-back series was not reused from memory');
  assert.deepEqual(recount().slice(1), [23, 23]);
  db.close();
});

test('another process writing the index meanwhile (dicom-edge queue, a second connection) never fails an indexing transaction', async (t) => {
  // A deferred transaction reads first; if another connection commits before its first write,
  // SQLite answers SQLITE_BUSY_SNAPSHOT at once (no busy wait) and the C-STORE would fail.
  // Write transactions therefore begin IMMEDIATE and wait on the busy handler instead.
  const dir = await tmpDir('idx-busy-', t);
  const path = join(dir, 'index.sqlite');
  const db = IndexDb.open(path);
  db.db.exec('CREATE TABLE noise (x INTEGER)');
  const writer = `
    const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
    const db = new Database(${JSON.stringify(path)});
    db.pragma('busy_timeout = 5000');
    const put = db.prepare('INSERT INTO noise (x) VALUES (?)');
    const write = db.transaction((i) => put.run(i));
    process.stdout.write('ready\\n');
    const end = Date.now() + 20000;
    for (let i = 0; i < 200000 && Date.now() < end && !require('node:fs').existsSync(${JSON.stringify(join(dir, 'stop'))}); i++) write.immediate(i);
  `;
  const child = spawn(process.execPath, ['-e', writer], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  t.after(() => { if (child.exitCode === null) child.kill(); });
  await new Promise((r) => child.stdout.once('data', r));
  const failures: string[] = [];
  for (let i = 0; i < 1500; i++) {
    // Every fourth instance starts a new series: the full upsert (reads, then writes) runs too.
    try {
      db.upsertInstance(row({ sopInstanceUid: `7.7.${i}`, seriesInstanceUid: `7.7.0.${i >> 2}` }));
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  writeFileSync(join(dir, 'stop'), '');
  await exited;
  const noise = (db.db.prepare('SELECT COUNT(*) AS n FROM noise').get() as { n: number }).n;
  assert.ok(noise > 0, 'the other process did write meanwhile');
  assert.deepEqual(failures.slice(0, 3), [], `${failures.length} indexing transaction(s) failed`);
  assert.equal(db.countInstances(), 1500);
  db.close();
});

test('checkpointAll(): the whole log goes into the database file (true), not while another connection reads an older snapshot (false)', async (t) => {
  const dir = await tmpDir('idx-ckpt-', t);
  const path = join(dir, 'index.sqlite');
  const db = IndexDb.open(path);
  t.after(() => db.close());
  db.upsertInstance(row({ sopInstanceUid: '9.1' }));
  assert.ok(statSync(`${path}-wal`).size > 0, 'the commit is in the log');
  assert.equal(db.checkpointAll(0), true);
  assert.equal(statSync(`${path}-wal`).size, 0, 'log copied and truncated');
  const reader = IndexDb.open(path);
  t.after(() => reader.close());
  reader.db.prepare('BEGIN').run();
  reader.countInstances(); // holds a read snapshot
  db.upsertInstance(row({ sopInstanceUid: '9.2' }));
  assert.equal(db.checkpointAll(0), false, 'a reader keeps the log from being truncated');
  assert.equal(db.db.pragma('busy_timeout', { simple: true }), 5000, 'busy timeout restored');
  reader.db.prepare('COMMIT').run();
  assert.equal(db.checkpointAll(0), true);
});
