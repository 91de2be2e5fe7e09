import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptRanges, pickRendered, pickWadoUriType, qualityParam } from '../../../src/web/media-type';

test('rendered: JPEG by default and for wildcards, PNG when preferred, nothing else', () => {
  assert.equal(pickRendered(undefined), 'image/jpeg');
  assert.equal(pickRendered('*/*'), 'image/jpeg');
  assert.equal(pickRendered('image/*'), 'image/jpeg');
  assert.equal(pickRendered('image/png'), 'image/png');
  assert.equal(pickRendered('image/jpeg;q=0.5, image/png'), 'image/png', 'q-values order the ranges');
  assert.equal(pickRendered('image/gif, image/png;q=0.1'), 'image/png');
  assert.equal(pickRendered('image/gif'), undefined);
  assert.equal(pickRendered('image/png;q=0'), undefined, 'q=0 is "not acceptable"');
  assert.deepEqual(acceptRanges('a/b;q=0.2, c/d, e/f;q=0.9'), ['c/d', 'e/f', 'a/b']);
});

test('WADO-URI contentType: a preference list; application/dicom; JPEG by default', () => {
  assert.equal(pickWadoUriType(null), 'image/jpeg');
  assert.equal(pickWadoUriType('image/gif,image/png'), 'image/png');
  assert.equal(pickWadoUriType('application/dicom'), 'application/dicom');
  assert.equal(pickWadoUriType('IMAGE/JPEG'), 'image/jpeg');
  assert.equal(pickWadoUriType('image/gif'), undefined);
});

test('quality parameter: 1-100 or 400', () => {
  assert.equal(qualityParam(null), undefined);
  assert.equal(qualityParam('75'), 75);
  for (const bad of ['0', '101', '7.5', 'x']) assert.throws(() => qualityParam(bad), { status: 400 });
});
