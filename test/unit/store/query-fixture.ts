/**
 * A small index for the query tests: 4 patients, 5 studies, 7 series, 9 instances.
 *
 *  PID1 Doe^John       1.2.1 20260105 101500 A1 'Chest CT' House^Gregory  CT 1.2.1.1 (2 inst), MR 1.2.1.2 (1)
 *                      1.2.2 20251231 235900 A2 'Head'                     MR 1.2.2.1 (1)
 *  PID2 DOE^JANE       1.2.3 20260201 080000 A[3] 'Knee'                   CR 1.2.3.1 (1), CR 1.2.3.2 (1)
 *  PID3 Müller^Jürgen  1.2.4 (no date)         A4                          US 1.2.4.1 (1)
 *  PID4 Smith^Anna     1.2.5 20260110 120000 A5                            MR 1.2.5.1 (2)
 */
import { IndexDb, type InstanceRow } from '../../../src/store/index-db';
import { normalizePersonName } from '../../../src/store/charset';

export const CT_CLASS = '1.2.840.10008.5.1.4.1.1.2';
export const MR_CLASS = '1.2.840.10008.5.1.4.1.1.4';
export const CR_CLASS = '1.2.840.10008.5.1.4.1.1.1';
export const US_CLASS = '1.2.840.10008.5.1.4.1.1.6.1';

interface P { patientId: string; patientName: string; patientBirthDate: string | null; patientSex: string | null; specificCharacterSet?: string }
interface S { studyInstanceUid: string; studyDate: string | null; studyTime: string | null; accessionNumber: string; studyDescription: string | null; referringPhysicianName: string | null }
interface Se { seriesInstanceUid: string; modality: string; seriesNumber: number; seriesDescription: string; sopClassUid: string; instances: number }

const TREE: Array<[P, Array<[S, Se[]]>]> = [
  [{ patientId: 'PID1', patientName: 'Doe^John', patientBirthDate: '19700101', patientSex: 'M' }, [
    [{ studyInstanceUid: '1.2.1', studyDate: '20260105', studyTime: '101500', accessionNumber: 'A1', studyDescription: 'Chest CT', referringPhysicianName: 'House^Gregory' }, [
      { seriesInstanceUid: '1.2.1.1', modality: 'CT', seriesNumber: 1, seriesDescription: 'Axial', sopClassUid: CT_CLASS, instances: 2 },
      { seriesInstanceUid: '1.2.1.2', modality: 'MR', seriesNumber: 2, seriesDescription: 'Loc', sopClassUid: MR_CLASS, instances: 1 },
    ]],
    [{ studyInstanceUid: '1.2.2', studyDate: '20251231', studyTime: '235900', accessionNumber: 'A2', studyDescription: 'Head', referringPhysicianName: null }, [
      { seriesInstanceUid: '1.2.2.1', modality: 'MR', seriesNumber: 1, seriesDescription: 'T1', sopClassUid: MR_CLASS, instances: 1 },
    ]],
  ]],
  [{ patientId: 'PID2', patientName: 'DOE^JANE', patientBirthDate: '19800202', patientSex: 'F' }, [
    [{ studyInstanceUid: '1.2.3', studyDate: '20260201', studyTime: '080000', accessionNumber: 'A[3]', studyDescription: 'Knee', referringPhysicianName: 'house^james' }, [
      { seriesInstanceUid: '1.2.3.1', modality: 'CR', seriesNumber: 1, seriesDescription: 'AP', sopClassUid: CR_CLASS, instances: 1 },
      { seriesInstanceUid: '1.2.3.2', modality: 'CR', seriesNumber: 2, seriesDescription: 'LAT', sopClassUid: CR_CLASS, instances: 1 },
    ]],
  ]],
  [{ patientId: 'PID3', patientName: 'Müller^Jürgen', patientBirthDate: null, patientSex: null, specificCharacterSet: 'ISO_IR 192' }, [
    [{ studyInstanceUid: '1.2.4', studyDate: null, studyTime: null, accessionNumber: 'A4', studyDescription: 'Bauch', referringPhysicianName: null }, [
      { seriesInstanceUid: '1.2.4.1', modality: 'US', seriesNumber: 1, seriesDescription: 'Abd', sopClassUid: US_CLASS, instances: 1 },
    ]],
  ]],
  [{ patientId: 'PID4', patientName: 'Smith^Anna', patientBirthDate: '19900303', patientSex: 'F' }, [
    [{ studyInstanceUid: '1.2.5', studyDate: '20260110', studyTime: '120000', accessionNumber: 'A5', studyDescription: null, referringPhysicianName: null }, [
      { seriesInstanceUid: '1.2.5.1', modality: 'MR', seriesNumber: 7, seriesDescription: 'DWI', sopClassUid: MR_CLASS, instances: 2 },
    ]],
  ]],
];

/** The index row of instance `k` (1-based) of a series; path = `<sop uid>.dcm`. */
function rowOf(p: P, s: S, se: Se, k: number): InstanceRow {
  const sop = `${se.seriesInstanceUid}.${k}`;
  return {
    specificCharacterSet: p.specificCharacterSet ?? null, sopClassUid: se.sopClassUid, sopInstanceUid: sop,
    patientName: p.patientName, patientNameFull: p.patientName, patientNameNorm: normalizePersonName(p.patientName),
    patientId: p.patientId, patientBirthDate: p.patientBirthDate, patientSex: p.patientSex,
    studyInstanceUid: s.studyInstanceUid, studyDate: s.studyDate, studyTime: s.studyTime, studyDescription: s.studyDescription,
    accessionNumber: s.accessionNumber, referringPhysicianName: s.referringPhysicianName, referringPhysicianNameFull: s.referringPhysicianName,
    studyId: null, seriesInstanceUid: se.seriesInstanceUid, seriesNumber: se.seriesNumber, modality: se.modality,
    seriesDescription: se.seriesDescription, instanceNumber: k, numberOfFrames: null, rows: 256, columns: 256 + k,
    transferSyntaxUid: '1.2.840.10008.1.2.1', size: 1000, dataSetOffset: 0, path: `${sop}.dcm`,
    callingAe: 'MOD', calledAe: 'EDGE', receivedAt: '2026-01-01T00:00:00.000Z',
  };
}

export function fixtureRows(): InstanceRow[] {
  const rows: InstanceRow[] = [];
  for (const [p, studies] of TREE) {
    for (const [s, series] of studies) {
      for (const se of series) for (let k = 1; k <= se.instances; k++) rows.push(rowOf(p, s, se, k));
    }
  }
  return rows;
}

export function fixtureIndex(): IndexDb {
  const db = IndexDb.open(':memory:');
  for (const r of fixtureRows()) db.upsertInstance(r);
  return db;
}
