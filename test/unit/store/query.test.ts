import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeIdentifier, decodeIdentifier, get, identifierFromKeys, type Identifier } from '../../../src/dicom/identifier';
import { QueryEngine, QueryError, type QueryModel } from '../../../src/store/query';
import { EdgeError } from '../../../src/util/errors';
import { fixtureIndex, MR_CLASS } from './query-fixture';

const index = fixtureIndex();
const engine = new QueryEngine(index);

const T = {
  PatientName: 0x00100010, PatientID: 0x00100020, StudyUID: 0x0020000d, SeriesUID: 0x0020000e, SopUID: 0x00080018,
  StudyDate: 0x00080020, Level: 0x00080052, Charset: 0x00080005, Modalities: 0x00080061, Modality: 0x00080060,
};

function find(model: QueryModel, keys: string[], e = engine): Promise<Identifier[]> {
  return e.findAll(model, identifierFromKeys(keys));
}

async function values(model: QueryModel, keys: string[], tag: number): Promise<Array<string | undefined>> {
  return (await find(model, keys)).map((r) => get(r, tag));
}

async function rejects(model: QueryModel, keys: string[], status: number, comment: RegExp): Promise<void> {
  await assert.rejects(find(model, keys), (e: unknown) => {
    assert.ok(e instanceof QueryError && e instanceof EdgeError);
    assert.equal(e.status, status);
    assert.match(e.errorComment, comment);
    assert.ok(e.errorComment.length <= 64);
    return true;
  });
}

test('PATIENT level: case-insensitive PN wildcard, return keys, computed counts', async () => {
  const r = await find('patient', ['QueryRetrieveLevel=PATIENT', 'PatientName=doe*', 'PatientID', 'PatientSex', 'NumberOfPatientRelatedStudies', 'NumberOfPatientRelatedInstances', 'IssuerOfPatientID']);
  assert.deepEqual(r.map((x) => get(x, T.PatientID)), ['PID1', 'PID2']);
  assert.deepEqual(r[0].map((e) => [e.tag, e.value]), [
    [0x00080052, 'PATIENT'], [0x00100010, 'Doe^John'], [0x00100020, 'PID1'], [0x00100021, ''], [0x00100040, 'M'],
    [0x00201200, '2'], [0x00201204, '4'],
  ]);
  assert.deepEqual(await values('patient', ['QueryRetrieveLevel=PATIENT', 'PatientName=DOE^JANE'], T.PatientName), ['DOE^JANE']);
  assert.deepEqual(await values('patient', ['QueryRetrieveLevel=PATIENT', 'PatientName=D?E^J*N*'], T.PatientName), ['Doe^John', 'DOE^JANE']);
  assert.deepEqual(await values('patientStudyOnly', ['QueryRetrieveLevel=PATIENT', 'PatientName=*ANNA'], T.PatientName), ['Smith^Anna']);
  assert.deepEqual(await values('patient', ['QueryRetrieveLevel=PATIENT', 'PatientName=Doe'], T.PatientName), [], 'single value is not a prefix match');
  assert.deepEqual(await values('patient', ['QueryRetrieveLevel=PATIENT', 'PatientSex=f'], T.PatientID), [], 'CS is case-sensitive');
  assert.deepEqual(await values('patient', ['QueryRetrieveLevel=PATIENT', 'PatientSex=F', 'PatientID'], T.PatientID), ['PID2', 'PID4']);
  assert.deepEqual(await values('patient', ['QueryRetrieveLevel=PATIENT', 'PatientBirthDate=-19800202', 'PatientID'], T.PatientID), ['PID1', 'PID2']);
});

test('universal matching: empty and * match everything, including empty stored values', async () => {
  assert.equal((await find('study', ['QueryRetrieveLevel=STUDY', 'StudyDate'])).length, 5);
  assert.equal((await find('study', ['QueryRetrieveLevel=STUDY', 'StudyDate=*'])).length, 5);
  const r = await find('study', ['QueryRetrieveLevel=STUDY', 'StudyDate', 'StudyInstanceUID=1.2.4']);
  assert.equal(get(r[0], T.StudyDate), '', 'empty attributes are returned empty');
  assert.equal((await find('study', ['QueryRetrieveLevel=STUDY', 'StudyDate=20000101-'])).length, 4, 'a range does not match an empty date');
});

test('hierarchical rules: unique keys above the level need one single value', async () => {
  await rejects('patient', ['QueryRetrieveLevel=STUDY', 'StudyDate'], 0xa900, /PatientID.*single value at STUDY/);
  await rejects('patient', ['QueryRetrieveLevel=STUDY', 'PatientID=PID*'], 0xa900, /PatientID/);
  await rejects('patient', ['QueryRetrieveLevel=SERIES', 'PatientID=PID1'], 0xa900, /StudyInstanceUID/);
  await rejects('study', ['QueryRetrieveLevel=SERIES', 'StudyInstanceUID=1.2.1\\1.2.2'], 0xa900, /StudyInstanceUID/);
  await rejects('study', ['QueryRetrieveLevel=IMAGE', 'StudyInstanceUID=1.2.1'], 0xa900, /SeriesInstanceUID/);
  await rejects('study', ['PatientName=x'], 0xa900, /Level \(0008,0052\) missing/);
  await rejects('study', ['QueryRetrieveLevel=PATIENT'], 0xa900, /PATIENT not in this/);
  await rejects('patientStudyOnly', ['QueryRetrieveLevel=SERIES', 'PatientID=PID1', 'StudyInstanceUID=1.2.1'], 0xa900, /SERIES not in/);
  await rejects('patient', ['QueryRetrieveLevel=STUDY', 'PatientID=PID1', 'SeriesInstanceUID=1.2.1.1'], 0xa900, /SeriesInstanceUID is below the STUDY/);
  // Relational queries (extended negotiation) may leave them out.
  const r = await engine.findAll('patient', identifierFromKeys(['QueryRetrieveLevel=SERIES', 'Modality=CR']), { relational: true });
  assert.deepEqual(r.map((x) => [get(x, T.PatientID), get(x, T.StudyUID), get(x, T.SeriesUID)]), [['PID2', '1.2.3', '1.2.3.1'], ['PID2', '1.2.3', '1.2.3.2']],
    'unique keys down to the level are returned even when not asked for');
});

test('STUDY level in both models: dates, ranges, accession, UID lists, PN, computed attributes', async () => {
  const uids = (model: QueryModel, keys: string[]) => values(model, ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', ...keys], T.StudyUID);
  assert.deepEqual(await uids('patient', ['PatientID=PID1']), ['1.2.1', '1.2.2']);
  assert.deepEqual(await uids('patient', ['PatientID=PID1', 'StudyDate=20260101-']), ['1.2.1']);
  assert.deepEqual(await uids('patientStudyOnly', ['PatientID=PID1', 'StudyDate=-20251231']), ['1.2.2']);
  assert.deepEqual(await uids('study', ['StudyDate=20260101-20260131']), ['1.2.1', '1.2.5']);
  assert.deepEqual(await uids('study', ['StudyDate=20260201']), ['1.2.3']);
  assert.deepEqual(await uids('study', ['StudyDate=20260105\\20260201']), ['1.2.1', '1.2.3']);
  assert.deepEqual(await uids('study', ['StudyTime=1000-1200']), ['1.2.1', '1.2.5'], '1200 includes 12:00:00');
  assert.deepEqual(await uids('study', ['StudyTime=2359']), ['1.2.2'], 'a single time names its minute');
  assert.deepEqual(await uids('study', ['StudyTime=-0800']), ['1.2.3']);
  assert.deepEqual(await uids('study', ['AccessionNumber=A[3]']), ['1.2.3'], 'GLOB metacharacters are literal');
  assert.deepEqual(await uids('study', ['AccessionNumber=A?']), ['1.2.1', '1.2.2', '1.2.4', '1.2.5']);
  assert.deepEqual(await uids('study', ['AccessionNumber=A[*']), ['1.2.3']);
  assert.deepEqual(await uids('study', ['StudyInstanceUID=1.2.5\\1.2.2\\9.9']), ['1.2.2', '1.2.5']);
  assert.deepEqual(await uids('study', ['StudyDescription=*e*']), ['1.2.1', '1.2.2', '1.2.3']);
  assert.deepEqual(await uids('study', ['StudyDescription=chest ct']), [], 'LO is case-sensitive');
  assert.deepEqual(await uids('study', ['ReferringPhysicianName=HOUSE*']), ['1.2.1', '1.2.3'], 'PN ignores case');
  assert.deepEqual(await uids('study', ['PatientName=müller*']), ['1.2.4']);
  assert.deepEqual(await uids('study', ['ModalitiesInStudy=MR']), ['1.2.1', '1.2.2', '1.2.5']);
  assert.deepEqual(await uids('study', ['ModalitiesInStudy=CR\\US']), ['1.2.3', '1.2.4']);
  assert.deepEqual(await uids('study', ['Modality=CT']), ['1.2.1'], 'Modality at STUDY level means ModalitiesInStudy');
  const [s] = await find('study', ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID=1.2.1', 'ModalitiesInStudy', 'NumberOfStudyRelatedSeries',
    'NumberOfStudyRelatedInstances', 'SOPClassesInStudy', 'PatientName', 'Modality', 'InstanceAvailability', 'RetrieveAETitle']);
  assert.equal(get(s, T.Modalities), 'CT\\MR');
  assert.equal(get(s, 0x00201206), '2');
  assert.equal(get(s, 0x00201208), '3');
  assert.equal(get(s, 0x00080062), `1.2.840.10008.5.1.4.1.1.2\\${MR_CLASS}`);
  assert.equal(get(s, T.PatientName), 'Doe^John', 'Study Root STUDY level carries patient attributes');
  assert.equal(get(s, T.Modality), '', 'a lower-level return key is returned empty');
  assert.equal(get(s, 0x00080056), 'ONLINE');
  assert.equal(get(s, 0x00080054), '');
  assert.equal(get(s, T.Level), 'STUDY');
  assert.equal(s.find((e) => e.tag === T.Charset), undefined, 'ASCII answers need no Specific Character Set');
});

test('combined date-time range matching of Study Date + Study Time (C.2.2.2.5.4) only when negotiated', async () => {
  const uids = async (keys: string[], combinedDateTime?: boolean) =>
    (await engine.findAll('study', identifierFromKeys(['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', ...keys]), { combinedDateTime })).map((r) => get(r, T.StudyUID));
  // 2025-12-31 23:00 up to 2026-01-05 11:00: 1.2.2 (Dec 31 23:59) and 1.2.1 (Jan 5 10:15).
  assert.deepEqual(await uids(['StudyDate=20251231-20260105', 'StudyTime=2300-1100'], true), ['1.2.1', '1.2.2']);
  // Baseline (no extended negotiation): two separate ranges, and no time of day lies in 23:00-11:00.
  assert.deepEqual(await uids(['StudyDate=20251231-20260105', 'StudyTime=2300-1100']), []);
  assert.deepEqual(await uids(['StudyDate=20260105-20260201', 'StudyTime=1200-0900'], true), ['1.2.3', '1.2.5']);
  assert.deepEqual(await uids(['StudyDate=20260110-', 'StudyTime=1100-'], true), ['1.2.3', '1.2.5'], 'from Jan 10 11:00 on');
  assert.deepEqual(await uids(['StudyDate=20260110-', 'StudyTime=1100-']), ['1.2.5']);
  assert.deepEqual(await uids(['StudyDate=-20260105', 'StudyTime=-1000'], true), ['1.2.2'], 'up to Jan 5 10:00');
  assert.deepEqual(await uids(['StudyDate=-20260105', 'StudyTime=-1000']), []);
  // Different forms, or a single date: each key on its own, as without negotiation.
  assert.deepEqual(await uids(['StudyDate=20260101-20260131', 'StudyTime=1100-'], true), ['1.2.5']);
  assert.deepEqual(await uids(['StudyDate=20260105', 'StudyTime=1000-1100'], true), ['1.2.1']);
  // The study without date or time never matches a combined range.
  assert.ok(!(await uids(['StudyDate=19000101-20991231', 'StudyTime=0000-2359'], true)).includes('1.2.4'));
});

test('SERIES and IMAGE levels', async () => {
  const series = (model: QueryModel, keys: string[]) => values(model, ['QueryRetrieveLevel=SERIES', 'SeriesInstanceUID', ...keys], T.SeriesUID);
  assert.deepEqual(await series('study', ['StudyInstanceUID=1.2.1']), ['1.2.1.1', '1.2.1.2']);
  assert.deepEqual(await series('patient', ['PatientID=PID1', 'StudyInstanceUID=1.2.1', 'Modality=MR']), ['1.2.1.2']);
  assert.deepEqual(await series('study', ['StudyInstanceUID=1.2.1', 'Modality=mr']), []);
  assert.deepEqual(await series('study', ['StudyInstanceUID=1.2.3', 'SeriesNumber=2']), ['1.2.3.2']);
  assert.deepEqual(await series('study', ['StudyInstanceUID=1.2.3', 'SeriesDescription=L*']), ['1.2.3.2']);
  assert.deepEqual(await series('study', ['StudyInstanceUID=1.2.3', 'SeriesInstanceUID=1.2.3.2\\1.2.3.1']), ['1.2.3.1', '1.2.3.2']);
  const [se] = await find('study', ['QueryRetrieveLevel=SERIES', 'StudyInstanceUID=1.2.5', 'NumberOfSeriesRelatedInstances', 'Modality', 'StudyDate']);
  assert.equal(get(se, 0x00201209), '2');
  assert.equal(get(se, T.Modality), 'MR');
  assert.equal(get(se, T.StudyDate), '20260110', 'higher-level keys are returned at lower levels');
  assert.equal(get(se, T.StudyUID), '1.2.5');

  const images = (keys: string[]) => values('study', ['QueryRetrieveLevel=IMAGE', 'StudyInstanceUID=1.2.1', 'SeriesInstanceUID=1.2.1.1', 'SOPInstanceUID', ...keys], T.SopUID);
  assert.deepEqual(await images([]), ['1.2.1.1.1', '1.2.1.1.2']);
  assert.deepEqual(await images(['InstanceNumber=2']), ['1.2.1.1.2']);
  assert.deepEqual(await images(['SOPInstanceUID=1.2.1.1.2\\1.2.1.1.1']), ['1.2.1.1.1', '1.2.1.1.2']);
  assert.deepEqual(await images([`SOPClassUID=${MR_CLASS}`]), []);
  const [img] = await find('patient', ['QueryRetrieveLevel=IMAGE', 'PatientID=PID4', 'StudyInstanceUID=1.2.5', 'SeriesInstanceUID=1.2.5.1',
    'InstanceNumber=2', 'Rows', 'Columns', 'SOPClassUID', 'AvailableTransferSyntaxUID']);
  assert.equal(get(img, 0x00280010), '256');
  assert.equal(get(img, 0x00280011), '258');
  assert.equal(img.find((e) => e.tag === 0x00280010)!.vr, 'US');
  assert.equal(get(img, 0x00080016), MR_CLASS);
  assert.equal(get(img, 0x00083002), '1.2.840.10008.1.2.1');
  // The response encodes (US as binary) and decodes back.
  assert.deepEqual(decodeIdentifier(encodeIdentifier(img, '1.2.840.10008.1.2'), '1.2.840.10008.1.2'), img);
});

test('non-ASCII answers carry ISO_IR 192 (or ISO_IR 100 when asked and enough) and encode', async () => {
  const [r] = await find('study', ['QueryRetrieveLevel=STUDY', 'PatientName=MÜLLER^JÜRGEN']);
  assert.equal(get(r, T.PatientName), 'Müller^Jürgen');
  assert.equal(get(r, T.Charset), 'ISO_IR 192');
  const bytes = encodeIdentifier(r, '1.2.840.10008.1.2.1');
  assert.ok(bytes.includes(Buffer.from('Müller^Jürgen', 'utf8')));
  const [l] = await find('study', ['SpecificCharacterSet=ISO_IR 100', 'QueryRetrieveLevel=STUDY', 'PatientName=M?ller*']);
  assert.equal(get(l, T.Charset), 'ISO_IR 100');
  const [a] = await find('study', ['SpecificCharacterSet=ISO_IR 100', 'QueryRetrieveLevel=STUDY', 'PatientName=Smith*']);
  assert.equal(get(a, T.Charset), 'ISO_IR 100', 'the request charset is echoed for ASCII answers');
});

test('paging returns every match in order; an aborted signal stops at the next response', async () => {
  const small = new QueryEngine(index, { pageSize: 2 });
  const all = await small.findAll('patient', identifierFromKeys(['QueryRetrieveLevel=PATIENT', 'PatientID']));
  assert.deepEqual(all.map((r) => get(r, T.PatientID)), ['PID1', 'PID2', 'PID3', 'PID4']);
  const ac = new AbortController();
  const got: string[] = [];
  for await (const r of small.find('study', identifierFromKeys(['QueryRetrieveLevel=STUDY', 'StudyInstanceUID']), ac.signal)) {
    got.push(get(r, T.StudyUID)!);
    if (got.length === 3) ac.abort();
  }
  assert.deepEqual(got, ['1.2.1', '1.2.2', '1.2.3']);
});

test('resolveRetrieve: unique keys down to the level, UID lists, errors', async () => {
  const uids = async (model: QueryModel, keys: string[]) => (await engine.resolveRetrieve(model, identifierFromKeys(keys))).instances.map((i) => i.sopInstanceUid);
  assert.deepEqual(await uids('study', ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID=1.2.5\\1.2.3']), ['1.2.3.1.1', '1.2.3.2.1', '1.2.5.1.1', '1.2.5.1.2']);
  assert.deepEqual(await uids('patient', ['QueryRetrieveLevel=PATIENT', 'PatientID=PID1']), ['1.2.1.1.1', '1.2.1.1.2', '1.2.1.2.1', '1.2.2.1.1']);
  assert.deepEqual(await uids('patientStudyOnly', ['QueryRetrieveLevel=STUDY', 'PatientID=PID1', 'StudyInstanceUID=1.2.2']), ['1.2.2.1.1']);
  assert.deepEqual(await uids('patient', ['QueryRetrieveLevel=STUDY', 'PatientID=PID2', 'StudyInstanceUID=1.2.1']), [], 'the study is not this patient\'s');
  assert.deepEqual(await uids('study', ['QueryRetrieveLevel=SERIES', 'StudyInstanceUID=1.2.1', 'SeriesInstanceUID=1.2.1.2']), ['1.2.1.2.1']);
  assert.deepEqual(await uids('study', ['QueryRetrieveLevel=IMAGE', 'StudyInstanceUID=1.2.1', 'SeriesInstanceUID=1.2.1.1', 'SOPInstanceUID=1.2.1.1.2']), ['1.2.1.1.2']);
  const [one] = (await new QueryEngine(index, { root: '/store' }).resolveRetrieve('study', identifierFromKeys(['QueryRetrieveLevel=IMAGE', 'StudyInstanceUID=1.2.5', 'SeriesInstanceUID=1.2.5.1', 'SOPInstanceUID=1.2.5.1.2']))).instances;
  assert.deepEqual(one, {
    sopClassUid: MR_CLASS, sopInstanceUid: '1.2.5.1.2', path: '/store/1.2.5.1.2.dcm', relPath: '1.2.5.1.2.dcm',
    transferSyntaxUid: '1.2.840.10008.1.2.1', dataSetOffset: 0, size: 1000,
  });
  const bad = (model: QueryModel, keys: string[], re: RegExp) => assert.rejects(engine.resolveRetrieve(model, identifierFromKeys(keys)), (e: unknown) => e instanceof QueryError && e.status === 0xa900 && re.test(e.errorComment));
  await bad('study', ['QueryRetrieveLevel=STUDY'], /StudyInstanceUID needs a value/);
  await bad('study', ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID=1.2.*'], /StudyInstanceUID/);
  await bad('patient', ['QueryRetrieveLevel=PATIENT', 'PatientID=PID1\\PID2'], /PatientID/);
  await bad('patient', ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID=1.2.1'], /PatientID.*single value/);
  await bad('study', ['QueryRetrieveLevel=FOO', 'StudyInstanceUID=1.2.1'], /FOO not in/);
});

test('index failures become C000 Unable to process', async () => {
  const db = fixtureIndex();
  const e = new QueryEngine(db);
  db.close();
  await assert.rejects(e.findAll('study', identifierFromKeys(['QueryRetrieveLevel=STUDY'])), (err: unknown) => err instanceof QueryError && err.status === 0xc000);
});
