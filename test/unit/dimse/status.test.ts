import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Status, describeStatus, isKnownStatusClass, statusCategory, statusName } from '../../../src/dicom/status';

test('statusCategory follows PS3.7 Annex C', () => {
  const cases: [number, string][] = [
    [0x0000, 'success'],
    [0xff00, 'pending'],
    [0xff01, 'pending'],
    [0xfe00, 'cancel'],
    [0x0001, 'warning'],
    [0x0107, 'warning'],
    [0x0116, 'warning'],
    [0xb000, 'warning'],
    [0xb006, 'warning'],
    [0xb007, 'warning'],
    [0xbfff, 'warning'],
    [0xa700, 'failure'],
    [0xa7ff, 'failure'],
    [0xa801, 'failure'],
    [0xa900, 'failure'],
    [0xc000, 'failure'],
    [0xcfff, 'failure'],
    [0x0110, 'failure'],
    [0x0117, 'failure'],
    [0x0122, 'failure'],
    [0x0124, 'failure'],
    [0x0211, 'failure'],
    [0x0212, 'failure'],
    [0x0213, 'failure'],
  ];
  for (const [code, cat] of cases) assert.equal(statusCategory(code), cat, code.toString(16));
});

test('unknown codes are failures, never success', () => {
  for (const code of [0x0002, 0x0300, 0x1234, 0xd000, 0xfe01, 0xffff]) {
    assert.equal(statusCategory(code), 'failure', code.toString(16));
    assert.equal(isKnownStatusClass(code), false, code.toString(16));
  }
  assert.equal(isKnownStatusClass(0xa7ff), true);
  assert.equal(statusName(0x1234), 'Unknown status 0x1234');
});

test('statusName uses the service table, then PS3.7 Annex C', () => {
  assert.equal(statusName(Status.Success), 'Success');
  assert.equal(statusName(0xa7ff, 'storage'), 'Refused: out of resources');
  assert.equal(statusName(0xa9a9, 'storage'), 'Error: data set does not match SOP class');
  assert.equal(statusName(0xc123, 'storage'), 'Error: cannot understand');
  assert.equal(statusName(0xb007, 'storage'), 'Warning: data set does not match SOP class');
  assert.equal(statusName(0xb000, 'storage'), 'Warning: coercion of data elements');
  assert.equal(statusName(0xb000, 'move'), 'Warning: sub-operations complete, one or more failures or warnings');
  assert.equal(statusName(0xa801, 'move'), 'Refused: move destination unknown');
  // A801 is a C-MOVE code; for C-GET only the generic Annex C range name applies
  assert.equal(statusName(0xa801, 'get'), 'Failure');
  assert.equal(statusName(0xff01, 'find'), 'Pending: matches are continuing, one or more optional keys not supported');
  assert.equal(statusName(0xff00, 'worklist'), 'Pending: matches are continuing');
  assert.equal(statusName(0xfe00, 'move'), 'Cancel: sub-operations terminated due to cancel indication');
  assert.equal(statusName(0xfe00), 'Cancel');
  assert.equal(statusName(0x0122, 'storage'), 'Refused: SOP class not supported');
  assert.equal(statusName(0x0124), 'Refused: not authorized');
  assert.equal(statusName(0x0211, 'print'), 'Unrecognized operation');
  assert.equal(statusName(0xc605, 'print'), 'Failure: insufficient memory in printer to store the image');
  assert.equal(statusName(0xb605, 'print'), "Warning: requested density outside printer's range");
  // without a service, ranges still get generic names
  assert.equal(statusName(0xa702), 'Refused: out of resources');
  assert.equal(statusName(0xc001), 'Error: cannot understand');
  assert.equal(statusName(0xb123), 'Warning');
});

test('describeStatus', () => {
  assert.equal(describeStatus(0xa700, 'storage'), 'A700 Refused: out of resources (failure)');
  assert.equal(describeStatus(0), '0000 Success (success)');
});
