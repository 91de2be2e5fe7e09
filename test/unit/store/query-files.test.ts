import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/tmp';
import { get, identifierFromKeys, type Identifier } from '../../../src/dicom/identifier';
import { IndexDb, type InstanceRow } from '../../../src/store/index-db';
import { parseHeader } from '../../../src/store/header';
import { buildFileMeta } from '../../../src/store/part10';
import { QueryEngine } from '../../../src/store/query';
import { CT, EVR_BE, EVR_LE, IVR_LE, sampleDataSet, type El } from './ds-builder';

const BODY_PART = 0x00180015;
const PROC_CODE = 0x00081032;
const PPS_DESC = 0x00400254;

function code(value: string, meaning: string | Buffer): El[] {
  return [{ tag: 0x00080100, vr: 'SH', value }, { tag: 0x00080102, vr: 'SH', value: 'L' }, { tag: 0x00080104, vr: 'LO', value: meaning }];
}

/** Series Date / Series Time (not in the index: matched on the file). */
function seriesWhen(date: string, time: string): El[] {
  return [{ tag: 0x00080021, vr: 'DA', value: date }, { tag: 0x00080031, vr: 'TM', value: time }];
}

interface Spec { sop: string; study: string; series: string; pid: string; ts: string; extra: El[]; charset?: string }

const SPECS: Spec[] = [
  {
    sop: '1.9.1', study: '1.9.100', series: '1.9.100.1', pid: 'PID1', ts: EVR_LE, charset: 'ISO_IR 100',
    extra: [{ tag: BODY_PART, vr: 'CS', value: 'CHEST' }, { tag: PROC_CODE, vr: 'SQ', value: [code('P1', 'One'), code('P2', Buffer.from('\xc4rztlich', 'latin1'))] }, ...seriesWhen('20240130', '2300')],
  },
  {
    sop: '1.9.2', study: '1.9.200', series: '1.9.200.1', pid: 'PID2', ts: EVR_BE,
    extra: [{ tag: BODY_PART, vr: 'CS', value: 'HEAD' }, { tag: PROC_CODE, vr: 'SQ', undefinedLength: true, value: [code('P3', 'Three')] }, ...seriesWhen('20240201', '0800')],
  },
  {
    // Implicit VR, a 150 KB element before the wanted one: the reader must grow its prefix.
    sop: '1.9.3', study: '1.9.100', series: '1.9.100.1', pid: 'PID1', ts: IVR_LE,
    extra: [{ tag: BODY_PART, vr: 'CS', value: 'CHEST' }, { tag: 0x00291010, vr: 'OB', value: Buffer.alloc(150_000, 7) }, { tag: PPS_DESC, vr: 'LO', value: 'after the blob' }],
  },
];

async function setup(t: { after(fn: () => unknown): void }): Promise<{ root: string; index: IndexDb }> {
  const root = await tmpDir('query-files-', t);
  const index = IndexDb.open(':memory:');
  for (const s of SPECS) {
    const ds = sampleDataSet(s.ts, { sopInstanceUid: s.sop, studyUid: s.study, seriesUid: s.series, patientId: s.pid, charset: s.charset, extra: s.extra });
    const meta = buildFileMeta({ mediaStorageSopClassUid: CT, mediaStorageSopInstanceUid: s.sop, transferSyntaxUid: s.ts, implementationClassUid: '1.2.3' });
    await writeFile(join(root, `${s.sop}.dcm`), Buffer.concat([meta, ds]));
    const h = parseHeader(ds, s.ts, ds.length);
    assert.equal(h.kind, 'ok');
    if (h.kind !== 'ok') continue;
    const row: InstanceRow = {
      ...h.header, sopInstanceUid: s.sop, sopClassUid: CT, studyInstanceUid: s.study, seriesInstanceUid: s.series, transferSyntaxUid: s.ts,
      size: meta.length + ds.length, dataSetOffset: meta.length, path: `${s.sop}.dcm`, callingAe: null, calledAe: null, receivedAt: '2026-01-01T00:00:00Z',
    };
    index.upsertInstance(row);
  }
  return { root, index };
}

const find = (e: QueryEngine, keys: string[]): Promise<Identifier[]> => e.findAll('study', identifierFromKeys(keys));

test('return keys the index lacks come from a stored file of the level', async (t) => {
  const { root, index } = await setup(t);
  const e = new QueryEngine(index, { root });
  const r = await find(e, ['QueryRetrieveLevel=SERIES', 'StudyInstanceUID=1.9.100', 'BodyPartExamined', '(0009,1001)', 'ProtocolName', 'Modality']);
  assert.equal(r.length, 1);
  assert.equal(get(r[0], BODY_PART), 'CHEST');
  assert.equal(get(r[0], 0x00091001), 'secret private value');
  assert.equal(get(r[0], 0x00181030), '', 'absent in the file: returned empty');
  assert.equal(get(r[0], 0x00080060), 'CT');
  const [img] = await find(e, ['QueryRetrieveLevel=IMAGE', 'StudyInstanceUID=1.9.100', 'SeriesInstanceUID=1.9.100.1', 'SOPInstanceUID=1.9.3', 'PerformedProcedureStepDescription']);
  assert.equal(get(img, PPS_DESC), 'after the blob');
});

test('matching on file attributes, with wildcards and sequence matching (C.2.2.2.6)', async (t) => {
  const { root, index } = await setup(t);
  const e = new QueryEngine(index, { root });
  const studies = async (keys: string[]) => (await find(e, ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', ...keys])).map((r) => get(r, 0x0020000d));
  assert.deepEqual(await studies(['BodyPartExamined=HEAD']), ['1.9.200']);
  assert.deepEqual(await studies(['BodyPartExamined=CH*']), ['1.9.100']);
  assert.deepEqual(await studies(['BodyPartExamined=head']), []);
  assert.deepEqual(await studies(['ProcedureCodeSequence[0].CodeValue=P2']), ['1.9.100']);
  assert.deepEqual(await studies(['ProcedureCodeSequence[0].CodeValue=P?']), ['1.9.100', '1.9.200']);
  assert.deepEqual(await studies(['ProcedureCodeSequence[0].CodeValue=P9']), []);

  const [m] = await find(e, ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID=1.9.100', 'ProcedureCodeSequence[0].CodeValue=P2', 'ProcedureCodeSequence[0].CodeMeaning']);
  assert.deepEqual(m.find((x) => x.tag === PROC_CODE)!.value, [[{ tag: 0x00080100, vr: 'SH', value: 'P2' }, { tag: 0x00080104, vr: 'LO', value: 'Ärztlich' }]],
    'only matching items, reduced to the requested keys');
  assert.equal(get(m, 0x00080005), 'ISO_IR 192', 'Latin-1 text from the file is answered in UTF-8');
  const [whole] = await find(e, ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID=1.9.200', 'ProcedureCodeSequence']);
  const items = whole.find((x) => x.tag === PROC_CODE)!.value as Identifier[];
  assert.equal(items.length, 1);
  assert.deepEqual(items[0].map((x) => x.value), ['P3', 'L', 'Three'], 'an empty sequence key returns the items whole');
});

test('unreadable files give empty return keys and no match on file filters; files are read once per entity', async (t) => {
  const { root, index } = await setup(t);
  const reads: string[] = [];
  const e = new QueryEngine(index, {
    readFile: async (rel) => {
      reads.push(rel);
      if (rel === '1.9.2.dcm') throw new Error('gone');
      return readFile(join(root, rel));
    },
  });
  const r = await find(e, ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', 'BodyPartExamined', 'StudyDescription']);
  assert.deepEqual(r.map((x) => [get(x, 0x0020000d), get(x, BODY_PART)]), [['1.9.100', 'CHEST'], ['1.9.200', '']]);
  assert.deepEqual(reads.sort(), ['1.9.1.dcm', '1.9.2.dcm']);
  assert.deepEqual((await find(e, ['QueryRetrieveLevel=STUDY', 'BodyPartExamined=HEAD'])).length, 0);
  // Without a root or reader, file keys are simply empty.
  const bare = await find(new QueryEngine(index), ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID=1.9.100', 'BodyPartExamined']);
  assert.equal(get(bare[0], BODY_PART), '');
});

test('combined date-time matching of a pair read from the files (C.2.2.2.5.4), only when asked for', async (t) => {
  const { root, index } = await setup(t);
  const e = new QueryEngine(index, { root });
  const series = async (keys: string[], combinedDateTime: boolean) =>
    (await e.findAll('study', identifierFromKeys(['QueryRetrieveLevel=SERIES', 'SeriesInstanceUID', ...keys]), { relational: true, combinedDateTime }))
      .map((r) => get(r, 0x0020000e));
  // 2024-01-30 22:00 up to 2024-02-01 09:00: both series; as separate ranges, 22:00-09:00 holds no time of day.
  assert.deepEqual(await series(['SeriesDate=20240130-20240201', 'SeriesTime=2200-0900'], true), ['1.9.100.1', '1.9.200.1']);
  assert.deepEqual(await series(['SeriesDate=20240130-20240201', 'SeriesTime=2200-0900'], false), []);
  // From 2024-01-31 09:00: the 2024-02-01 08:00 series; separately its 08:00 is before 09:00.
  assert.deepEqual(await series(['SeriesDate=20240131-', 'SeriesTime=0900-'], true), ['1.9.200.1']);
  assert.deepEqual(await series(['SeriesDate=20240131-', 'SeriesTime=0900-'], false), []);
  // Ranges of different forms are matched each on its own.
  assert.deepEqual(await series(['SeriesDate=20240130-20240201', 'SeriesTime=2200-'], true), ['1.9.100.1']);
});
