import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, type Identifier } from '../../../src/dicom/identifier';
import { applySet, checkCreate, checkSet, relayVerdict } from '../../../src/mpps/rules';

const status = (s: string): Identifier => [{ tag: 0x00400252, vr: 'CS', value: s }];

test('N-CREATE must say IN PROGRESS (PS3.4 F.7.2.1)', () => {
  assert.equal(checkCreate(status('IN PROGRESS')), undefined);
  assert.equal(checkCreate(status('COMPLETED'))?.status, 0x0106);
  assert.equal(checkCreate([])?.status, 0x0120);
});

test('N-SET only while IN PROGRESS, to a valid status (F.7.2.2)', () => {
  assert.equal(checkSet('IN PROGRESS', status('COMPLETED')), undefined);
  assert.equal(checkSet('IN PROGRESS', []), undefined);
  assert.deepEqual(checkSet('COMPLETED', status('IN PROGRESS')), { status: 0x0110, comment: 'Performed Procedure Step Object may no longer be updated' });
  assert.equal(checkSet('DISCONTINUED', [])?.status, 0x0110);
  assert.equal(checkSet('IN PROGRESS', status('DONE'))?.status, 0x0106);
});

test('applySet replaces the given attributes and keeps the rest', () => {
  const cur: Identifier = [...status('IN PROGRESS'), { tag: 0x00400254, vr: 'LO', value: 'CT HEAD' }, { tag: 0x00400250, vr: 'DA', value: '' }];
  const next = applySet(cur, [...status('COMPLETED'), { tag: 0x00400250, vr: 'DA', value: '20240102' }]);
  assert.equal(get(next, 0x00400252), 'COMPLETED');
  assert.equal(get(next, 0x00400254), 'CT HEAD');
  assert.equal(get(next, 0x00400250), '20240102');
  assert.deepEqual(next.map((e) => e.tag), [0x00400250, 0x00400252, 0x00400254]);
});

test('relay verdicts: success/warnings delivered, duplicate N-CREATE delivered, attribute errors dead, the rest retried', () => {
  assert.equal(relayVerdict(0x0000, 'create'), 'delivered');
  assert.equal(relayVerdict(0x0107, 'set'), 'delivered');
  assert.equal(relayVerdict(0x0111, 'create'), 'delivered');
  assert.equal(relayVerdict(0x0111, 'set'), 'retry');
  assert.equal(relayVerdict(0x0106, 'create'), 'dead');
  assert.equal(relayVerdict(0x0110, 'set'), 'dead');
  assert.equal(relayVerdict(0x0122, 'create'), 'dead');
  assert.equal(relayVerdict(0x0213, 'set'), 'retry');
  assert.equal(relayVerdict(0xa700, 'set'), 'retry');
});
