/** An index row for tests (store, forward): every field set, `o` overrides. */
import type { InstanceRow } from '../../src/store/index-db';

let n = 0;
export function row(o: Partial<InstanceRow> = {}): InstanceRow {
  n++;
  return {
    specificCharacterSet: null, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: `1.2.3.${n}`,
    patientName: 'Doe^John', patientNameFull: 'Doe^John', patientNameNorm: 'DOE^JOHN', patientId: 'P1',
    patientBirthDate: '19700101', patientSex: 'M', studyInstanceUid: '1.2.9.1', studyDate: '20240101', studyTime: '120000',
    studyDescription: 'Chest', accessionNumber: 'A1', referringPhysicianName: 'House^Greg', referringPhysicianNameFull: 'House^Greg',
    studyId: 'S1', seriesInstanceUid: '1.2.9.1.1', seriesNumber: 1, modality: 'CT', seriesDescription: 'Axial',
    instanceNumber: n, numberOfFrames: null, rows: 512, columns: 512, transferSyntaxUid: '1.2.840.10008.1.2',
    size: 1000, dataSetOffset: 200, path: `instances/aa/bb/${n}.dcm`, callingAe: 'MOD', calledAe: 'EDGE', receivedAt: '2024-01-01T00:00:00.000Z',
    ...o,
  };
}
