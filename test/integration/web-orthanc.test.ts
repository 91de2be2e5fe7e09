/**
 * DICOMweb against an independent client: Orthanc's DICOMweb plugin with dicom-edge under
 * DicomWeb.Servers drives our QIDO-RS, WADO-RS (retrieve) and STOW-RS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { ADMIN, startWebAgent, storeStudy } from '../helpers/web';
import { startOrthanc } from '../helpers/peers';
import { makeStudy } from '../helpers/dicom-files';
import { tmpDir } from '../helpers/tmp';

const PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

test('Orthanc DICOMweb client: QIDO, retrieve and STOW through /dicom-web/servers/edge', { skip: !existsSync(PLUGIN) && 'orthanc-dicomweb not installed' }, async (t) => {
  const a = await startWebAgent(t);
  const s = await storeStudy(a, t, { count: 2, patientName: 'WEB^ORTHANC', patientId: 'WO-1', modality: 'CT' });
  const orthanc = await startOrthanc({
    t,
    extra: {
      Plugins: [PLUGIN],
      DicomWeb: { Enable: true, Root: '/dicom-web/', Servers: { edge: { Url: `${a.base}/dicom-web/`, Username: ADMIN.name, Password: ADMIN.password } } },
    },
  });
  // Orthanc parses our DICOM JSON and answers its own form ({ Group, Element, Name, vr, Value }).
  const studies = await orthanc.rest('/dicom-web/servers/edge/qido', { method: 'POST', body: { Uri: '/studies', Arguments: { PatientID: 'WO-1' } } }) as Record<string, { Name: string; Value: unknown }>[];
  assert.equal(studies.length, 1);
  assert.equal(studies[0]['0020000D'].Value, s.studyUid);
  assert.equal(studies[0]['00100020'].Name, 'PatientID');
  assert.equal(studies[0]['00100020'].Value, 'WO-1');
  const series = await orthanc.rest('/dicom-web/servers/edge/qido', { method: 'POST', body: { Uri: `/studies/${s.studyUid}/series` } }) as unknown[];
  assert.equal(series.length, 1);

  await orthanc.rest('/dicom-web/servers/edge/retrieve', { method: 'POST', body: { Resources: [{ Study: s.studyUid }] } });
  const inOrthanc = await orthanc.rest('/instances?expand') as { MainDicomTags: { SOPInstanceUID: string } }[];
  assert.deepEqual(new Set(inOrthanc.map((i) => i.MainDicomTags.SOPInstanceUID)), new Set(s.files.map((f) => f.sopInstanceUid)));

  // STOW: a study uploaded to Orthanc, pushed to us.
  const dir = await tmpDir('stow-o-', t);
  const other = await makeStudy(dir, { count: 2, patientId: 'WO-2' });
  const ids: string[] = [];
  for (const f of other.files) ids.push((await orthanc.rest('/instances', { method: 'POST', body: readFileSync(f.path) }) as { ParentStudy: string }).ParentStudy);
  await orthanc.rest('/dicom-web/servers/edge/stow', { method: 'POST', body: { Resources: [ids[0]] } });
  for (const f of other.files) assert.ok(a.agent.index.getInstance(f.sopInstanceUid), `${f.sopInstanceUid} stored through STOW-RS`);
});
