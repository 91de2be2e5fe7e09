import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STORAGE_SOP_CLASSES, isStorageSopClass, storageSopClass } from '../../../src/dicom/storage-classes.generated';

// The image storage classes of the conformance statement (SCP and SCU), with the
// retired flag PS3.6 Table A-1 gives them.
const STATEMENT: [string, boolean][] = [
  ['1.2.840.10008.5.1.4.1.1.1', false], // CR
  ['1.2.840.10008.5.1.4.1.1.2', false], // CT
  ['1.2.840.10008.5.1.4.1.1.3', true], // US multi-frame (retired)
  ['1.2.840.10008.5.1.4.1.1.3.1', false], // US multi-frame
  ['1.2.840.10008.5.1.4.1.1.4', false], // MR
  ['1.2.840.10008.5.1.4.1.1.20', false], // NM
  ['1.2.840.10008.5.1.4.1.1.5', true], // NM (retired)
  ['1.2.840.10008.5.1.4.1.1.6', true], // US (retired)
  ['1.2.840.10008.5.1.4.1.1.6.1', false], // US
  ['1.2.840.10008.5.1.4.1.1.7', false], // SC
  ['1.2.840.10008.5.1.4.1.1.1.2.1', false], // MG for processing
  ['1.2.840.10008.5.1.4.1.1.1.2', false], // MG for presentation
  ['1.2.840.10008.5.1.4.1.1.1.1', false], // DX for presentation
  ['1.2.840.10008.5.1.4.1.1.1.1.1', false], // DX for processing
  ['1.2.840.10008.5.1.4.1.1.12.1', false], // XA
  ['1.2.840.10008.5.1.4.1.1.12.2', false], // XRF
  ['1.2.840.10008.5.1.4.1.1.12.3', true], // XA bi-plane (retired)
  ['1.2.840.10008.5.1.4.1.1.128', false], // PET
  ['1.2.840.10008.5.1.4.1.1.129', true], // standalone PET curve (retired)
];

test('every storage class of the conformance statement is present with its retired flag', () => {
  for (const [uid, retired] of STATEMENT) {
    assert.ok(isStorageSopClass(uid), uid);
    assert.equal(storageSopClass(uid)?.retired, retired, uid);
  }
});

test('no duplicate UIDs or keywords, and a plausible count', () => {
  const uids = STORAGE_SOP_CLASSES.map((c) => c.uid);
  assert.equal(new Set(uids).size, uids.length);
  const keywords = STORAGE_SOP_CLASSES.map((c) => c.keyword);
  assert.equal(new Set(keywords).size, keywords.length);
  assert.ok(STORAGE_SOP_CLASSES.length > 150, `only ${STORAGE_SOP_CLASSES.length}`);
});

test('rows are well formed', () => {
  for (const c of STORAGE_SOP_CLASSES) {
    assert.match(c.uid, /^1\.2\.840\.10008\.[0-9.]+$/);
    assert.match(c.keyword, /^[A-Za-z0-9]+$/);
    assert.match(c.name, /Storage/);
  }
});

test('non-storage classes are rejected; a UID padded to even length still matches', () => {
  assert.equal(isStorageSopClass('1.2.840.10008.1.1'), false); // Verification
  assert.equal(isStorageSopClass('1.2.840.10008.1.20.1'), false); // Storage Commitment
  assert.equal(isStorageSopClass('1.2.840.10008.1.3.10'), false); // DICOMDIR
  assert.equal(isStorageSopClass('1.2.840.10008.5.1.4.1.2.2.1'), false); // Study Root FIND
  assert.equal(isStorageSopClass('1.2.840.10008.5.1.4.1.1.2\0'), true);
});
