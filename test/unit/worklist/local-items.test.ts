import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { get, type Identifier } from '../../../src/dicom/identifier';
import { encodeIdentifier } from '../../../src/dicom/identifier';
import { buildItem, listWorklistItems, readLocalItems, worklistConsoleCommand } from '../../../src/worklist/local-items';
import { tmpDir } from '../../helpers/tmp';
import { item } from './items';

const sps = (it: Identifier): Identifier => (it.find((e) => e.tag === 0x00400100)!.value as Identifier[])[0];

test('buildItem: short names and step keywords go into the step item; required keys; generated ids', () => {
  const it = buildItem(['name=DOE^JANE', 'id=P9', 'modality=MR', 'station=MR1', 'date=20240105', 'accession=A9', 'ScheduledProcedureStepDescription=KNEE'], new Date(2024, 0, 5, 9, 30));
  assert.equal(get(it, 0x00100010), 'DOE^JANE');
  assert.equal(get(sps(it), 0x00080060), 'MR');
  assert.equal(get(sps(it), 0x00400001), 'MR1');
  assert.equal(get(sps(it), 0x00400002), '20240105');
  assert.equal(get(sps(it), 0x00400003), '093000');
  assert.equal(get(sps(it), 0x00400007), 'KNEE');
  assert.match(get(sps(it), 0x00400009)!, /^SPS/);
  assert.equal(get(it, 0x00401001), 'A9');
  assert.match(get(it, 0x0020000d)!, /^2\.25\.\d+$/);
  assert.throws(() => buildItem(['name=X', 'id=1', 'modality=CT']), /ScheduledStationAETitle/);
  assert.throws(() => buildItem(['name']), /key=value/);
  assert.equal(get(buildItem(['name=MÜLLER', 'id=1', 'modality=CT', 'station=S']), 0x00080005), 'ISO_IR 192');
});

test('console add/list/del round trip through Part 10 files', async (t) => {
  const dir = await tmpDir('wl-local-', t);
  const [added] = await worklistConsoleCommand(dir, ['add', 'name=ROE^RICHARD', 'id=P7', 'modality=CT', 'station=CT1', 'date=20240102', 'time=0800']);
  const id = /item (\S+) added/.exec(added)![1];
  const listed = await worklistConsoleCommand(dir, ['list']);
  assert.equal(listed.length, 1);
  assert.match(listed[0], new RegExp(`^${id}\\s+20240102 0800\\s+CT1\\s+CT\\s+-\\s+SPS\\S+\\s+P7\\s+ROE\\^RICHARD$`));
  const items = await readLocalItems(dir);
  assert.equal(get(items[0].item, 0x00100020), 'P7');
  assert.deepEqual(await worklistConsoleCommand(dir, ['del', id]), [`worklist item ${id} deleted`]);
  assert.deepEqual(await worklistConsoleCommand(dir, ['list']), ['no local worklist items']);
  await assert.rejects(worklistConsoleCommand(dir, ['del', id]), /no worklist item/);
  await assert.rejects(worklistConsoleCommand(dir, ['del', '../etc/passwd.wl']), /not a worklist item id/);
  await assert.rejects(worklistConsoleCommand(dir, ['frob']), /usage: worklist add/);
});

test('local files: bare Implicit VR data sets are read; unreadable files are reported, not fatal', async (t) => {
  const dir = await tmpDir('wl-local2-', t);
  writeFileSync(join(dir, 'bare.wl'), encodeIdentifier(item({ name: 'BARE^SET' }), '1.2.840.10008.1.2'));
  writeFileSync(join(dir, 'junk.wl'), Buffer.from([1, 2, 3]));
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
  const { items, errors } = await listWorklistItems(dir);
  assert.deepEqual(items.map((i) => i.patientName), ['BARE^SET']);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^junk\.wl: /);
  assert.deepEqual(await readLocalItems(join(dir, 'missing')), []);
});
