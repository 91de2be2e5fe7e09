import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesAll, matchesPattern, parseCondition, tagsNeeded, type MatchCondition, type MatchSubject } from '../../../src/forward/match';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';

function cond(text: string): MatchCondition {
  const c = parseCondition(text);
  if (typeof c === 'string') throw new Error(c);
  return c;
}

function subject(attrs: Record<number, string | null>, o: Partial<MatchSubject> = {}): MatchSubject {
  return { callingAe: 'CT_SCANNER', calledAe: 'EDGE', sopClassUid: CT, attribute: (t) => attrs[t] ?? null, ...o };
}

test('wildcards: * any run, ? one character, anchored, case-insensitive, padding ignored', () => {
  assert.equal(matchesPattern('CT*', 'CT_ROOM1'), true);
  assert.equal(matchesPattern('CT*', 'MRCT'), false);
  assert.equal(matchesPattern('C?', 'CT'), true);
  assert.equal(matchesPattern('C?', 'CTX'), false);
  assert.equal(matchesPattern('ct', 'CT '), true);
  assert.equal(matchesPattern('a.b', 'axb'), false, 'regex characters are literal');
  assert.equal(matchesPattern('*', null), true, 'universal match includes absent');
  assert.equal(matchesPattern('CT', null), false);
});

test('multi-valued attributes match on the whole value or any one value', () => {
  assert.equal(matchesPattern('PRIMARY', 'ORIGINAL\\PRIMARY\\AXIAL'), true);
  assert.equal(matchesPattern('ORIGINAL\\PRIMARY*', 'ORIGINAL\\PRIMARY\\AXIAL'), true);
  assert.equal(matchesPattern('SECONDARY', 'ORIGINAL\\PRIMARY'), false);
});

test('conditions: AE keys with aliases, keywords and tags, SOP class abbreviations and UIDs', () => {
  assert.deepEqual(cond('callingAe=CT_SCANNER'), { key: 'callingAe', text: 'callingAe=CT_SCANNER', patterns: ['CT_SCANNER'] });
  assert.equal(cond('calledAET = EDGE').key, 'calledAe');
  assert.deepEqual(cond('Modality=CT|MR').patterns, ['CT', 'MR']);
  assert.equal(cond('Modality=CT').tag, 0x00080060);
  assert.equal(cond('StationName=CT*').tag, 0x00081010);
  assert.equal(cond('(0008,1010)=X').tag, 0x00081010);
  assert.deepEqual(cond('sopClass=ct').patterns, [CT]);
  assert.deepEqual(cond('sopClass=mr|1.2.840.10008.5.1.4.1.1.7').patterns, [MR, '1.2.840.10008.5.1.4.1.1.7']);
  assert.match(parseCondition('NoSuchKeyword=1') as string, /unknown attribute "NoSuchKeyword"/);
  assert.match(parseCondition('sopClass=bogus') as string, /neither a SOP class abbreviation nor a UID/);
  assert.match(parseCondition('Modality') as string, /not key=value/);
  assert.match(parseCondition('Modality=CT|') as string, /empty value/);
  assert.match(parseCondition('ReferencedImageSequence=x') as string, /sequence/);
});

test('matchesAll: every condition must hold; none = everything', () => {
  const s = subject({ 0x00080060: 'CT', 0x00081010: 'CT_ROOM2' });
  assert.equal(matchesAll([], s), true);
  assert.equal(matchesAll([cond('Modality=CT'), cond('StationName=CT*'), cond('callingAe=CT_*')], s), true);
  assert.equal(matchesAll([cond('Modality=CT'), cond('StationName=MR*')], s), false);
  assert.equal(matchesAll([cond('sopClass=ct')], s), true);
  assert.equal(matchesAll([cond('sopClass=mr')], s), false);
  assert.equal(matchesAll([cond('calledAe=OTHER')], s), false);
  assert.deepEqual(tagsNeeded([cond('Modality=CT'), cond('callingAe=X'), cond('Modality=MR')]), [0x00080060]);
});
