import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeStudy } from '../../helpers/dicom-files';
import { runDcmtk, startDcmqrscp, startOrthanc, startStorescp, startWlmscpfs, worklistDump } from '../../helpers/peers';
import { canConnect, freePort, listenAddresses } from '../../helpers/ports';
import { tmpDir } from '../../helpers/tmp';

const listFiles = (dir: string): string[] => fs.readdirSync(dir).filter((f) => !f.startsWith('.'));

test('storescp receives what storescu sends, and stop() closes its port', async (t) => {
  const src = await tmpDir('peers-src', t);
  const study = await makeStudy(src, { count: 3, rows: 8, cols: 8 });
  const dir = await tmpDir('peers-storescp', t);
  const scp = await startStorescp({ aet: 'STORESCP', dir, t });
  const r = await runDcmtk('storescu', ['-v', '-aet', 'ME', '-aec', 'STORESCP', '127.0.0.1', String(scp.port), '+sd', src]);
  assert.equal(r.code, 0, r.stdout + r.stderr + scp.output());
  assert.equal(r.stdout.concat(r.stderr).match(/Received Store Response \(Success\)/g)?.length, 3);
  assert.equal(listFiles(dir).length, 3);
  assert.ok(study.files.length === 3);
  await scp.stop();
  assert.equal(await canConnect(scp.port), false);
});

test('runDcmtk reports a non-zero exit and kills a tool that outlives its timeout', async () => {
  const bad = await runDcmtk('dcmdump', ['/nonexistent/file.dcm']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr + bad.stdout, /nonexistent/);
  const port = await freePort();
  const hung = await runDcmtk('storescp', [String(port)], { timeoutMs: 500 });
  assert.equal(hung.timedOut, true);
  assert.equal(hung.code, null);
  assert.equal(hung.signal, 'SIGKILL');
});

test('startStorescp reports the peer output when the tool cannot start', async (t) => {
  await assert.rejects(startStorescp({ dir: await tmpDir('peers-bad', t), args: ['--no-such-option'], t }), /storescp exited/);
});

test('Orthanc: ready, stores, survives restart, pushes to a configured modality', async (t) => {
  const destDir = await tmpDir('peers-dest', t);
  const dest = await startStorescp({ aet: 'DEST', dir: destDir, t });
  const orthanc = await startOrthanc({ aet: 'ORTHANC', modalities: { dest: ['DEST', '127.0.0.1', dest.port] }, t });
  const system = await orthanc.rest('/system');
  assert.equal(system.DicomAet, 'ORTHANC');
  assert.equal(system.DicomPort, orthanc.dicomPort);
  assert.deepEqual(listenAddresses(orthanc.dicomPort), [`127.0.0.1:${orthanc.dicomPort}`]);
  assert.deepEqual(listenAddresses(orthanc.httpPort), [`127.0.0.1:${orthanc.httpPort}`]);

  const src = await tmpDir('peers-src', t);
  await makeStudy(src, { count: 2, rows: 8, cols: 8, syntax: 'implicit' });
  const r = await runDcmtk('storescu', ['-aet', 'ME', '-aec', 'ORTHANC', '127.0.0.1', String(orthanc.dicomPort), '+sd', src]);
  assert.equal(r.code, 0, r.stdout + r.stderr + orthanc.output());
  assert.equal((await orthanc.rest('/statistics')).CountInstances, 2);

  await orthanc.restart();
  const instances: string[] = await orthanc.rest('/instances');
  assert.equal(instances.length, 2);

  const job = await orthanc.rest('/modalities/dest/store', { method: 'POST', body: { Resources: instances, Synchronous: true } });
  assert.equal(job.InstancesCount, 2);
  assert.equal(listFiles(destDir).length, 2);
  await assert.rejects(orthanc.rest('/no-such-route'), /HTTP 404/);
});

test('dcmqrscp: stores via C-STORE and answers a study-level C-FIND', async (t) => {
  const qr = await startDcmqrscp({ aet: 'QRSCP', hosts: { me: ['ME', '127.0.0.1', 1] }, t });
  const src = await tmpDir('peers-src', t);
  const study = await makeStudy(src, { count: 2, rows: 8, cols: 8, patientId: 'QRPID' });
  const s = await runDcmtk('storescu', ['-aet', 'ME', '-aec', 'QRSCP', '127.0.0.1', String(qr.port), '+sd', src]);
  assert.equal(s.code, 0, s.stdout + s.stderr + qr.output());
  const f = await runDcmtk('findscu', ['-v', '-S', '-aet', 'ME', '-aec', 'QRSCP', '127.0.0.1', String(qr.port),
    '-k', 'QueryRetrieveLevel=STUDY', '-k', 'PatientID=QRPID', '-k', 'StudyInstanceUID']);
  assert.equal(f.code, 0, f.stdout + f.stderr + qr.output());
  const out = f.stdout + f.stderr;
  assert.equal(out.match(/Find Response: \d+ \(Pending\)/g)?.length, 1, out);
  assert.ok(out.includes(study.studyUid), out);
});

test('wlmscpfs: serves an item written with addItem', async (t) => {
  const wl = await startWlmscpfs({ aets: ['WLM'], t });
  await wl.addItem('WLM', 'item1', worklistDump({ patientName: 'WORK^LIST', patientId: 'WL001', modality: 'CT' }));
  await wl.addItem('WLM', 'item2', worklistDump({ patientName: 'OTHER^ONE', patientId: 'WL002', modality: 'MR' }));
  const f = await runDcmtk('findscu', ['-v', '-W', '-aet', 'ME', '-aec', 'WLM', '127.0.0.1', String(wl.port),
    '-k', 'ScheduledProcedureStepSequence[0].Modality=CT', '-k', 'PatientName', '-k', 'PatientID']);
  const out = f.stdout + f.stderr;
  assert.equal(f.code, 0, out + wl.output());
  assert.equal(out.match(/Find Response: \d+ \(Pending\)/g)?.length, 1, out);
  assert.match(out, /WORK\^LIST/);
  assert.ok(fs.existsSync(path.join(wl.dir, 'WLM', 'lockfile')));
});
