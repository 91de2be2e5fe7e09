// Split-buffer tests (the pg-protocol habit): every prefix of a PDU is "not yet", and PDUs
// joined in one buffer or split across chunks come out one by one, unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPdu } from '../../../src/ul/pdu-reader';
import { writePdu } from '../../../src/ul/pdu-writer';
import type { Pdu } from '../../../src/ul/pdu-types';
import { DCMTK_STORESCU_USER_RQ } from './pdu-fixtures';

const PDATA = writePdu({
  type: 'P-DATA-TF',
  pdvs: [
    { presentationContextId: 1, command: true, last: true, data: Buffer.from('0102030405060708', 'hex') },
    { presentationContextId: 1, command: false, last: false, data: Buffer.from('aa'.repeat(40), 'hex') },
  ],
});
const ABORT = writePdu({ type: 'A-ABORT', source: 2, reason: 2 });
const SAMPLES: [string, Buffer][] = [
  ['A-ASSOCIATE-RQ', DCMTK_STORESCU_USER_RQ],
  ['P-DATA-TF', PDATA],
  ['A-ABORT', ABORT],
];

for (const [name, bytes] of SAMPLES) {
  test(`${name}: every proper prefix returns null, the whole PDU returns it`, () => {
    for (let n = 0; n < bytes.length; n++) {
      assert.equal(readPdu(bytes.subarray(0, n)), null, `prefix of ${n} bytes`);
    }
    const whole = readPdu(bytes);
    assert.ok(whole);
    assert.equal(whole.bytes, bytes.length);
    assert.equal(whole.pdu.type, name);
  });
}

test('two PDUs in one buffer: the first reports only its own length', () => {
  for (const [, first] of SAMPLES) {
    for (const [, second] of SAMPLES) {
      const joined = Buffer.concat([first, second]);
      const one = readPdu(joined)!;
      assert.equal(one.bytes, first.length);
      assert.deepEqual(one.pdu, readPdu(first)!.pdu);
      const two = readPdu(joined.subarray(one.bytes))!;
      assert.equal(two.bytes, second.length);
      assert.deepEqual(two.pdu, readPdu(second)!.pdu);
    }
  }
});

/** What a framer does: append each chunk, take out whole PDUs. */
function feed(chunks: Buffer[]): Pdu[] {
  let pending = Buffer.alloc(0);
  const out: Pdu[] = [];
  for (const chunk of chunks) {
    pending = Buffer.concat([pending, chunk]);
    for (let r = readPdu(pending); r; r = readPdu(pending)) {
      out.push(r.pdu);
      pending = pending.subarray(r.bytes);
    }
  }
  assert.equal(pending.length, 0);
  return out;
}

test('a stream of three PDUs split into two chunks at every offset', () => {
  const stream = Buffer.concat(SAMPLES.map(([, b]) => b));
  const expected = SAMPLES.map(([, b]) => readPdu(b)!.pdu);
  for (let cut = 0; cut <= stream.length; cut++) {
    assert.deepEqual(feed([stream.subarray(0, cut), stream.subarray(cut)]), expected, `cut at ${cut}`);
  }
});

test('the same stream fed one byte at a time', () => {
  const stream = Buffer.concat(SAMPLES.map(([, b]) => b));
  const chunks = [...stream].map((byte) => Buffer.from([byte]));
  assert.deepEqual(
    feed(chunks).map((p) => p.type),
    ['A-ASSOCIATE-RQ', 'P-DATA-TF', 'A-ABORT'],
  );
});
