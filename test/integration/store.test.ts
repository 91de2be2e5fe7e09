/**
 * Storage with real peers: DCMTK storescu → our SCP in all three syntaxes (bytes kept as
 * received, private tags included), our store → DCMTK storescp and Orthanc in each
 * syntax (with conversion), dcmjs-dimse → our SCP, failure statuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDcmtk, startOrthanc, startStorescp } from '../helpers/peers';
import { runCli, startAgent, testIni, type InProcessAgent } from '../helpers/agent';
import { tmpDir } from '../helpers/tmp';
import { makeStudy, TS_UID, type Syntax } from '../helpers/dicom-files';
import { dimseClient, requests } from '../helpers/dcmjs-dimse';
import { readPart10Meta } from '../../src/dicom/part10-reader';
import { partialFiles } from '../helpers/store-files';

function dataset(file: string): { ts: string; bytes: Buffer; sop: string } {
  const buf = readFileSync(file);
  const m = readPart10Meta(buf);
  return { ts: m.transferSyntaxUid, bytes: buf.subarray(m.datasetOffset), sop: m.sopInstanceUid };
}

function storedFiles(a: InProcessAgent): Map<string, string> {
  const rows = a.agent.index.db.prepare('SELECT sop_uid AS sop, path FROM instances').all() as { sop: string; path: string }[];
  return new Map(rows.map((r) => [r.sop, r.path.startsWith('/') ? r.path : join(a.dataDir, r.path)]));
}

const scpIni = (order: 'client' | 'server') => (port: number, dir: string): string =>
  testIni({ port, dataDir: dir, sections: { Server: ['scp = storage', `trSynOrder = ${order}`, 'accept = STORESCU, 127.0.0.1', 'accept = DIMSEJS, 127.0.0.1'] } });

for (const [syntax, flag] of [['implicit', '-xi'], ['explicit', '-xe'], ['big', '-xb']] as [Syntax, string][]) {
  test(`storescu ${flag} → dicom-edge: every instance stored, indexed, data set bytes identical (${syntax})`, async (t) => {
    const a = await startAgent(scpIni('client'), t);
    const src = await tmpDir('study-', t);
    const study = await makeStudy(src, { count: 6, series: 2, syntax, privateTags: true, modality: 'CT', rows: 32, cols: 32 });
    const r = await runDcmtk('storescu', ['-v', flag, '-aet', 'STORESCU', '-aec', 'EDGE', '+sd', '127.0.0.1', String(a.port), src]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout + r.stderr).match(/Received Store Response \(Success\)/g)?.length, 6);
    assert.equal(a.agent.index.countInstances(), 6);
    const stored = storedFiles(a);
    for (const f of study.files) {
      const got = dataset(stored.get(f.sopInstanceUid)!);
      const sent = dataset(f.path);
      assert.equal(got.ts, TS_UID[syntax], 'accepted syntax recorded in the meta');
      assert.ok(got.bytes.equals(sent.bytes), `data set of ${f.sopInstanceUid} differs from what was sent`);
    }
    const meta = readPart10Meta(readFileSync([...stored.values()][0])).meta;
    assert.equal(meta.ImplementationClassUID, '1.2.840.114093.1.1');
    assert.equal(meta.SourceApplicationEntityTitle?.trim(), 'EDGE');
    assert.equal(meta.SendingApplicationEntityTitle?.trim(), 'STORESCU');
  });
}

test('dicom-edge store → DCMTK storescp, as is and converted to each syntax', async (t) => {
  const src = await tmpDir('study-', t);
  const study = await makeStudy(src, { count: 4, syntax: 'implicit', privateTags: true });
  for (const target of ['implicitLittle', 'explicitLittle', 'explicitBig']) {
    const out = await tmpDir('scp-out-', t);
    const scp = await startStorescp({ aet: 'STORESCP', dir: out, args: ['+xa'], t });
    const r = await runCli(['store', '-aet', 'EDGE', '-aec', 'STORESCP', '-x', target, '127.0.0.1', String(scp.port), src]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /stored 4\/4 instance/);
    const files = readdirSync(out);
    assert.equal(files.length, 4);
    for (const f of files) {
      const d = dataset(join(out, f));
      assert.equal(d.ts, { implicitLittle: TS_UID.implicit, explicitLittle: TS_UID.explicit, explicitBig: TS_UID.big }[target]);
      assert.ok(study.files.some((s) => s.sopInstanceUid === d.sop));
    }
    // DCMTK must read every converted file back without complaint, private tags included.
    const dump = await runDcmtk('dcmdump', ['-q', join(out, files[0])]);
    assert.equal(dump.code, 0, dump.stderr);
    assert.match(dump.stdout, /\(0009,1001\)/);
  }
});

test('dicom-edge store → Orthanc: the study arrives complete', async (t) => {
  const orthanc = await startOrthanc({ aet: 'ORTHANC', t });
  const src = await tmpDir('study-', t);
  const study = await makeStudy(src, { count: 5, syntax: 'big' });
  const r = await runCli(['store', '-aec', 'ORTHANC', '127.0.0.1', String(orthanc.dicomPort), src]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const stats = await orthanc.rest('/statistics');
  assert.equal(stats.CountInstances, 5);
  const found = await orthanc.rest('/tools/find', { method: 'POST', body: { Level: 'Instance', Query: { StudyInstanceUID: study.studyUid }, Expand: true } });
  assert.deepEqual(found.map((i: { MainDicomTags: { SOPInstanceUID: string } }) => i.MainDicomTags.SOPInstanceUID).sort(), study.files.map((f) => f.sopInstanceUid).sort());
});

test('dcmjs-dimse client → dicom-edge: C-STORE accepted and indexed', async (t) => {
  const a = await startAgent(scpIni('server'), t);
  const src = await tmpDir('study-', t);
  const study = await makeStudy(src, { count: 3, syntax: 'explicit' });
  const r = await dimseClient(a.port, 'DIMSEJS', 'EDGE', study.files.map((f) => new requests.CStoreRequest(f.path)));
  assert.equal(r.error, undefined);
  assert.deepEqual(r.statuses, [0, 0, 0]);
  assert.equal(a.agent.index.countInstances(), 3);
});

test('failures: data set that does not match the command → A900, association still usable; exit code 1', async (t) => {
  const a = await startAgent((port, dir) => testIni({ port, dataDir: dir, sections: { Server: ['scp = storage', 'accept = EDGECLI, 127.0.0.1'] } }), t);
  const src = await tmpDir('study-', t);
  const study = await makeStudy(src, { count: 2, syntax: 'explicit' });
  // Rewrite the meta's Media Storage SOP Instance UID (same length) so the command disagrees with the data set.
  const f = study.files[0];
  const buf = readFileSync(f.path);
  const m = readPart10Meta(buf);
  const metaPart = buf.subarray(0, m.datasetOffset);
  const at = metaPart.indexOf(Buffer.from(f.sopInstanceUid));
  const fake = f.sopInstanceUid.slice(0, -1) + (f.sopInstanceUid.endsWith('9') ? '8' : '9');
  metaPart.write(fake, at, 'latin1');
  writeFileSync(f.path, buf);
  const r = await runCli(['store', '-v', '-aet', 'EDGECLI', '-aec', 'EDGE', '127.0.0.1', String(a.port), src]);
  assert.equal(r.code, 1);
  assert.match(r.stdout + r.stderr, /A900/);
  assert.match(r.stdout, /stored 1\/2/);
  assert.equal(a.agent.index.countInstances(), 1);
  assert.equal(partialFiles(a.dataDir).length, 0, 'no partial file left');
  // The SOP Class too (CT in the data set, MR in the meta, hence in the command): A900, and
  // the 64 characters of the Error Comment name the data set's class (they used to go to
  // the error code and the start of the sentence).
  const g = study.files[1];
  const gbuf = readFileSync(g.path);
  const gm = readPart10Meta(gbuf);
  const gmeta = gbuf.subarray(0, gm.datasetOffset);
  const CT = '1.2.840.10008.5.1.4.1.1.2';
  gmeta.write('1.2.840.10008.5.1.4.1.1.4', gmeta.indexOf(Buffer.from(CT)), 'latin1');
  writeFileSync(g.path, gbuf);
  const r2 = await runCli(['store', '-aet', 'EDGECLI', '-aec', 'EDGE', '127.0.0.1', String(a.port), g.path]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /A900.*\(data set SOP Class is 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2, not 1\.2\.840/);
});
