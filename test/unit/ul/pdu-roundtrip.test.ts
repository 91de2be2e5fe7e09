// Round trips (write -> read -> deep-equal) for every PDU type, a seeded fuzz of random
// PDUs, and a seeded mutation fuzz: corrupt bytes never escape as anything but PduError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PduError } from '../../../src/util/errors';
import { readPdu } from '../../../src/ul/pdu-reader';
import { writePdu } from '../../../src/ul/pdu-writer';
import { emptyUserInfo, type Pdu, type UserInformation } from '../../../src/ul/pdu-types';
import { FULL_RQ } from './pdu-fixtures';

function roundTrip(pdu: Pdu): void {
  const bytes = writePdu(pdu);
  const back = readPdu(bytes);
  assert.ok(back, 'complete PDU must decode');
  assert.equal(back.bytes, bytes.length);
  assert.deepEqual(back.pdu, pdu);
}

test('round trip of each of the seven PDU types', () => {
  roundTrip(FULL_RQ);
  roundTrip({
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAeTitle: 'STORESCP',
    callingAeTitle: 'EDGE',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts: [
      { id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2.1' },
      { id: 3, result: 4, transferSyntax: '' },
    ],
    userInfo: { ...emptyUserInfo(), maxLength: 0, implementationClassUid: '1.2.3', roles: [{ sopClassUid: '1.2.3.4', scuRole: true, scpRole: true }] },
  });
  roundTrip({ type: 'A-ASSOCIATE-RJ', result: 2, source: 3, reason: 1 });
  roundTrip({ type: 'P-DATA-TF', pdvs: [{ presentationContextId: 255, command: false, last: true, data: Buffer.alloc(1000, 7) }] });
  roundTrip({ type: 'A-RELEASE-RQ' });
  roundTrip({ type: 'A-RELEASE-RP' });
  roundTrip({ type: 'A-ABORT', source: 0, reason: 0 });
});

/** mulberry32: small, deterministic, good enough to pick shapes. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bool(): boolean {
    return this.next() < 0.5;
  }
  list<T>(max: number, f: () => T, min = 0): T[] {
    return Array.from({ length: this.int(min, max) }, f);
  }
  bytes(max: number): Buffer {
    return Buffer.from(this.list(max, () => this.int(0, 255)));
  }
  /** Digits and dots, never ending in the padding characters the reader strips. */
  uid(min = 1): string {
    return this.list(64, () => '0123456789.'[this.int(0, 10)]!, min).join('');
  }
  /** AE-title-like text without leading/trailing spaces (those are not significant). */
  text(max: number): string {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_- ';
    return this.list(max, () => chars[this.int(0, chars.length - 1)]!).join('').trim();
  }
}

function randomUserInfo(g: Gen): UserInformation {
  const ui: UserInformation = {
    ...emptyUserInfo(),
    maxLength: g.int(0, 0xffffffff),
    implementationClassUid: g.bool() ? g.uid() : '',
    roles: g.list(3, () => ({ sopClassUid: g.uid(), scuRole: g.bool(), scpRole: g.bool() })),
    extendedNegotiation: g.list(2, () => ({ sopClassUid: g.uid(), info: g.bytes(8) })),
    commonExtendedNegotiation: g.list(2, () => ({ sopClassUid: g.uid(), serviceClassUid: g.uid(), relatedGeneralSopClassUids: g.list(3, () => g.uid()) })),
    unknownItems: g.list(2, () => ({ type: g.int(0x5a, 0xff), data: g.bytes(10) })),
  };
  if (g.bool()) ui.implementationVersionName = g.text(16);
  if (g.bool()) ui.asyncOps = { invoked: g.int(0, 0xffff), performed: g.int(0, 0xffff) };
  if (g.bool()) ui.userIdentity = { type: g.int(1, 5), positiveResponseRequested: g.bool(), primary: g.bytes(20), secondary: g.bytes(20) };
  return ui;
}

function randomPdu(g: Gen): Pdu {
  const common = () => ({
    protocolVersion: g.int(0, 0xffff),
    calledAeTitle: g.text(16),
    callingAeTitle: g.text(16),
    applicationContext: g.uid(0),
    userInfo: randomUserInfo(g),
  });
  switch (g.int(1, 7)) {
    case 1:
      return { type: 'A-ASSOCIATE-RQ', ...common(), presentationContexts: g.list(4, () => ({ id: g.int(0, 255), abstractSyntax: g.uid(0), transferSyntaxes: g.list(3, () => g.uid()) })) };
    case 2:
      return { type: 'A-ASSOCIATE-AC', ...common(), presentationContexts: g.list(4, () => ({ id: g.int(0, 255), result: g.int(0, 4), transferSyntax: g.uid(0) })) };
    case 3:
      return { type: 'A-ASSOCIATE-RJ', result: g.int(0, 255), source: g.int(0, 255), reason: g.int(0, 255) };
    case 4:
      return { type: 'P-DATA-TF', pdvs: g.list(4, () => ({ presentationContextId: g.int(0, 255), command: g.bool(), last: g.bool(), data: g.bytes(64) }), 1) };
    case 5:
      return { type: 'A-RELEASE-RQ' };
    case 6:
      return { type: 'A-RELEASE-RP' };
    default:
      return { type: 'A-ABORT', source: g.int(0, 255), reason: g.int(0, 255) };
  }
}

test('seeded fuzz: 500 random PDUs survive write -> read unchanged', () => {
  const g = new Gen(0xd1c0);
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const pdu = randomPdu(g);
    seen.add(pdu.type);
    assert.doesNotThrow(() => roundTrip(pdu), `PDU #${i}: ${JSON.stringify(pdu).slice(0, 300)}`);
  }
  assert.equal(seen.size, 7); // every type was exercised
});

test('seeded mutation fuzz: corrupted PDUs decode or throw PduError, nothing else', () => {
  const g = new Gen(42);
  let errors = 0;
  for (let i = 0; i < 500; i++) {
    const bytes = Buffer.from(writePdu(randomPdu(g)));
    for (let k = g.int(1, 4); k > 0; k--) bytes[g.int(0, bytes.length - 1)] = g.int(0, 255);
    const cut = g.bool() ? bytes : bytes.subarray(0, g.int(0, bytes.length));
    try {
      const r = readPdu(cut);
      if (r) assert.ok(r.bytes <= cut.length);
    } catch (e) {
      assert.ok(e instanceof PduError, `mutation #${i} threw ${String(e)}`);
      assert.ok(e.abortReason >= 0 && e.abortReason <= 6);
      errors++;
    }
  }
  assert.ok(errors > 0, 'the mutations should hit some malformed PDUs');
});
