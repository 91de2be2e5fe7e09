import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dateTimeBound, isSingleValue, isUniversal, isUniversalValue, matchesValue, parseRange, sqlCondition, timeBound, toGlob,
} from '../../../src/store/query-match';
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
