/**
 * The worklist proxy with real peers: DCMTK wlmscpfs (a .wl folder made with dump2dcm) as
 * the RIS, DCMTK findscu -W as the modality against dicom-edge: every matching key type,
 * ranges, wildcards, sequence return keys, Type 2 keys, charset, A900; RIS stopped → the
 * cache answers; RIS back → fresh answers; prefetch; our own `worklist` command.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runDcmtk, startWlmscpfs, worklistDump, type Wlmscpfs } from '../helpers/peers';
import { runCli, startAgent, testIni, type InProcessAgent } from '../helpers/agent';
import { tmpDir } from '../helpers/tmp';
import { worklistConsoleCommand } from '../../src/worklist/local-items';

let ris: Wlmscpfs;
let agent: InProcessAgent;
let wlDir: string;

const ymd = (d: Date): string => `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;

before(async () => {
  ris = await startWlmscpfs({ aets: ['RIS'] });
  await ris.addItem('RIS', 'a1', worklistDump({ accessionNumber: 'A1', patientName: 'DOE^JOHN', patientId: 'P1', modality: 'CT', stationAet: 'CT1', date: '20240102', time: '101500', stepId: 'S1', requestedProcedureId: 'RP1' }));
  await ris.addItem('RIS', 'a2', worklistDump({ accessionNumber: 'A2', patientName: 'DOE^JANE', patientId: 'P2', modality: 'MR', stationAet: 'MR1', date: '20240103', time: '140000', stepId: 'S2', requestedProcedureId: 'RP2' }));
  await ris.addItem('RIS', 'a3', worklistDump({ accessionNumber: 'A3', patientName: 'ROE^RICHARD', patientId: 'Q3', modality: 'CT', stationAet: 'CT1', date: '20240105', time: '080000', stepId: 'S3', requestedProcedureId: 'RP3' }));
  wlDir = await tmpDir('edge-wl-');
  agent = await startAgent((port, dir) => testIni({
    port, dataDir: dir,
    sections: {
      Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off'], Server: ['scp = worklist'],
      Worklist: [`path = ${wlDir}`, 'prefetch = 0', 'stations = CT1', 'upstreamTimeout = 5s'],
    },
    tail: `[RemoteAE]\nuserName = RIS\naetitle = RIS\nip = 127.0.0.1\nport = ${ris.port}\nworklist = yes\n`,
  }));
  await worklistConsoleCommand(wlDir, ['add', 'name=LOCAL^MÜLLER', 'id=L1', 'accession=L1', 'modality=CT', 'station=CT1', 'date=20240102', 'time=0900', 'step=LS1']);
});

interface FindOut { matches: string[][]; final: string; raw: string }

/** findscu -W -v against the agent: each match as `(gggg,eeee)=value` lines, nested ones prefixed by their depth. */
async function findscu(keys: string[], extra: string[] = []): Promise<FindOut> {
  const r = await runDcmtk('findscu', ['-v', '-W', '-aet', 'MODALITY', '-aec', 'EDGE', ...extra, '127.0.0.1', String(agent.port), ...keys.flatMap((k) => ['-k', k])]);
  const raw = r.stdout + r.stderr;
  const blocks = raw.split(/Find Response: \d+ \(Pending\)/).slice(1);
  const matches = blocks.map((b) => [...b.matchAll(/^I: (\s*)\(([0-9a-f]{4},[0-9a-f]{4})\) \w\w (?:\[([^\]]*)\]|\(no value available\))/gm)]
    .map((m) => `${m[1].length ? '>' : ''}(${m[2]})=${(m[3] ?? '').replace(/\0/g, '').trim()}`));
  const final = /Received Final Find Response \(([^)]*)\)/.exec(raw)?.[1] ?? `none (exit ${r.code})`;
  return { matches, final, raw };
}

const value = (m: string[], key: string): string | undefined => m.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
const names = (r: FindOut): string[] => r.matches.map((m) => value(m, '(0010,0010)') ?? '?').sort();
const SPS = 'ScheduledProcedureStepSequence[0]';

test('Scheduled Station AE Title, Modality: single values inside the step item', async () => {
  const r = await findscu(['PatientName', `${SPS}.ScheduledStationAETitle=CT1`]);
  assert.equal(r.final, 'Success', r.raw);
  assert.deepEqual(names(r), ['DOE^JOHN', 'LOCAL^MÃ\u009cLLER', 'ROE^RICHARD'].sort());
  const mr = await findscu(['PatientName', `${SPS}.Modality=MR`]);
  assert.deepEqual(names(mr), ['DOE^JANE']);
});

test('Scheduled Procedure Step Start Date/Time: single value and ranges', async () => {
  assert.deepEqual(names(await findscu(['PatientName', `${SPS}.ScheduledProcedureStepStartDate=20240102`])), ['DOE^JOHN', 'LOCAL^MÃ\u009cLLER'].sort());
  assert.deepEqual(names(await findscu(['PatientName', `${SPS}.ScheduledProcedureStepStartDate=20240103-20240105`])), ['DOE^JANE', 'ROE^RICHARD']);
  assert.deepEqual(names(await findscu(['PatientName', `${SPS}.ScheduledProcedureStepStartDate=20240104-`])), ['ROE^RICHARD']);
  assert.deepEqual(names(await findscu(['PatientName', `${SPS}.ScheduledProcedureStepStartDate=20240102`, `${SPS}.ScheduledProcedureStepStartTime=1000-1200`])), ['DOE^JOHN']);
});

test('start date and time ranges together are one period (Table K.6-1 remark on (0040,0003))', async () => {
  // 2024-01-02 10:00 up to 2024-01-05 12:00: A1 (01-02 10:15), A2 (01-03 14:00), A3 (01-05 08:00);
  // the local item at 01-02 09:00 is before it. As separate ranges only A1 would be 10:00-12:00.
  const r = await findscu(['PatientName', `${SPS}.ScheduledProcedureStepStartDate=20240102-20240105`, `${SPS}.ScheduledProcedureStepStartTime=1000-1200`]);
  assert.equal(r.final, 'Success', r.raw);
  assert.deepEqual(names(r), ['DOE^JANE', 'DOE^JOHN', 'ROE^RICHARD']);
  // Open ranges of the same form: from 2024-01-03 12:00 on.
  assert.deepEqual(names(await findscu(['PatientName', `${SPS}.ScheduledProcedureStepStartDate=20240103-`, `${SPS}.ScheduledProcedureStepStartTime=1200-`])), ['DOE^JANE', 'ROE^RICHARD']);
});

test('Performing Physician, Patient Name / ID wildcards, Accession Number, Requested Procedure ID', async () => {
  assert.deepEqual(names(await findscu(['PatientName', `${SPS}.ScheduledPerformingPhysicianName=PERF*`])), ['DOE^JANE', 'DOE^JOHN', 'ROE^RICHARD']);
  assert.deepEqual(names(await findscu(['PatientName=DOE*'])), ['DOE^JANE', 'DOE^JOHN']);
  assert.deepEqual(names(await findscu(['PatientName=R?E^*'])), ['ROE^RICHARD']);
  // wlmscpfs does not wildcard-match Patient ID (it answers none), so this one is shown on the local item.
  assert.deepEqual(names(await findscu(['PatientName', 'PatientID=L?'])), ['LOCAL^MÃ\u009cLLER']);
  assert.deepEqual(names(await findscu(['PatientName', 'AccessionNumber=A3'])), ['ROE^RICHARD']);
  assert.deepEqual(names(await findscu(['PatientName', 'RequestedProcedureID=RP2'])), ['DOE^JANE']);
});

test('return keys: exactly those requested, step item keys included, unknown Type 2 keys zero-length', async () => {
  const r = await findscu(['AccessionNumber=A1', 'PatientName', 'PatientWeight', `${SPS}.Modality`, `${SPS}.ScheduledProcedureStepID`, `${SPS}.ScheduledStationName`]);
  assert.equal(r.matches.length, 1, r.raw);
  const m = r.matches[0];
  assert.deepEqual(m.filter((l) => !l.startsWith('(0008,0005)')), [
    '(0008,0050)=A1', '(0010,0010)=DOE^JOHN', '(0010,1030)=', '(0040,0100)=', '>(0008,0060)=CT', '>(0040,0009)=S1', '>(0040,0010)=STATION1',
  ].filter((l) => l !== '(0040,0100)='), r.raw);
});

test('Specific Character Set is carried through (a local UTF-8 item)', async () => {
  const r = await findscu(['PatientName', 'PatientID=L1']);
  assert.equal(r.matches.length, 1, r.raw);
  assert.equal(value(r.matches[0], '(0008,0005)'), 'ISO_IR 192');
  assert.equal(value(r.matches[0], '(0010,0010)'), Buffer.from('LOCAL^MÜLLER', 'utf8').toString('latin1'));
});

test('a malformed identifier gets A900 with an error comment', async () => {
  const r = await findscu(['PatientName', `${SPS}.ScheduledProcedureStepStartDate=2024-01-02`]);
  assert.match(r.final, /DataSetDoesNotMatchSOPClass/, r.raw);
  assert.ok(agent.logs.some((l) => /status 0xa900: .*not a value or range/.test(l)), agent.logs.slice(-5).join('\n'));
});

test('RIS stopped: the same query is answered from the cache; RIS back: fresh answers', async () => {
  const q = ['PatientName', `${SPS}.ScheduledStationAETitle=CT1`, `${SPS}.ScheduledProcedureStepStartDate=20240105`];
  assert.deepEqual(names(await findscu(q)), ['ROE^RICHARD']);
  const port = ris.port;
  await ris.stop();
  const cached = await findscu(q);
  assert.equal(cached.final, 'Success', cached.raw);
  assert.deepEqual(names(cached), ['ROE^RICHARD']);
  assert.ok(agent.logs.some((l) => /RIS RIS unavailable .*answering from the cache/.test(l)), agent.logs.slice(-5).join('\n'));
  // Back, with one more item for that day: it appears, so the answer is fresh.
  ris = await startWlmscpfs({ dir: ris.dir, port, aets: ['RIS'] });
  await ris.addItem('RIS', 'a4', worklistDump({ accessionNumber: 'A4', patientName: 'NEW^ITEM', patientId: 'P4', stationAet: 'CT1', date: '20240105', stepId: 'S4' }));
  assert.deepEqual(names(await findscu(q)), ['NEW^ITEM', 'ROE^RICHARD']);
});

test('prefetch caches the stations\' steps of today ± days', async () => {
  await ris.addItem('RIS', 't1', worklistDump({ accessionNumber: 'T1', patientName: 'TODAY^PAT', patientId: 'T1', stationAet: 'CT1', date: ymd(new Date()), stepId: 'ST1' }));
  await ris.addItem('RIS', 't2', worklistDump({ accessionNumber: 'T2', patientName: 'OTHER^STATION', patientId: 'T2', stationAet: 'MR9', date: ymd(new Date()), stepId: 'ST2' }));
  await agent.agent.worklist.scheduler.runNow();
  const accessions = agent.agent.worklist.cache.get('RIS', 0).items.map((i) => i.find((e) => e.tag === 0x00080050)?.value);
  assert.ok(accessions.includes('T1'), accessions.join(','));
  assert.ok(!accessions.includes('T2'), 'only the configured station');
});

test('dicom-edge worklist (CLI) against the agent: JSON with the step item', async () => {
  const r = await runCli(['worklist', '-aet', 'MODALITY', '-aec', 'EDGE', '127.0.0.1', String(agent.port), '-k', 'PatientName', '-k', 'AccessionNumber=A2', '-k', `${SPS}.Modality`, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  // wlmscpfs (DCMTK 3.6.7) never returns (0008,0005), so there is none to carry through here.
  assert.deepEqual(out, [{ AccessionNumber: 'A2', PatientName: 'DOE^JANE', ScheduledProcedureStepSequence: [{ Modality: 'MR' }] }]);
  assert.match(r.stderr, /1 match\(es\); status .*Success/i);
  const table = await runCli(['worklist', '-aec', 'EDGE', '127.0.0.1', String(agent.port), '-k', 'PatientName=DOE^JANE', '-k', `${SPS}.ScheduledStationAETitle`]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /PatientName\s+SPS\.ScheduledStationAETitle\nDOE\^JANE\s+MR1\n/);
});

test('C-CANCEL: findscu --cancel 1 on many local items ends with Cancel', async (t) => {
  const dir = await tmpDir('edge-wl-many-', t);
  const many = await startAgent((port, data) => testIni({
    port, dataDir: data,
    sections: { Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off'], Server: ['scp = worklist'], Worklist: [`path = ${dir}`, 'prefetch = 0'] },
  }), t);
  for (let i = 0; i < 300; i++) await worklistConsoleCommand(dir, ['add', `name=MANY^${i}`, `id=M${i}`, `accession=M${i}`, 'modality=CT', 'station=CT1', 'date=20240102']);
  const r = await runDcmtk('findscu', ['-v', '-W', '--cancel', '1', '-aet', 'MODALITY', '-aec', 'EDGE', '127.0.0.1', String(many.port), '-k', 'PatientName']);
  const raw = r.stdout + r.stderr;
  assert.match(/Received Final Find Response \(([^)]*)\)/.exec(raw)?.[1] ?? raw.slice(-500), /^Cancel/);
  assert.ok(many.logs.some((l) => /C-FIND \(worklist\) from MODALITY: \d+ match\(es\), status 0xfe00/.test(l)), many.logs.slice(-5).join('\n'));
});
