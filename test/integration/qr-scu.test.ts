/**
 * Our Q/R SCU (`dicom-edge find|move|get`) against real SCPs: Orthanc (Patient Root and
 * Study Root; Orthanc 1.10 has no Patient/Study Only) and DCMTK dcmqrscp (all three models;
 * it pads returned UIDs with a trailing space, which must not reach our output).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDcmqrscp, startOrthanc, type Dcmqrscp, type Orthanc } from '../helpers/peers';
import { runCli, startAgent, testIni, type InProcessAgent } from '../helpers/agent';
import { tmpDir } from '../helpers/tmp';
import { makeStudy, type Study } from '../helpers/dicom-files';
import { readPart10Meta } from '../../src/dicom/part10-reader';

let agent: InProcessAgent;
let orthanc: Orthanc;
let qr: Dcmqrscp;
let ct: Study; // PID-A, 2 series, 4 images
let mr: Study; // PID-B, 1 series, 3 images

before(async () => {
  const src = await tmpDir('qrscu-src-');
  ct = await makeStudy(join(src, 'ct'), { count: 4, series: 2, patientName: 'ALPHA^ONE', patientId: 'PID-A', modality: 'CT', rows: 8, cols: 8 });
  mr = await makeStudy(join(src, 'mr'), { count: 3, patientName: 'BETA^TWO', patientId: 'PID-B', modality: 'MR', rows: 8, cols: 8 });
  // The agent receives C-MOVEs from both peers ([RemoteAE] entries make them acceptable callers).
  agent = await startAgent((port, dir) => testIni({
    port, dataDir: dir, sections: { Server: ['scuscp = storage'] },
    tail: '[RemoteAE]\naetitle = ORTHANC\nip = 127.0.0.1\nport = 1\n\n[RemoteAE]\naetitle = QRSCP\nip = 127.0.0.1\nport = 1\n',
  }));
  orthanc = await startOrthanc({ aet: 'ORTHANC', modalities: { edge: ['EDGE', '127.0.0.1', agent.port], cli: ['EDGECLI', '127.0.0.1', 1] } });
  for (const f of [...ct.files, ...mr.files]) await orthanc.rest('/instances', { method: 'POST', body: readFileSync(f.path) });
  qr = await startDcmqrscp({ aet: 'QRSCP', hosts: { edge: ['EDGE', '127.0.0.1', agent.port], cli: ['EDGECLI', '127.0.0.1', 1] } });
  await qr.index([...ct.files, ...mr.files].map((f) => f.path));
});

async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli([args[0], '-aet', 'EDGECLI', ...args.slice(1)], { timeoutMs: 60000 });
}

function json<T>(r: { stdout: string; stderr: string }): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON:\n${r.stdout}\n${r.stderr}`);
  }
}

type Row = Record<string, string>;

async function findJson(port: number, aec: string, model: string, keys: string[]): Promise<Row[]> {
  const r = await cli(['find', model, '-aec', aec, '--json', '127.0.0.1', String(port), ...keys.flatMap((k) => ['-k', k])]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return json<Row[]>(r);
}

function storedSops(): string[] {
  return (agent.agent.index.db.prepare('SELECT sop_uid FROM instances').all() as { sop_uid: string }[]).map((r) => r.sop_uid).sort();
}

const peers = (): [string, number, string, string[]][] => [
  ['Orthanc', orthanc.dicomPort, 'ORTHANC', ['-P', '-S']],
  ['dcmqrscp', qr.port, 'QRSCP', ['-P', '-S', '-O']],
];

test('find against Orthanc and dcmqrscp: every model at PATIENT/STUDY (and SERIES/IMAGE where the model has them)', async () => {
  for (const [name, port, aec, models] of peers()) {
    for (const model of models) {
      if (model !== '-S') {
        const pat = await findJson(port, aec, model, ['QueryRetrieveLevel=PATIENT', 'PatientID=PID-A', 'PatientName']);
        assert.deepEqual(pat.map((r) => r.PatientName), ['ALPHA^ONE'], `${name} ${model} PATIENT`);
      }
      const studies = await findJson(port, aec, model, ['QueryRetrieveLevel=STUDY', 'PatientID=PID-B', 'StudyInstanceUID', 'PatientName']);
      assert.deepEqual(studies.map((r) => r.StudyInstanceUID), [mr.studyUid], `${name} ${model} STUDY (UIDs without padding)`);
    }
    const series = await findJson(port, aec, '-S', ['QueryRetrieveLevel=SERIES', `StudyInstanceUID=${ct.studyUid}`, 'SeriesInstanceUID', 'Modality']);
    assert.deepEqual(series.map((r) => r.SeriesInstanceUID).sort(), [...ct.seriesUids].sort(), `${name} SERIES`);
    const images = await findJson(port, aec, '-P', ['QueryRetrieveLevel=IMAGE', 'PatientID=PID-A', `StudyInstanceUID=${ct.studyUid}`, `SeriesInstanceUID=${ct.seriesUids[0]}`, 'SOPInstanceUID']);
    assert.deepEqual(images.map((r) => r.SOPInstanceUID).sort(), ct.files.filter((f) => f.seriesUid === ct.seriesUids[0]).map((f) => f.sopInstanceUid).sort(), `${name} IMAGE`);
    const wild = await findJson(port, aec, '-S', ['QueryRetrieveLevel=STUDY', 'PatientName=BETA*', 'StudyInstanceUID']);
    assert.equal(wild.length, 1, `${name} wildcard`);
  }
});

test('find prints a readable table by default', async () => {
  const r = await cli(['find', '-S', '-aec', 'QRSCP', '127.0.0.1', String(qr.port), '-k', 'QueryRetrieveLevel=STUDY', '-k', 'PatientID=PID-A', '-k', 'PatientName']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /QueryRetrieveLevel\s+PatientName\s+PatientID/);
  assert.match(lines[1], /STUDY\s+ALPHA\^ONE\s+PID-A/);
  assert.match(lines[2], /C-FIND Study Root: 1 match\(es\); status 0000 Success/);
});

interface Retrieved { status: number; completed: number; failed: number; warning: number; failedUids: string[] }

test('move from Orthanc and dcmqrscp to the agent in every model', async () => {
  const cases: [string, string[], Study][] = [
    ['-P', ['QueryRetrieveLevel=PATIENT', 'PatientID=PID-B'], mr],
    ['-S', ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${ct.studyUid}`], ct],
    ['-O', ['QueryRetrieveLevel=STUDY', 'PatientID=PID-B', `StudyInstanceUID=${mr.studyUid}`], mr],
  ];
  for (const [name, port, aec, models] of peers()) {
    for (const [model, keys, study] of cases) {
      if (!models.includes(model)) continue;
      agent.agent.index.db.exec('DELETE FROM instances');
      const r = await cli(['move', model, '-aec', aec, '--dest', 'EDGE', '--json', '127.0.0.1', String(port), ...keys.flatMap((k) => ['-k', k])]);
      const out = json<Retrieved>(r);
      assert.equal(out.status, 0, `${name} ${model}: ${r.stdout}${r.stderr}`);
      assert.equal(out.completed, study.files.length);
      assert.deepEqual(storedSops(), study.files.map((f) => f.sopInstanceUid).sort(), `${name} ${model}`);
    }
  }
});

test('get from Orthanc and dcmqrscp into a folder in every model (SCP role for storage classes)', async () => {
  for (const [name, port, aec, models] of peers()) {
    for (const model of models) {
      const dir = await tmpDir('get-');
      const keys = model === '-S' ? ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${ct.studyUid}`] : ['QueryRetrieveLevel=PATIENT', 'PatientID=PID-A'];
      const r = await cli(['get', model, '-aec', aec, '-od', dir, '127.0.0.1', String(port), ...keys.flatMap((k) => ['-k', k])]);
      assert.equal(r.code, 0, `${name} ${model}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /4 completed, 0 warning, 0 failed; status 0000/);
      const files = readdirSync(dir).sort();
      assert.deepEqual(files, ct.files.map((f) => `${f.sopInstanceUid}.dcm`).sort(), `${name} ${model}`);
      const meta = readPart10Meta(readFileSync(join(dir, files[0])));
      assert.equal(meta.sopInstanceUid, files[0].replace(/\.dcm$/, ''));
    }
  }
});

test('move to a destination the peer does not know: A801, exit 1', async () => {
  const r = await cli(['move', '-S', '-aec', 'QRSCP', '--dest', 'NOBODY', '127.0.0.1', String(qr.port), '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${ct.studyUid}`]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /status A801/);
});
