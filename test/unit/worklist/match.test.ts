import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, type Identifier } from '../../../src/dicom/identifier';
import { QueryError } from '../../../src/store/query';
import { answer, itemMatches, validateQuery } from '../../../src/worklist/match';
import { item, query } from './items';

const PN = 0x00100010, PID = 0x00100020, ACC = 0x00080050, RP = 0x00401001, SPS = 0x00400100;
const MOD = 0x00080060, AE = 0x00400001, DATE = 0x00400002, TIME = 0x00400003, PERF = 0x00400006, STEP = 0x00400009;

const matches = (q: Identifier, it = item()): boolean => itemMatches(q, it);

test('Scheduled Station AE Title and Modality match inside the Scheduled Procedure Step item', () => {
  assert.equal(matches(query({}, { [AE]: 'CT1', [MOD]: 'CT' })), true);
  assert.equal(matches(query({}, { [AE]: 'CT2' })), false);
  assert.equal(matches(query({}, { [MOD]: 'MR' })), false);
  // Both keys must hold for the same item (PS3.4 C.2.2.2.6).
  assert.equal(matches(query({}, { [AE]: 'CT1', [MOD]: 'MR' })), false);
});

test('start date: single value and ranges (C.2.2.2.5); start time ranges', () => {
  assert.equal(matches(query({}, { [DATE]: '20240102' })), true);
  assert.equal(matches(query({}, { [DATE]: '20240103' })), false);
  assert.equal(matches(query({}, { [DATE]: '20240101-20240102' })), true);
  assert.equal(matches(query({}, { [DATE]: '20240103-' })), false);
  assert.equal(matches(query({}, { [DATE]: '-20240102' })), true);
  assert.equal(matches(query({}, { [TIME]: '1000-1100' })), true);
  assert.equal(matches(query({}, { [TIME]: '1100-' })), false);
});

test('start date and time ranges together are one period (Table K.6-1 remark on (0040,0003), C.2.2.2.5.4)', () => {
  const at = (date: string, time: string) => item({ date, time });
  // July 5 to July 7 with 10am to 6pm = July 5 10:00 up to July 7 18:00, not 10-18 on each day.
  const q = query({}, { [DATE]: '20240705-20240707', [TIME]: '1000-1800' });
  assert.equal(matches(q, at('20240705', '1000')), true);
  assert.equal(matches(q, at('20240705', '2300')), true, 'the evening of the first day');
  assert.equal(matches(q, at('20240706', '0300')), true, 'the night in between');
  assert.equal(matches(q, at('20240707', '180059')), true);
  assert.equal(matches(q, at('20240705', '0959')), false);
  assert.equal(matches(q, at('20240707', '1801')), false);
  assert.equal(matches(q, at('20240708', '1200')), false);
  // Open ranges of the same form combine too.
  assert.equal(matches(query({}, { [DATE]: '20240705-', [TIME]: '1200-' }), at('20240706', '0800')), true);
  assert.equal(matches(query({}, { [DATE]: '-20240705', [TIME]: '-1200' }), at('20240705', '1300')), false);
  assert.equal(matches(query({}, { [DATE]: '-20240705', [TIME]: '-1200' }), at('20240704', '1300')), true);
  // A single date, or ranges of different forms: each key on its own.
  assert.equal(matches(query({}, { [DATE]: '20240705', [TIME]: '1000-1800' }), at('20240705', '2300')), false);
  assert.equal(matches(query({}, { [DATE]: '20240705-20240707', [TIME]: '1000-' }), at('20240706', '0900')), false);
  assert.equal(matches(query({}, { [DATE]: '20240705-20240707', [TIME]: '1000-' }), at('20240706', '1100')), true);
  // A time range "ending before it starts" is meaningful across days.
  assert.equal(matches(query({}, { [DATE]: '20240705-20240706', [TIME]: '2000-0600' }), at('20240706', '0100')), true);
  assert.doesNotThrow(() => validateQuery(query({}, { [DATE]: '20240705-20240706', [TIME]: '2000-0600' })));
});

test('the response of a period query holds the steps inside the period, with their date and time', () => {
  const q = query({ [PN]: '' }, { [DATE]: '20240705-20240707', [TIME]: '1000-1800', [STEP]: '' });
  const a = answer(q, item({ date: '20240706', time: '0300' }));
  assert.equal(a.kind, 'match');
  const sps = (a as { response: Identifier }).response.find((e) => e.tag === SPS)!.value as Identifier[];
  assert.deepEqual(sps.map((s) => [get(s, DATE), get(s, TIME), get(s, STEP)]), [['20240706', '0300', 'SPS1']]);
  // Two steps, one of them (July 5 09:00) before the period: only the other is returned.
  const two = item();
  const spsEl = two.find((e) => e.tag === SPS)!;
  const [step] = spsEl.value as Identifier[];
  const early = step.map((e) => (e.tag === DATE ? { ...e, value: '20240705' } : e.tag === TIME ? { ...e, value: '0900' } : e.tag === STEP ? { ...e, value: 'EARLY' } : e));
  const late = step.map((e) => (e.tag === DATE ? { ...e, value: '20240707' } : e.tag === TIME ? { ...e, value: '0800' } : e.tag === STEP ? { ...e, value: 'LATE' } : e));
  spsEl.value = [early, late];
  const b = answer(q, two) as { kind: string; response: Identifier };
  assert.equal(b.kind, 'match');
  assert.deepEqual((b.response.find((e) => e.tag === SPS)!.value as Identifier[]).map((s) => get(s, STEP)), ['LATE']);
});

test('Patient Name: wildcards, case-insensitive; Patient ID wildcards; performing physician', () => {
  assert.equal(matches(query({ [PN]: 'doe*' })), true);
  assert.equal(matches(query({ [PN]: 'D?E^JOHN' })), true);
  assert.equal(matches(query({ [PN]: 'SMITH*' })), false);
  assert.equal(matches(query({ [PID]: 'P*' })), true);
  assert.equal(matches(query({ [PID]: 'X*' })), false);
  assert.equal(matches(query({}, { [PERF]: 'perf*' })), true);
});

test('Accession Number and Requested Procedure ID: single value; empty is universal', () => {
  assert.equal(matches(query({ [ACC]: 'ACC1', [RP]: 'RP1' })), true);
  assert.equal(matches(query({ [ACC]: 'ACC2' })), false);
  assert.equal(matches(query({ [RP]: '' , [ACC]: '' })), true);
});

test('the response holds exactly the requested keys, sequences reduced to the requested item keys', () => {
  const a = answer(query({ [PN]: '', [ACC]: '' }, { [MOD]: 'CT', [DATE]: '' }), item());
  assert.equal(a.kind, 'match');
  const r = (a as { response: Identifier }).response;
  assert.deepEqual(r.map((e) => e.tag), [ACC, PN, SPS]);
  const sps = (r.find((e) => e.tag === SPS)!.value as Identifier[]);
  assert.equal(sps.length, 1);
  assert.deepEqual(sps[0].map((e) => e.tag), [MOD, DATE]);
  assert.equal(get(sps[0], DATE), '20240102');
});

test('an empty sequence key returns the items whole; unknown Type 2 keys come back zero-length', () => {
  const q: Identifier = [{ tag: SPS, vr: 'SQ', value: [] }, { tag: 0x00100040, vr: 'CS', value: '' }];
  const a = answer(q, item());
  assert.equal(a.kind, 'match');
  const r = (a as { response: Identifier }).response;
  assert.equal(get(r, 0x00100040), '');
  const sps = r.find((e) => e.tag === SPS)!.value as Identifier[];
  assert.equal(sps[0].length, 6);
});

test('an item lacking a requested Type 1 key is not answered (incomplete), top level or in the step', () => {
  const noId = item().filter((e) => e.tag !== PID);
  const a = answer(query({ [PID]: '' }), noId);
  assert.deepEqual(a, { kind: 'incomplete', missing: '(0010,0020)' });
  const b = answer(query({}, { [STEP]: '' }), item({ step: '' }));
  assert.equal(b.kind, 'incomplete');
  assert.match((b as { missing: string }).missing, /\(0040,0009\)/);
  // Not requested: not checked.
  assert.equal(answer(query({ [PN]: '' }), noId).kind, 'match');
});

test('Specific Character Set is carried through from the item', () => {
  const it = item({ name: 'MÜLLER^JÖRG', charset: 'ISO_IR 100' });
  const a = answer(query({ [PN]: 'M*' }), it) as { kind: 'match'; response: Identifier };
  assert.equal(a.kind, 'match');
  assert.equal(get(a.response, 0x00080005), 'ISO_IR 100');
  assert.equal(get(a.response, PN), 'MÜLLER^JÖRG');
  const b = answer(query({ [PN]: '' }), item()) as { response: Identifier };
  assert.equal(get(b.response, 0x00080005), undefined, 'ASCII without a requested charset: none');
});

test('malformed identifiers are refused with A900 and the offending element', () => {
  const twoItems: Identifier = [{ tag: SPS, vr: 'SQ', value: [[], []] }];
  assert.throws(() => validateQuery(twoItems), (e: unknown) => e instanceof QueryError && e.status === 0xa900 && e.offendingElements[0] === SPS);
  assert.throws(() => validateQuery(query({}, { [DATE]: '2024-01-02' })), (e: unknown) => e instanceof QueryError && e.status === 0xa900 && /not a value or range/.test(e.errorComment));
  assert.throws(() => validateQuery(query({}, { [TIME]: 'noon' })), QueryError);
  validateQuery(query({ [PN]: 'A*' }, { [DATE]: '20240101-20240131', [TIME]: '0800-1200' }));
});
