import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeIdentifier, get, type Identifier } from '../../../src/dicom/identifier';
import { Forwarder } from '../../../src/forward/forwarder';
import { Mpps } from '../../../src/mpps';
import { IndexDb } from '../../../src/store/index-db';
import { createLogger } from '../../../src/util/log';
import { parseTestConfig, testIni } from '../../helpers/agent';

const TS = '1.2.840.10008.1.2';
const ds = (id: Identifier): Buffer => encodeIdentifier(id, TS);
const st = (s: string): Identifier[number] => ({ tag: 0x00400252, vr: 'CS', value: s });

function setup(): { mpps: Mpps; index: IndexDb; forwarder: Forwarder } {
  const config = parseTestConfig(testIni({
    port: 1, dataDir: '/nonexistent',
    tail: '[RemoteAE]\naetitle = RIS\nip = 127.0.0.1\nport = 1\nmpps = yes\n\n[RemoteAE]\naetitle = HIS\nip = 127.0.0.1\nport = 2\nmpps = yes\n',
  }));
  const index = IndexDb.open(':memory:');
  const log = createLogger({ write: () => undefined });
  const forwarder = new Forwarder({ config, index, root: '/nonexistent', log });
  const mpps = new Mpps({ index, forwarder, config: () => config, log });
  return { mpps, index, forwarder };
}

test('N-CREATE then N-SETs are persisted in order and queued once per destination', () => {
  const { mpps, forwarder } = setup();
  assert.equal(mpps.create({ sopUid: '1.2.9', callingAe: 'CT1', dataset: ds([{ tag: 0x00400254, vr: 'LO', value: 'HEAD' }, st('IN PROGRESS')]), ts: TS }), undefined);
  assert.equal(mpps.set({ sopUid: '1.2.9', callingAe: 'CT1', dataset: ds([{ tag: 0x00400254, vr: 'LO', value: 'HEAD+NECK' }]), ts: TS }), undefined);
  assert.equal(mpps.set({ sopUid: '1.2.9', callingAe: 'CT1', dataset: ds([st('COMPLETED')]), ts: TS }), undefined);
  assert.deepEqual(mpps.db.messages('1.2.9').map((m) => [m.seq, m.kind]), [[0, 'create'], [1, 'set'], [2, 'set']]);
  const attrs = mpps.attributes('1.2.9')!;
  assert.equal(get(attrs, 0x00400254), 'HEAD+NECK');
  assert.equal(mpps.db.get('1.2.9')!.status, 'COMPLETED');
  const jobs = forwarder.queue.jobs({}, ['pending'], 10);
  assert.deepEqual(jobs.map((j) => [j.sop_uid, j.destination, j.route]).sort(), [['1.2.9', 'HIS', 'mpps'], ['1.2.9', 'RIS', 'mpps']]);
  // The relay resumes after what a destination confirmed.
  mpps.db.markDelivered('1.2.9', 'RIS', 0);
  assert.deepEqual(mpps.db.undelivered('1.2.9', 'RIS').map((m) => m.seq), [1, 2]);
  assert.deepEqual(mpps.db.undelivered('1.2.9', 'HIS').map((m) => m.seq), [0, 1, 2]);
});

test('refusals: duplicate N-CREATE 0111, unknown N-SET 0112, update after COMPLETED 0110; nothing queued for them', () => {
  const { mpps, forwarder } = setup();
  mpps.create({ sopUid: '1.2.8', callingAe: 'CT1', dataset: ds([st('IN PROGRESS')]), ts: TS });
  assert.equal(mpps.create({ sopUid: '1.2.8', callingAe: 'CT1', dataset: ds([st('IN PROGRESS')]), ts: TS })?.status, 0x0111);
  assert.equal(mpps.set({ sopUid: '9.9', callingAe: 'CT1', dataset: ds([st('COMPLETED')]), ts: TS })?.status, 0x0112);
  mpps.set({ sopUid: '1.2.8', callingAe: 'CT1', dataset: ds([st('DISCONTINUED')]), ts: TS });
  assert.equal(mpps.set({ sopUid: '1.2.8', callingAe: 'CT1', dataset: ds([st('COMPLETED')]), ts: TS })?.status, 0x0110);
  assert.equal(mpps.db.messages('1.2.8').length, 2);
  assert.equal(forwarder.queue.jobs({}, ['pending'], 10).length, 2);
});
