/**
 * Store-and-forward with real peers on loopback: DCMTK storescu is the modality, Orthanc
 * the PACS (checked through its REST API). A study arrives complete and byte-identical;
 * a PACS stopped mid-study gets everything after it restarts; a destination that is down
 * does not hold up another; a refused SOP class is a dead letter at once; the queue CLI
 * sees and acts on the jobs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDcmtk, startOrthanc, type Orthanc } from '../helpers/peers';
import { startAgent, testIni, type InProcessAgent } from '../helpers/agent';
import { startDimseServer } from '../helpers/dcmjs-dimse';
import { freePort } from '../helpers/ports';
import { tmpDir } from '../helpers/tmp';
import { makeStudy, type Study } from '../helpers/dicom-files';
import { readPart10Meta } from '../../src/dicom/part10-reader';
import { run as queueCommand } from '../../src/cli/commands/queue';

export interface Dest { name: string; aet: string; port: number }

/** Agent INI: storage SCP for STORESCU, fast retries, one [RemoteAE] per destination, the routes. */
export function forwardIni(dests: Dest[], routes: string[], extra: Record<string, string[]> = {}) {
  return (port: number, dataDir: string): string => testIni({
    port, dataDir,
    sections: {
      Server: ['scp = storage', 'accept = STORESCU, 127.0.0.1'],
      Forward: ['retryBase = 100ms', 'retryCap = 1s', 'idleRelease = 1s'],
      ...extra,
    },
    tail: [
      ...dests.map((d) => `[RemoteAE]\nuserName = ${d.name}\naetitle = ${d.aet}\nip = 127.0.0.1\nport = ${d.port}\n`),
      ...routes,
    ].join('\n'),
  });
}

/** Polls `probe` until it returns true; fails with `what` after the bound. */
export async function eventually(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 60000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function orthancSops(o: Orthanc, studyUid?: string): Promise<string[]> {
  const found = await o.rest('/tools/find', { method: 'POST', body: { Level: 'Instance', Query: studyUid ? { StudyInstanceUID: studyUid } : {}, Expand: true } });
  return found.map((i: { MainDicomTags: { SOPInstanceUID: string } }) => i.MainDicomTags.SOPInstanceUID).sort();
}

async function sendStudy(port: number, dir: string): Promise<void> {
  const r = await runDcmtk('storescu', ['-v', '-aet', 'STORESCU', '-aec', 'EDGE', '+sd', '127.0.0.1', String(port), dir]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

const jobStates = (a: InProcessAgent, dest: string) => Object.fromEntries(
  (a.agent.index.db.prepare('SELECT state, COUNT(*) AS n FROM forward_jobs WHERE destination = ? GROUP BY state').all(dest) as { state: string; n: number }[]).map((r) => [r.state, r.n]),
);

/** Runs `dicom-edge queue …` in this process and returns what it printed. */
async function queueCli(ini: string, args: string[]): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => { out += chunk.toString(); return true; }) as typeof process.stdout.write;
  try {
    const code = await queueCommand([...args, '--config', ini]);
    return { code, out };
  } finally {
    process.stdout.write = write;
  }
}

function dataSetBytes(buf: Buffer): Buffer {
  return buf.subarray(readPart10Meta(buf).datasetOffset);
}

test('storescu → dicom-edge → Orthanc: the study arrives complete, data sets byte-identical', async (t) => {
  const orthanc = await startOrthanc({ aet: 'ORTHANC', t });
  const a = await startAgent(forwardIni([{ name: 'PACS', aet: 'ORTHANC', port: orthanc.dicomPort }], ['[Route]\nname = all\nto = PACS\n']), t);
  const src = await tmpDir('study-', t);
  const study = await makeStudy(src, { count: 12, series: 2, syntax: 'explicit', privateTags: true, rows: 64, cols: 64 });
  await sendStudy(a.port, src);
  const want = study.files.map((f) => f.sopInstanceUid).sort();
  await eventually('Orthanc to hold the study', async () => (await orthancSops(orthanc, study.studyUid)).length === want.length);
  assert.deepEqual(await orthancSops(orthanc, study.studyUid), want);
  assert.deepEqual(jobStates(a, 'PACS'), { done: 12 });
  // Orthanc keeps the received data set: compare it with what storescu sent.
  const ids = await orthanc.rest('/instances');
  for (const id of ids.slice(0, 3)) {
    const file = Buffer.from(await (await fetch(`http://127.0.0.1:${orthanc.httpPort}/instances/${id}/file`)).arrayBuffer());
    const sop = readPart10Meta(file).sopInstanceUid;
    const sent = readFileSync(study.files.find((f) => f.sopInstanceUid === sop)!.path);
    assert.ok(dataSetBytes(file).equals(dataSetBytes(sent)), `data set of ${sop} changed on the way`);
  }
});

test('PACS stopped during the study: instances queue up, then all arrive after it restarts', async (t) => {
  const orthanc = await startOrthanc({ aet: 'ORTHANC', t });
  const a = await startAgent(forwardIni([{ name: 'PACS', aet: 'ORTHANC', port: orthanc.dicomPort }], ['[Route]\nto = PACS\nmatch = Modality=CT\n']), t);
  const src1 = await tmpDir('study-', t);
  const src2 = await tmpDir('study-', t);
  const studyUid = (await makeStudy(src1, { count: 5, modality: 'CT', rows: 32, cols: 32 })).studyUid;
  await makeStudy(src2, { count: 7, modality: 'CT', rows: 32, cols: 32, studyUid });
  await sendStudy(a.port, src1);
  await eventually('the first part in Orthanc', async () => (await orthancSops(orthanc, studyUid)).length === 5);
  await orthanc.stop();
  await sendStudy(a.port, src2); // the modality still gets Success: the instances are stored and queued
  await eventually('a failed attempt to be recorded', () => (a.agent.forwarder.queue.destination('PACS')?.failures ?? 0) > 0);
  assert.equal((jobStates(a, 'PACS').pending ?? 0) + (jobStates(a, 'PACS')['in-flight'] ?? 0), 7);
  await orthanc.restart();
  await eventually('the whole study in Orthanc', async () => (await orthancSops(orthanc, studyUid)).length === 12);
  await eventually('every job done', () => jobStates(a, 'PACS').done === 12);
});

test('two destinations, one down: the other receives everything; the queue CLI lists and acts on the waiting jobs', async (t) => {
  const orthanc = await startOrthanc({ aet: 'ORTHANC', t });
  const deadPort = await freePort(); // nothing listens there
  const dests = [{ name: 'PACS', aet: 'ORTHANC', port: orthanc.dicomPort }, { name: 'ARCHIVE', aet: 'ARCHIVE', port: deadPort }];
  const build = forwardIni(dests, ['[Route]\nname = CT rooms\nto = PACS, ARCHIVE\nmatch = StationName=CT*, callingAe=STORE*\n']);
  const a = await startAgent(build, t);
  const src = await tmpDir('study-', t);
  const study: Study = await makeStudy(src, { count: 10, rows: 32, cols: 32, extra: { StationName: 'CT_ROOM2' } });
  const other = await tmpDir('other-', t);
  const unrouted = await makeStudy(other, { count: 3, rows: 32, cols: 32, extra: { StationName: 'MR_ROOM1' } });
  await sendStudy(a.port, src);
  await sendStudy(a.port, other);
  await eventually('PACS to hold the CT study', async () => (await orthancSops(orthanc)).length === 10);
  assert.deepEqual(await orthancSops(orthanc), study.files.map((f) => f.sopInstanceUid).sort(), 'StationName=MR* not routed');
  assert.equal((a.agent.index.db.prepare('SELECT COUNT(*) AS n FROM forward_jobs WHERE study_uid = ?').get(unrouted.studyUid) as { n: number }).n, 0);
  await eventually('ARCHIVE failures recorded', () => (a.agent.forwarder.queue.destination('ARCHIVE')?.failures ?? 0) > 0);
  const arch = jobStates(a, 'ARCHIVE');
  assert.equal((arch.pending ?? 0) + (arch['in-flight'] ?? 0), 10, JSON.stringify(arch));
  // No association is the destination's failure: the first waiting job keeps 0 attempts (and the error).
  await eventually('three ARCHIVE failures', () => (a.agent.forwarder.queue.destination('ARCHIVE')?.failures ?? 0) >= 3, 20000);
  const firstJob = a.agent.index.db.prepare(`SELECT attempts, last_error FROM forward_jobs WHERE destination = 'ARCHIVE' ORDER BY id LIMIT 1`).get() as { attempts: number; last_error: string | null };
  assert.equal(firstJob.attempts, 0, JSON.stringify(firstJob));
  assert.match(firstJob.last_error ?? '', /association with ARCHIVE@127\.0\.0\.1/);

  // The CLI works on the same database while the agent runs.
  const ini = join(a.dataDir, 'cli.ini');
  writeFileSync(ini, build(a.port, a.dataDir));
  const listed = await queueCli(ini, ['list']);
  assert.equal(listed.code, 0);
  assert.match(listed.out, /^ARCHIVE: pending \d+ .*dead 0/m);
  assert.match(listed.out, /^PACS: pending 0 .*done 10/m);
  assert.match(listed.out, /destination failing .*ARCHIVE@127\.0\.0\.1/);
  await eventually('no ARCHIVE job in flight', () => (jobStates(a, 'ARCHIVE')['in-flight'] ?? 0) === 0);
  const held = await queueCli(ini, ['hold', 'ARCHIVE']);
  assert.match(held.out, /^10 job\(s\) held/);
  assert.equal(jobStates(a, 'ARCHIVE').held, 10);
  assert.match((await queueCli(ini, ['release', '--study', study.studyUid])).out, /^10 job\(s\) released/);
  const first = (a.agent.index.db.prepare(`SELECT id FROM forward_jobs WHERE destination = 'ARCHIVE' ORDER BY id LIMIT 2`).all() as { id: number }[]).map((r) => r.id);
  assert.match((await queueCli(ini, ['drop', '--job', first.join(',')])).out, /^2 job\(s\) dropped/);
  assert.equal((jobStates(a, 'ARCHIVE').pending ?? 0) + (jobStates(a, 'ARCHIVE')['in-flight'] ?? 0), 8);
  const jobs = await queueCli(ini, ['list', '--jobs', 'ARCHIVE']);
  assert.equal(jobs.out.match(/^ {2}#\d+ ARCHIVE /gm)?.length, 8);
  await assert.rejects(queueCli(ini, ['retry']), /name a destination/, 'an action needs a selector');
});

test('a SOP class the destination refuses is a dead letter at once, kept and retryable', async (t) => {
  const scp = await startDimseServer(t); // accepts Verification only: storage contexts are refused
  const a = await startAgent(forwardIni([{ name: 'NOSTORE', aet: 'DIMSEJS', port: scp.port }], ['[Route]\nto = NOSTORE\n']), t);
  const src = await tmpDir('study-', t);
  await makeStudy(src, { count: 3, rows: 16, cols: 16 });
  await sendStudy(a.port, src);
  await eventually('dead letters', () => jobStates(a, 'NOSTORE').dead === 3, 30000);
  const rows = a.agent.index.db.prepare(`SELECT attempts, last_status, last_error FROM forward_jobs WHERE destination = 'NOSTORE'`).all() as { attempts: number; last_status: number; last_error: string }[];
  for (const r of rows) {
    assert.equal(r.attempts, 1, 'no retry for a refused class');
    assert.equal(r.last_status, 0x0122);
    assert.match(r.last_error, /refused every presentation context/);
  }
  assert.equal(a.agent.index.countInstances(), 3, 'the instances stay in the store');
  assert.equal(a.agent.forwarder.queue.retry({ destination: 'NOSTORE' }, Date.now()), 3);
  a.agent.forwarder.wakeAll();
  await eventually('dead again after the retry', () => jobStates(a, 'NOSTORE').dead === 3 && (a.agent.index.db.prepare(`SELECT MIN(attempts) AS n FROM forward_jobs`).get() as { n: number }).n === 1, 30000);
});
