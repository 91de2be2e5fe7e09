/**
 * Our Q/R SCP against DCMTK: findscu in the three models at every level (single value,
 * wildcard, date range, UID list, bad identifiers), movescu receiving itself (+P) and to a
 * DCMTK storescp, getscu, and cancel with findscu/movescu --cancel and our own get.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runDcmtk, startStorescp } from '../helpers/peers';
import { runCli, startAgent, testIni, type InProcessAgent } from '../helpers/agent';
import { freePort } from '../helpers/ports';
import { tmpDir } from '../helpers/tmp';
import { makeStudy, type Study } from '../helpers/dicom-files';

const QR = 'scp = patFind, patMove, patGet, studyFind, studyMove, studyGet, patStudyFind, patStudyMove, patStudyGet';
let agent: InProcessAgent;
let movePort: number;
let storescpPort: number;
let doe1: Study; // DOE^JOHN, 2 series, 4 images, CT, 20240102
let doe2: Study; // DOE^JOHN, 1 series, 2 images, MR, 20230615
let roe: Study; // ROE^JANE, 1 series, 3 images, MR, 20240102
let big: Study; // MANY^IMAGES, 300 images (cancel tests)

before(async () => {
  movePort = await freePort();
  storescpPort = await freePort();
  agent = await startAgent((port, dir) => testIni({
    port, dataDir: dir,
    sections: { Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off'], Server: ['scuscp = storage', QR] },
    tail: `[RemoteAE]\naetitle = MOVESCU\nip = 127.0.0.1\nport = ${movePort}\n\n[RemoteAE]\naetitle = STORESCP\nip = 127.0.0.1\nport = ${storescpPort}\n`,
  }));
  const src = await tmpDir('qr-src-');
  doe1 = await makeStudy(join(src, 'a'), { count: 4, series: 2, patientName: 'DOE^JOHN', patientId: 'PID-DOE', modality: 'CT', rows: 8, cols: 8 });
  doe2 = await makeStudy(join(src, 'b'), { count: 2, patientName: 'DOE^JOHN', patientId: 'PID-DOE', modality: 'MR', rows: 8, cols: 8, extra: { StudyDate: '20230615' } });
  roe = await makeStudy(join(src, 'c'), { count: 3, patientName: 'ROE^JANE', patientId: 'PID-ROE', modality: 'MR', rows: 8, cols: 8 });
  big = await makeStudy(join(src, 'd'), { count: 300, patientName: 'MANY^IMAGES', patientId: 'PID-MANY', modality: 'OT', rows: 4, cols: 4 });
  const r = await runDcmtk('storescu', ['-aet', 'STORESCU', '-aec', 'EDGE', '+sd', '+r', '127.0.0.1', String(agent.port), src], { timeoutMs: 120000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(agent.agent.index.countInstances(), 309);
});

interface FindOut { matches: string[][]; final: string; raw: string }

/** findscu -v: each response's dump; `tag` values per match (in order). */
async function findscu(model: string, keys: string[], extra: string[] = []): Promise<FindOut> {
  const r = await runDcmtk('findscu', ['-v', model, '-aet', 'FINDSCU', '-aec', 'EDGE', ...extra, '127.0.0.1', String(agent.port), ...keys.flatMap((k) => ['-k', k])]);
  const raw = r.stdout + r.stderr;
  const blocks = raw.split(/Find Response: \d+ \(Pending\)/).slice(1);
  const matches = blocks.map((b) => [...b.matchAll(/^I: \(([0-9a-f]{4},[0-9a-f]{4})\) \w\w \[([^\]]*)\]/gm)].map((m) => `${m[1]}=${m[2].replace(/\0/g, '').trim()}`));
  const final = /Received Final Find Response \(([^)]*)\)/.exec(raw)?.[1] ?? `none (exit ${r.code})`;
  return { matches, final, raw };
}

const has = (m: string[], tagEq: string): boolean => m.includes(tagEq);

test('findscu: Study Date + Study Time ranges stay two ranges (no extended negotiation, PS3.4 C.2.2.2.5.4, C.4.1.3.2)', async () => {
  // All studies are at 10:15. Combined, 2023-06-15 23:00 up to 2024-01-02 11:00 would hold the
  // 2024-01-02 studies; as separate ranges no time of day lies in 23:00-11:00.
  const keys = (time: string) => ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', 'StudyDate=20230615-20240102', `StudyTime=${time}`];
  const inverted = await findscu('-S', keys('2300-1100'));
  assert.equal(inverted.final, 'Success', inverted.raw);
  assert.equal(inverted.matches.length, 0, inverted.raw);
  const day = await findscu('-S', keys('1000-1100'));
  assert.deepEqual(day.matches.map((m) => m.find((x) => x.startsWith('0020,000d'))).sort(), [doe1, doe2, roe, big].map((s) => `0020,000d=${s.studyUid}`).sort());
});

test('findscu -P: PATIENT, STUDY, SERIES, IMAGE levels', async () => {
  const p = await findscu('-P', ['QueryRetrieveLevel=PATIENT', 'PatientID=PID-DOE', 'PatientName']);
  assert.equal(p.final, 'Success', p.raw);
  assert.equal(p.matches.length, 1);
  assert.ok(has(p.matches[0], '0010,0010=DOE^JOHN'), p.raw);
  const st = await findscu('-P', ['QueryRetrieveLevel=STUDY', 'PatientID=PID-DOE', 'StudyInstanceUID', 'StudyDate']);
  assert.deepEqual(st.matches.map((m) => m.find((x) => x.startsWith('0020,000d'))).sort(), [`0020,000d=${doe1.studyUid}`, `0020,000d=${doe2.studyUid}`].sort());
  const se = await findscu('-P', ['QueryRetrieveLevel=SERIES', 'PatientID=PID-DOE', `StudyInstanceUID=${doe1.studyUid}`, 'SeriesInstanceUID', 'Modality']);
  assert.equal(se.matches.length, 2, se.raw);
  assert.ok(se.matches.every((m) => has(m, '0008,0060=CT')));
  const im = await findscu('-P', ['QueryRetrieveLevel=IMAGE', 'PatientID=PID-DOE', `StudyInstanceUID=${doe1.studyUid}`, `SeriesInstanceUID=${doe1.seriesUids[0]}`, 'SOPInstanceUID']);
  assert.equal(im.final, 'Success');
  assert.equal(im.matches.length, 2);
});

test('findscu -S: wildcard, date ranges and a UID list at STUDY level; SERIES and IMAGE', async () => {
  const wild = await findscu('-S', ['QueryRetrieveLevel=STUDY', 'PatientName=DOE*', 'StudyInstanceUID']);
  assert.equal(wild.matches.length, 2, wild.raw);
  const q = await findscu('-S', ['QueryRetrieveLevel=STUDY', 'PatientName=?OE^JAN?', 'StudyInstanceUID']);
  assert.deepEqual(q.matches.map((m) => m.find((x) => x.startsWith('0020,000d'))), [`0020,000d=${roe.studyUid}`]);
  const from = await findscu('-S', ['QueryRetrieveLevel=STUDY', 'StudyDate=20240101-', 'PatientID=PID-DOE', 'StudyInstanceUID']);
  assert.deepEqual(from.matches.map((m) => m.find((x) => x.startsWith('0020,000d'))), [`0020,000d=${doe1.studyUid}`]);
  const until = await findscu('-S', ['QueryRetrieveLevel=STUDY', 'StudyDate=-20231231', 'StudyInstanceUID']);
  assert.deepEqual(until.matches.map((m) => m.find((x) => x.startsWith('0020,000d'))), [`0020,000d=${doe2.studyUid}`]);
  const range = await findscu('-S', ['QueryRetrieveLevel=STUDY', 'StudyDate=20230101-20231231', 'StudyInstanceUID']);
  assert.equal(range.matches.length, 1);
  const list = await findscu('-S', ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${roe.studyUid}\\${doe2.studyUid}`, 'PatientName']);
  assert.equal(list.matches.length, 2, list.raw);
  const se = await findscu('-S', ['QueryRetrieveLevel=SERIES', `StudyInstanceUID=${roe.studyUid}`, 'SeriesInstanceUID', 'NumberOfSeriesRelatedInstances']);
  assert.equal(se.matches.length, 1);
  const im = await findscu('-S', ['QueryRetrieveLevel=IMAGE', `StudyInstanceUID=${roe.studyUid}`, `SeriesInstanceUID=${roe.seriesUids[0]}`, 'SOPInstanceUID', 'InstanceNumber']);
  assert.deepEqual(im.matches.map((m) => m.find((x) => x.startsWith('0008,0018'))!.slice(10)).sort(), roe.files.map((f) => f.sopInstanceUid).sort());
});

test('findscu -O: PATIENT and STUDY levels; SERIES is refused with A900, not a crash', async () => {
  const p = await findscu('-O', ['QueryRetrieveLevel=PATIENT', 'PatientName=ROE*', 'PatientID']);
  assert.deepEqual(p.matches.map((m) => m.find((x) => x.startsWith('0010,0020'))), ['0010,0020=PID-ROE']);
  const st = await findscu('-O', ['QueryRetrieveLevel=STUDY', 'PatientID=PID-ROE', 'StudyInstanceUID', 'ModalitiesInStudy']);
  assert.equal(st.matches.length, 1);
  assert.ok(has(st.matches[0], '0008,0061=MR'), st.raw);
  const bad = await findscu('-O', ['QueryRetrieveLevel=SERIES', 'SeriesInstanceUID']);
  assert.match(bad.final, /DataSetDoesNotMatchSOPClass|IdentifierDoesNotMatch/, bad.raw);
  const noLevel = await findscu('-S', ['PatientName']);
  assert.match(noLevel.final, /DoesNotMatchSOPClass/, noLevel.raw);
  // The SCP is still serving.
  const again = await findscu('-S', ['QueryRetrieveLevel=STUDY', 'PatientID=PID-ROE']);
  assert.equal(again.final, 'Success');
});

test('findscu --cancel 1 on 300 matches: the SCP stops with Cancel (FE00)', async () => {
  const r = await findscu('-S', ['QueryRetrieveLevel=IMAGE', `StudyInstanceUID=${big.studyUid}`, `SeriesInstanceUID=${big.seriesUids[0]}`, 'SOPInstanceUID'], ['--cancel', '1']);
  assert.match(r.final, /^Cancel/, r.raw.slice(-2000));
  assert.ok(r.matches.length < 300, `${r.matches.length} matches arrived before the Cancel`);
  assert.ok(agent.logs.some((l) => /C-FIND \(study\) from FINDSCU: \d+ match\(es\), status 0xfe00/.test(l)));
});

async function movescu(model: string, keys: string[], dest = 'MOVESCU', extra: string[] = []): Promise<{ raw: string; dir: string; files: string[] }> {
  const dir = await tmpDir('movescu-');
  const r = await runDcmtk('movescu', ['-v', model, '-aet', 'MOVESCU', '-aec', 'EDGE', '-aem', dest, '+P', String(movePort), '-od', dir, ...extra, '127.0.0.1', String(agent.port), ...keys.flatMap((k) => ['-k', k])]);
  return { raw: r.stdout + r.stderr, dir, files: readdirSync(dir) };
}

test('movescu +P (receiving itself) in the three models at each level', async () => {
  const cases: [string, string[], number][] = [
    ['-P', ['QueryRetrieveLevel=PATIENT', 'PatientID=PID-ROE'], 3],
    ['-P', ['QueryRetrieveLevel=STUDY', 'PatientID=PID-DOE', `StudyInstanceUID=${doe1.studyUid}\\${doe2.studyUid}`], 6],
    ['-S', ['QueryRetrieveLevel=SERIES', `StudyInstanceUID=${doe1.studyUid}`, `SeriesInstanceUID=${doe1.seriesUids[1]}`], 2],
    ['-S', ['QueryRetrieveLevel=IMAGE', `StudyInstanceUID=${doe1.studyUid}`, `SeriesInstanceUID=${doe1.seriesUids[0]}`, `SOPInstanceUID=${doe1.files[0].sopInstanceUid}`], 1],
    ['-O', ['QueryRetrieveLevel=STUDY', 'PatientID=PID-DOE', `StudyInstanceUID=${doe2.studyUid}`], 2],
  ];
  for (const [model, keys, n] of cases) {
    const m = await movescu(model, keys);
    assert.match(m.raw, /Received Final Move Response \(Success\)/, m.raw);
    assert.equal(m.files.length, n, `${model} ${keys.join(' ')}`);
  }
  assert.ok(agent.logs.some((l) => /C-MOVE \(patient\) from MOVESCU: 3 completed, 0 warning, 0 failed/.test(l)));
});

test('movescu to a DCMTK storescp; unknown destination → A801', async (t) => {
  const out = await tmpDir('storescp-', t);
  await startStorescp({ aet: 'STORESCP', dir: out, port: storescpPort, t });
  const m = await movescu('-S', ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${roe.studyUid}`], 'STORESCP');
  assert.match(m.raw, /Received Final Move Response \(Success\)/, m.raw);
  assert.deepEqual(readdirSync(out).map((f) => f.replace(/^\w+\./, '')).sort(), roe.files.map((f) => f.sopInstanceUid).sort());
  const unknown = await movescu('-S', ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${roe.studyUid}`], 'NOBODY');
  assert.match(unknown.raw, /Move Destination unknown|MoveDestinationUnknown|a801/i, unknown.raw);
});

test('movescu to a destination that is down: every sub-operation fails, A702 with the failed list', async () => {
  // STORESCP's port has no listener outside the previous test.
  const m = await movescu('-S', ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${roe.studyUid}`], 'STORESCP');
  assert.match(m.raw, /Final Move Response \(Refused: OutOfResourcesSubOperations\)|0xa702/i, m.raw);
  assert.ok(agent.logs.some((l) => /C-MOVE \(study\) from MOVESCU: 0 completed, 0 warning, 3 failed; status 0xa702/.test(l)));
});

test('movescu --cancel 1: the SCP stops the sub-operations with Cancel (FE00)', async () => {
  const m = await movescu('-S', ['QueryRetrieveLevel=SERIES', `StudyInstanceUID=${big.studyUid}`, `SeriesInstanceUID=${big.seriesUids[0]}`], 'MOVESCU', ['--cancel', '1']);
  assert.match(m.raw, /Received Final Move Response \(Cancel/, m.raw.slice(-3000));
  assert.ok(m.files.length < 300, `${m.files.length} files`);
  assert.ok(agent.logs.some((l) => /C-MOVE \(study\) from MOVESCU: \d+ completed.*cancelled with \d+ remaining; status 0xfe00/.test(l)));
});

test('getscu in the three models', async () => {
  const cases: [string, string[], Study][] = [
    ['-P', ['QueryRetrieveLevel=PATIENT', 'PatientID=PID-ROE'], roe],
    ['-S', ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${doe1.studyUid}`], doe1],
    ['-O', ['QueryRetrieveLevel=STUDY', 'PatientID=PID-DOE', `StudyInstanceUID=${doe2.studyUid}`], doe2],
  ];
  for (const [model, keys, study] of cases) {
    const dir = await tmpDir('getscu-');
    const r = await runDcmtk('getscu', ['-v', model, '-aet', 'GETSCU', '-aec', 'EDGE', '-od', dir, '127.0.0.1', String(agent.port), ...keys.flatMap((k) => ['-k', k])]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /Received C-GET Response \(Success\)|Received Final C-GET/i);
    assert.deepEqual(readdirSync(dir).map((f) => f.replace(/^\w+\./, '')).sort(), study.files.map((f) => f.sopInstanceUid).sort());
  }
});

test('dicom-edge get --cancel-after 1 against our SCP: Cancel (FE00) with counts', async () => {
  const dir = await tmpDir('edge-get-');
  const r = await runCli(['get', '-S', '-aet', 'GETSCU', '-aec', 'EDGE', '-od', dir, '--cancel-after', '1', '--json', '127.0.0.1', String(agent.port),
    '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${big.studyUid}`]);
  const out = JSON.parse(r.stdout) as { status: number; completed: number; remaining: number; cancelled: boolean };
  assert.equal(r.code, 0, r.stderr);
  assert.equal(out.status, 0xfe00);
  assert.equal(out.cancelled, true);
  assert.ok(out.completed >= 1 && out.completed < 300, JSON.stringify(out));
  assert.equal(out.remaining, 300 - out.completed - (out as unknown as { failed: number }).failed - (out as unknown as { warning: number }).warning);
  assert.equal(readdirSync(dir).length, out.completed);
});

test('C-GET when storage classes are scp only: no SCU role granted, every sub-operation fails politely (A702 + failed list)', async (t) => {
  const strict = await startAgent((port, dir) => testIni({
    port, dataDir: dir, sections: { Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off'], Server: ['scp = storage', QR] },
  }), t);
  const src = await tmpDir('qr-strict-', t);
  const s = await makeStudy(src, { count: 2, rows: 4, cols: 4 });
  assert.equal((await runDcmtk('storescu', ['-aec', 'EDGE', '+sd', '127.0.0.1', String(strict.port), src])).code, 0);
  const dir = await tmpDir('get-refused-', t);
  const r = await runCli(['get', '-S', '-aec', 'EDGE', '-od', dir, '--json', '127.0.0.1', String(strict.port), '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${s.studyUid}`]);
  const out = JSON.parse(r.stdout) as { status: number; failed: number; failedUids: string[]; errorComment?: string };
  assert.equal(r.code, 1);
  assert.equal(out.status, 0xa702);
  assert.equal(out.failed, 2);
  assert.deepEqual(out.failedUids.sort(), s.files.map((f) => f.sopInstanceUid).sort());
  assert.match(out.errorComment ?? '', /no accepted presentation context/);
  assert.deepEqual(readdirSync(dir), []);
  // getscu sees the same refusal; the association was not aborted by us.
  const g = await runDcmtk('getscu', ['-v', '-S', '-aec', 'EDGE', '-od', dir, '127.0.0.1', String(strict.port), '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${s.studyUid}`]);
  assert.match(g.stdout + g.stderr, /OutOfResourcesSubOperations/);
  assert.match(g.stdout + g.stderr, /Number of Failed Suboperations\s*:\s*2/);
  assert.ok(strict.logs.some((l) => /C-GET \(study\) from .*: 0 completed, 0 warning, 2 failed; status 0xa702/.test(l)), strict.logs.join('\n'));
  assert.ok(!strict.logs.some((l) => /closed \(aborted-locally/.test(l)), strict.logs.join('\n'));
});
