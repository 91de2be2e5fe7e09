import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  abbreviationList, expandAbbreviation, isStorageClass, registerSopClasses, sopClassInfo, sopClassName,
  sopClassesOfCategory, STATEMENT_STORAGE_UIDS,
} from '../../../src/dicom/sop-classes';
import { transferSyntaxInfo, transferSyntaxName, transferSyntaxUid } from '../../../src/dicom/transfer-syntaxes';

test('statement abbreviations expand, case-insensitively', () => {
  assert.deepEqual(expandAbbreviation('echo'), ['1.2.840.10008.1.1']);
  assert.deepEqual(expandAbbreviation('CT'), ['1.2.840.10008.5.1.4.1.1.2']);
  assert.deepEqual(expandAbbreviation('patstudyget'), ['1.2.840.10008.5.1.4.1.2.3.3']);
  assert.deepEqual(expandAbbreviation('basicGrayPrint'), ['1.2.840.10008.5.1.1.9']);
  assert.deepEqual(expandAbbreviation('basicColorPrint'), ['1.2.840.10008.5.1.1.18']);
  assert.equal(expandAbbreviation('nonsense'), undefined);
  assert.equal(expandAbbreviation('1.2.840.10008.5.1.4.1.1.2'), undefined);
});

test('usmf, nm and us each name the current and the retired class', () => {
  assert.deepEqual(new Set(expandAbbreviation('usmf')), new Set(['1.2.840.10008.5.1.4.1.1.3', '1.2.840.10008.5.1.4.1.1.3.1']));
  assert.deepEqual(new Set(expandAbbreviation('nm')), new Set(['1.2.840.10008.5.1.4.1.1.20', '1.2.840.10008.5.1.4.1.1.5']));
  assert.deepEqual(new Set(expandAbbreviation('us')), new Set(['1.2.840.10008.5.1.4.1.1.6', '1.2.840.10008.5.1.4.1.1.6.1']));
});

test('our abbreviations and `storage`', () => {
  assert.deepEqual(expandAbbreviation('worklist'), ['1.2.840.10008.5.1.4.31']);
  assert.deepEqual(expandAbbreviation('dxProc'), ['1.2.840.10008.5.1.4.1.1.1.1.1']);
  assert.deepEqual(expandAbbreviation('xaBiplane'), ['1.2.840.10008.5.1.4.1.1.12.3']);
  assert.deepEqual(expandAbbreviation('petCurve'), ['1.2.840.10008.5.1.4.1.1.129']);
  const storage = expandAbbreviation('storage')!;
  assert.equal(storage.length, 19, 'the statement lists 19 storage classes');
  assert.deepEqual(storage, [...STATEMENT_STORAGE_UIDS]);
  assert.ok(storage.every(isStorageClass));
  assert.ok(abbreviationList().includes('patStudyFind'));
});

test('names and categories', () => {
  assert.equal(sopClassName('1.2.840.10008.5.1.4.1.1.4'), 'MR Image Storage');
  assert.equal(sopClassName('1.2.3.4'), '1.2.3.4');
  assert.deepEqual(sopClassInfo('1.2.840.10008.5.1.4.1.2.2.2'), {
    uid: '1.2.840.10008.5.1.4.1.2.2.2', name: 'Study Root Query/Retrieve Information Model - MOVE',
    category: 'qr-move', abbreviation: 'studyMove', model: 'study', inStatement: true,
  });
  assert.deepEqual(sopClassesOfCategory('qr-get').map((c) => c.model), ['patient', 'study', 'patient-study']);
  assert.equal(sopClassInfo('1.2.840.10008.5.1.4.31')?.category, 'worklist');
});

test('registerSopClasses extends the table without replacing known classes', () => {
  registerSopClasses([
    { uid: '1.2.840.10008.5.1.4.1.1.2.1', name: 'Enhanced CT Image Storage', category: 'storage' },
    { uid: '1.2.840.10008.5.1.4.1.1.2', name: 'Other name', category: 'storage' },
  ]);
  assert.equal(sopClassName('1.2.840.10008.5.1.4.1.1.2.1'), 'Enhanced CT Image Storage');
  assert.equal(sopClassName('1.2.840.10008.5.1.4.1.1.2'), 'CT Image Storage');
  assert.equal(expandAbbreviation('storage')!.length, 19, 'storage stays the statement list');
});

test('transfer syntax names and properties', () => {
  assert.equal(transferSyntaxUid('implicitlittle'), '1.2.840.10008.1.2');
  assert.equal(transferSyntaxUid('explicitLittle'), '1.2.840.10008.1.2.1');
  assert.equal(transferSyntaxUid('1.2.840.10008.1.2.2'), '1.2.840.10008.1.2.2');
  assert.equal(transferSyntaxUid('jpeg'), undefined);
  assert.equal(transferSyntaxName('1.2.840.10008.1.2.2'), 'explicitBig');
  assert.deepEqual(
    ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2'].map((u) => {
      const i = transferSyntaxInfo(u)!;
      return [i.explicitVr, i.littleEndian];
    }),
    [[false, true], [true, true], [true, false]],
  );
});

test('allStorage expands to every standard storage class; their names resolve', () => {
  const all = expandAbbreviation('allStorage')!;
  assert.ok(all.length > 150, `only ${all.length}`);
  assert.ok(all.includes('1.2.840.10008.5.1.4.1.1.2'), 'CT is included');
  // Enhanced CT Image Storage is not in the statement but is a standard class.
  assert.ok(all.includes('1.2.840.10008.5.1.4.1.1.2.1'));
  assert.equal(sopClassName('1.2.840.10008.5.1.4.1.1.2.1'), 'Enhanced CT Image Storage');
  assert.equal(isStorageClass('1.2.840.10008.5.1.4.1.1.2.1'), true);
  assert.equal(expandAbbreviation('storage')!.includes('1.2.840.10008.5.1.4.1.1.2.1'), false);
});
