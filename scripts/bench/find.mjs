#!/usr/bin/env node
// Study-level C-FIND benchmark over a generated index of 100,000 instances
// (1,000 patients × 2 studies × 5 series × 10 instances), through QueryEngine.
// Not a test: prints median and p95 per query (target < 50 ms) and the index size.
//   node scripts/bench/find.mjs [--patients N] [--runs N]
import { build } from 'esbuild';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const PATIENTS = arg('--patients', 1000);
const STUDIES = 2, SERIES = 5, INSTANCES = 10;
const RUNS = arg('--runs', 50);

const dir = mkdtempSync(join(tmpdir(), 'bench-find-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// Bundle the engine on the fly (native and dictionary packages stay external).
// Written under dist/ so that better-sqlite3 and dcmjs resolve from node_modules.
const bundle = join(process.cwd(), 'dist', 'bench', 'find-engine.cjs');
await build({
  stdin: {
    contents: "export { IndexDb } from './src/store/index-db'; export { QueryEngine } from './src/store/query'; export { identifierFromKeys } from './src/dicom/identifier';",
    resolveDir: process.cwd(), loader: 'ts',
  },
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: bundle,
  external: ['better-sqlite3', 'dcmjs'], logLevel: 'warning',
});
const require = createRequire(join(process.cwd(), 'package.json'));
const { IndexDb, QueryEngine, identifierFromKeys } = require(bundle);

const FAMILY = ['SMITH', 'JONES', 'MÜLLER', 'GARCIA', 'BROWN', 'MARTIN', 'ROSSI', 'NOVAK', 'KOWALSKI', 'DUBOIS',
  'TANAKA', 'WANG', 'SILVA', 'IVANOV', 'HANSEN', 'MEYER', 'NGUYEN', 'LOPEZ', 'KIM', 'WILSON'];
const GIVEN = ['ANNA', 'JOHN', 'MARIA', 'PETER', 'LENA', 'OMAR', 'SARA', 'LUCA', 'EVA', 'TOM', 'NINA', 'PAUL', 'ZOE'];
const MODS = ['CT', 'MR', 'CR', 'US', 'SR'];

/** Rows are written straight into the tables (no per-row recount), then the counts in bulk. */
function generate(path) {
  const t0 = performance.now();
  const index = IndexDb.open(path);
  const db = index.db;
  const now = '2026-01-01T00:00:00.000Z';
  const insP = db.prepare(`INSERT INTO patients (patient_id, patient_name, patient_name_norm, patient_name_full, patient_birth_date, patient_sex, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const insS = db.prepare(`INSERT INTO studies (study_uid, patient_fk, study_date, study_time, study_description, accession_number,
    referring_physician_name, referring_physician_name_norm, referring_physician_name_full, study_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insSe = db.prepare('INSERT INTO series (series_uid, study_fk, modality, series_number, series_description, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
  const insI = db.prepare(`INSERT INTO instances (sop_uid, series_fk, sop_class_uid, instance_number, rows, columns, transfer_syntax, size, data_set_offset, path, received_at)
    VALUES (?, ?, ?, ?, 512, 512, '1.2.840.10008.1.2.1', 524288, 330, ?, ?)`);
  db.transaction(() => {
    for (let p = 0; p < PATIENTS; p++) {
      const name = `${FAMILY[p % FAMILY.length]}^${GIVEN[(p * 7) % GIVEN.length]}`;
      const pfk = insP.run(`PID${String(p).padStart(6, '0')}`, name, name, name, `19${String(40 + (p % 60)).padStart(2, '0')}0101`, p % 2 ? 'F' : 'M', now).lastInsertRowid;
      for (let s = 0; s < STUDIES; s++) {
        const n = p * STUDIES + s;
        const date = new Date(Date.UTC(2024, 0, 1) + (n % 730) * 86400000).toISOString().slice(0, 10).replace(/-/g, '');
        const sfk = insS.run(`2.25.1.${n}`, pfk, date, `${String(8 + (n % 10)).padStart(2, '0')}3000`, `Study ${n}`, `ACC${String(n).padStart(6, '0')}`,
          'HOUSE^GREGORY', 'HOUSE^GREGORY', 'HOUSE^GREGORY', String(n), now).lastInsertRowid;
        for (let se = 0; se < SERIES; se++) {
          const sefk = insSe.run(`2.25.1.${n}.${se}`, sfk, MODS[(n + se) % MODS.length], se + 1, `Series ${se}`, now).lastInsertRowid;
          for (let i = 0; i < INSTANCES; i++) {
            const uid = `2.25.1.${n}.${se}.${i}`;
            insI.run(uid, sefk, '1.2.840.10008.5.1.4.1.1.2', i + 1, `instances/${uid}.dcm`, now);
          }
        }
      }
    }
    db.exec(`UPDATE series SET num_instances = (SELECT COUNT(*) FROM instances WHERE series_fk = series.id);
      UPDATE studies SET num_series = (SELECT COUNT(*) FROM series WHERE study_fk = studies.id),
        num_instances = (SELECT SUM(num_instances) FROM series WHERE study_fk = studies.id),
        modalities_in_study = (SELECT group_concat(m, '\\') FROM (SELECT DISTINCT modality AS m FROM series WHERE study_fk = studies.id ORDER BY m));
      UPDATE patients SET num_studies = (SELECT COUNT(*) FROM studies WHERE patient_fk = patients.id),
        num_series = (SELECT SUM(num_series) FROM studies WHERE patient_fk = patients.id),
        num_instances = (SELECT SUM(num_instances) FROM studies WHERE patient_fk = patients.id);`);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  console.log(`generated ${index.countInstances()} instances in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return index;
}

const RETURN_KEYS = ['PatientName', 'PatientID', 'PatientBirthDate', 'StudyDate', 'StudyTime', 'AccessionNumber', 'StudyDescription',
  'ModalitiesInStudy', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances'];
const QUERIES = [
  ['patient name wildcard SMITH*', ['PatientName=smith*']],
  ['patient name wildcard *ANNA*', ['PatientName=*ANNA*']],
  ['date range (one month)', ['StudyDate=20240101-20240131']],
  ['date range open end + modality', ['StudyDate=20251201-', 'ModalitiesInStudy=MR']],
  ['accession number', ['AccessionNumber=ACC001234']],
  ['study UID', ['StudyInstanceUID=2.25.1.1500']],
  ['UID list (5)', ['StudyInstanceUID=2.25.1.1\\2.25.1.10\\2.25.1.100\\2.25.1.1000\\2.25.1.1999']],
  ['all studies (universal)', []],
];

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const path = join(dir, 'index.sqlite');
const index = generate(path);
const size = statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
console.log(`index size ${(size / 1024 / 1024).toFixed(1)} MiB (${path})`);
const engine = new QueryEngine(index);
console.log(`study-level C-FIND, Study Root, ${RUNS} runs each, ${RETURN_KEYS.length} return keys:`);
let worst = 0;
for (const [name, keys] of QUERIES) {
  const id = () => identifierFromKeys(['QueryRetrieveLevel=STUDY', ...RETURN_KEYS, 'StudyInstanceUID', ...keys]);
  let matches = 0;
  for (let w = 0; w < 3; w++) matches = (await engine.findAll('study', id())).length; // warm-up
  const times = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await engine.findAll('study', id());
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const med = pct(times, 50), p95 = pct(times, 95);
  if (name !== 'all studies (universal)') worst = Math.max(worst, p95);
  console.log(`  ${name.padEnd(34)} ${String(matches).padStart(5)} matches  median ${med.toFixed(2).padStart(7)} ms  p95 ${p95.toFixed(2).padStart(7)} ms`);
}
console.log(`worst p95 of the selective queries: ${worst.toFixed(2)} ms (target < 50 ms) ${worst < 50 ? 'OK' : 'SLOW'}`);
index.close();
