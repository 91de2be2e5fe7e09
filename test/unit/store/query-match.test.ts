import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  combinedPairs, combinedRange, combinedSql, dateTimeBound, isSingleValue, isUniversal, isUniversalValue, matchesCombined, matchesItem,
  matchesValue, parseRange, rangeForm, sqlCondition, timeBound, toGlob,
} from '../../../src/store/query-match';
import { parseFindExtendedRequest } from '../../../src/store/query';
import { INDEXED_KEYS } from '../../../src/store/query-keys';

test('universal, single and wildcard values (C.2.2.2.3, C.2.2.2.4)', () => {
  assert.ok(isUniversal('') && isUniversal('*') && isUniversal('***'));
  assert.ok(!isUniversal('*A'));
  assert.ok(isSingleValue('1.2.3') && !isSingleValue('1.2*') && !isSingleValue('a\\b') && !isSingleValue(''));
  assert.equal(toGlob('A[1]*?'), 'A[[]1]*?');
  assert.ok(isUniversalValue([]) && isUniversalValue([[]]) && isUniversalValue([[{ tag: 1, vr: 'SH', value: '' }]]));
  assert.ok(!isUniversalValue([[{ tag: 1, vr: 'SH', value: 'x' }]]));
});

test('ranges and time bounds (C.2.2.2.5)', () => {
  assert.deepEqual(parseRange('20260101-'), { low: '20260101', high: null });
  assert.deepEqual(parseRange('-20261231'), { low: null, high: '20261231' });
  assert.deepEqual(parseRange('20260101-20261231'), { low: '20260101', high: '20261231' });
  assert.deepEqual(parseRange('20260101'), { low: '20260101', high: '20260101' });
  assert.equal(timeBound('10', false), '100000');
  assert.equal(timeBound('10', true), '105959');
  assert.equal(timeBound('1015', true), '101559');
  assert.equal(timeBound('10:15:30.25', false), '101530');
  assert.equal(dateTimeBound('2026', false), '20260101000000');
  assert.equal(dateTimeBound('202602', true), '20260231235959');
  assert.equal(dateTimeBound('20260105123000.5+0100', false), '20260105123000');
});

test('SQL conditions bind values as parameters', () => {
  const key = (tag: number) => INDEXED_KEYS.get(tag)!;
  assert.equal(sqlCondition(key(0x00100010), ''), null);
  assert.equal(sqlCondition(key(0x00100010), '*'), null);
  assert.deepEqual(sqlCondition(key(0x00100010), 'doe^j*^^'), { sql: 'p.patient_name_norm GLOB ?', params: ['DOE^J*'] });
  assert.deepEqual(sqlCondition(key(0x00100010), '=山田'), { sql: '1', params: [] });
  assert.deepEqual(sqlCondition(key(0x0020000d), '1.2\\1.3'), { sql: 'st.study_uid IN (?, ?)', params: ['1.2', '1.3'] });
  assert.deepEqual(sqlCondition(key(0x00080020), '20260101-'), { sql: '(st.study_date >= ?)', params: ['20260101'] });
  assert.deepEqual(sqlCondition(key(0x00080050), "x' OR 1=1 --"), { sql: 'st.accession_number = ?', params: ["x' OR 1=1 --"] });
  assert.deepEqual(sqlCondition(key(0x00200011), '3'), { sql: 'se.series_number = ?', params: [3] });
  const mod = sqlCondition(key(0x00080061), 'CT\\MR')!;
  assert.match(mod.sql, /^EXISTS \(SELECT 1 FROM series se2 WHERE se2.study_fk = st.id AND \(se2.modality = \? OR se2.modality = \?\)\)$/);
  assert.deepEqual(mod.params, ['CT', 'MR']);
});

test('JavaScript matching of file values', () => {
  assert.ok(matchesValue('CS', 'CHEST', 'CHEST'));
  assert.ok(!matchesValue('CS', 'chest', 'CHEST'));
  assert.ok(matchesValue('CS', 'CH*', 'CHEST'));
  assert.ok(matchesValue('CS', 'C?EST', 'CHEST'));
  assert.ok(!matchesValue('CS', 'C.EST', 'CHEST'), 'regex metacharacters are literal');
  assert.ok(matchesValue('CS', 'B\\CHEST', 'CHEST'), 'a query list matches any value');
  assert.ok(matchesValue('CS', 'MR', 'CT\\MR'), 'a multi-valued attribute matches on any value');
  assert.ok(!matchesValue('CS', 'CT', ''), 'empty stored values match only universal queries');
  assert.ok(!matchesValue('CS', 'CT', undefined));
  assert.ok(matchesValue('CS', '', undefined));
  assert.ok(matchesValue('PN', 'müller^*', 'Müller^Jürgen=ミュラー'));
  assert.ok(matchesValue('UI', '1.2\\1.3', '1.3'));
  assert.ok(!matchesValue('UI', '1.*', '1.3'), 'no wildcards in UIDs');
  assert.ok(matchesValue('DA', '20260101-20260131', '20260115'));
  assert.ok(!matchesValue('DA', '20260101-20260131', '20260201'));
  assert.ok(matchesValue('DA', '-20260101', '20251231'));
  assert.ok(matchesValue('TM', '1000-1100', '110059.5'));
  assert.ok(!matchesValue('TM', '1000-1100', '110100'));
  assert.ok(matchesValue('DT', '2026', '20260615120000'));
  assert.ok(matchesValue('DT', '20260101-', '20260615120000+0200'));
  assert.ok(!matchesValue('DT', '-2025', '20260101'));
  const seq = [[{ tag: 0x00080100, vr: 'SH', value: 'P1' }], [{ tag: 0x00080100, vr: 'SH', value: 'P2' }, { tag: 0x00080102, vr: 'SH', value: 'L' }]];
  assert.ok(matchesValue('SQ', [[{ tag: 0x00080100, vr: 'SH', value: 'P2' }, { tag: 0x00080102, vr: 'SH', value: 'L' }]], seq));
  assert.ok(!matchesValue('SQ', [[{ tag: 0x00080100, vr: 'SH', value: 'P1' }, { tag: 0x00080102, vr: 'SH', value: 'L' }]], seq), 'all keys in one item');
  assert.ok(matchesValue('SQ', [], undefined));
  assert.ok(!matchesValue('SQ', [[{ tag: 0x00080100, vr: 'SH', value: 'P1' }]], undefined));
});

test('combined date-time ranges (C.2.2.2.5.4): same form only, concatenated as DT bounds', () => {
  assert.equal(rangeForm('20260101-20260102'), 'closed');
  assert.equal(rangeForm('20260101-'), 'from');
  assert.equal(rangeForm('-1200'), 'to');
  assert.equal(rangeForm('20260101'), null);
  assert.equal(rangeForm('-'), null);
  assert.equal(rangeForm('20260101-20260102\\20260105'), null);
  assert.deepEqual(combinedRange('20260101-20260102', '1000-1200'), { low: '20260101100000', high: '20260102120059' });
  assert.deepEqual(combinedRange('20260101-', '10-'), { low: '20260101100000', high: null });
  assert.deepEqual(combinedRange('-20260102', '-12'), { low: null, high: '20260102125959' });
  assert.equal(combinedRange('20260101-20260102', '1000-'), null, 'different forms');
  assert.equal(combinedRange('20260101', '1000-1200'), null, 'a single date is not a range');
  const r = combinedRange('20260101-20260102', '1000-1200')!;
  assert.ok(matchesCombined(r, '20260101', '235900'), 'the evening of the first day: inside the period');
  assert.ok(matchesCombined(r, '20260102', '08:30'));
  assert.ok(matchesCombined(r, '20260102', '120059.9'));
  assert.ok(!matchesCombined(r, '20260101', '0959'));
  assert.ok(!matchesCombined(r, '20260102', '1201'));
  assert.ok(!matchesCombined(r, '20260102', ''), 'unknown time matches nothing');
  assert.ok(!matchesCombined(r, undefined, '1100'));
  assert.deepEqual(combinedSql('st.study_date', 'st.study_time', r), {
    sql: "((st.study_date || substr(replace(st.study_time, ':', '') || '000000', 1, 6)) >= ? AND (st.study_date || substr(replace(st.study_time, ':', '') || '000000', 1, 6)) <= ?)",
    params: ['20260101100000', '20260102120059'],
  });
});

test('matchesItem pairs dates with their times, also inside sequence items', () => {
  const SPS = 0x00400100, D = 0x00400002, T = 0x00400003;
  const q = [{ tag: D, vr: 'DA', value: '20260101-20260102' }, { tag: T, vr: 'TM', value: '1000-1200' }];
  assert.deepEqual(combinedPairs(q).map((p) => [p.dateTag, p.timeTag]), [[D, T]]);
  const step = (d: string, t: string) => [{ tag: D, vr: 'DA', value: d }, { tag: T, vr: 'TM', value: t }];
  assert.ok(matchesItem(q, step('20260101', '1500'), { combinedDateTime: true }));
  assert.ok(!matchesItem(q, step('20260101', '1500')), 'without the option: 10-12 on each day');
  assert.ok(matchesItem(q, step('20260102', '1100')));
  const sq = [{ tag: SPS, vr: 'SQ', value: [q] }];
  const item = [{ tag: SPS, vr: 'SQ', value: [step('20260101', '0900'), step('20260101', '2200')] }];
  assert.ok(matchesItem(sq, item, { combinedDateTime: true }), 'the second step lies in the period');
  assert.ok(!matchesItem(sq, item));
});

test('the C-FIND extended negotiation sub-item is read byte by byte (Table C.5-1), missing bytes are 0', () => {
  const all = parseFindExtendedRequest(Buffer.from([1, 1, 0, 1]));
  assert.equal(all.relational, true);
  assert.equal(all.combinedDateTime, true);
  assert.equal(all.fuzzyPersonNames, false);
  assert.equal(all.timezoneAdjustment, true);
  assert.equal(all.emptyValueMatching, false);
  assert.deepEqual(parseFindExtendedRequest(Buffer.from([0])), {
    relational: false, combinedDateTime: false, fuzzyPersonNames: false, timezoneAdjustment: false,
    enhancedMultiFrameConversion: false, emptyValueMatching: false, multipleValueMatching: false,
  });
});
