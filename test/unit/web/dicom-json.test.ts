import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonAttr, tagKey, toDicomJson } from '../../../src/web/dicom-json';
import { decodeDataSet, encodeIdentifier, type Identifier } from '../../../src/dicom/identifier';

test('PS3.18 F.2: keys, PN groups, numbers, empty values, sequences, binary', () => {
  const id: Identifier = [
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' },
    { tag: 0x00080060, vr: 'CS', value: 'CT\\MR' },
    { tag: 0x00100010, vr: 'PN', value: 'Yamada^Tarou=山田^太郎=やまだ^たろう' },
    { tag: 0x00100020, vr: 'LO', value: '' },
    { tag: 0x00200013, vr: 'IS', value: '7' },
    { tag: 0x00281050, vr: 'DS', value: '40\\-600.5' },
    { tag: 0x00280010, vr: 'US', value: '512' },
    { tag: 0x00081115, vr: 'SQ', value: [[{ tag: 0x0020000e, vr: 'UI', value: '1.2.3' }]] },
    { tag: 0x00400275, vr: 'SQ', value: [] },
    { tag: 0x00091010, vr: 'OB', value: Buffer.from([1, 2, 3]) },
    { tag: 0x00204000, vr: 'LT', value: 'a\\b' },
  ];
  const j = toDicomJson(id);
  assert.deepEqual(Object.keys(j), ['00080005', '00080060', '00100010', '00100020', '00200013', '00281050', '00280010', '00081115', '00400275', '00091010', '00204000']);
  assert.deepEqual(j['00080060'], { vr: 'CS', Value: ['CT', 'MR'] });
  assert.deepEqual(j['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }] });
  assert.deepEqual(j['00100020'], { vr: 'LO' });
  assert.deepEqual(j['00200013'], { vr: 'IS', Value: [7] });
  assert.deepEqual(j['00281050'], { vr: 'DS', Value: [40, -600.5] });
  assert.deepEqual(j['00280010'], { vr: 'US', Value: [512] });
  assert.deepEqual(j['00081115'], { vr: 'SQ', Value: [{ '0020000E': { vr: 'UI', Value: ['1.2.3'] } }] });
  assert.deepEqual(j['00400275'], { vr: 'SQ' });
  assert.deepEqual(j['00091010'], { vr: 'OB', InlineBinary: 'AQID' });
  assert.deepEqual(j['00204000'], { vr: 'LT', Value: ['a\\b'] }, 'LT is single-valued: the backslash stays');
});

test('large binary values become BulkDataURI; group 0002 and group lengths are left out', () => {
  const id: Identifier = [
    { tag: 0x00020010, vr: 'UI', value: '1.2.840.10008.1.2' },
    { tag: 0x00080000, vr: 'UL', value: '10' },
    { tag: 0x7fe00010, vr: 'OW', value: Buffer.alloc(4096) },
  ];
  const j = toDicomJson(id, { inlineMax: 100, bulkDataUri: (t) => `/bulk/${tagKey(t)}` });
  assert.deepEqual(j, { '7FE00010': { vr: 'OW', BulkDataURI: '/bulk/7FE00010' } });
});

test('decoded from bytes in each syntax, the JSON is the same', () => {
  const id: Identifier = [
    { tag: 0x00100010, vr: 'PN', value: 'DOE^JOHN' },
    { tag: 0x00280011, vr: 'US', value: '256' },
    { tag: 0x00181050, vr: 'DS', value: '0.5' },
  ];
  const out = ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2'].map((ts) => toDicomJson(decodeDataSet(encodeIdentifier(id, ts), ts).identifier));
  assert.deepEqual(out[0], out[1]);
  assert.deepEqual(out[1], out[2]);
  assert.deepEqual(out[0]['00280011'], { vr: 'US', Value: [256] });
});

test('jsonAttr builds attributes from index values', () => {
  assert.deepEqual(jsonAttr('DA', '20240102'), { vr: 'DA', Value: ['20240102'] });
  assert.deepEqual(jsonAttr('IS', 3), { vr: 'IS', Value: [3] });
  assert.deepEqual(jsonAttr('PN', null), { vr: 'PN' });
});
