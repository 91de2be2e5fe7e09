// PduFramer: a TCP byte stream cut anywhere gives back the same PDUs, byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PduFramer } from '../../../src/ul/framer';
import { writePdu } from '../../../src/ul/pdu-writer';
import { PduType } from '../../../src/ul/pdu-types';
import { DCMTK_STORESCU_USER_RQ } from './pdu-fixtures';

function pdata(size: number, fill: number): Buffer {
  return writePdu({ type: 'P-DATA-TF', pdvs: [{ presentationContextId: 1, command: false, last: false, data: Buffer.alloc(size, fill) }] });
}

/** An association request, P-DATA PDUs of several sizes (some larger than a chunk), a release. */
const PDUS = [
  DCMTK_STORESCU_USER_RQ,
  pdata(10, 1), pdata(16_000, 2), pdata(3, 3), pdata(70_000, 4), pdata(1_000, 5),
  writePdu({ type: 'A-RELEASE-RQ' }),
];
const STREAM = Buffer.concat(PDUS);

function feed(chunks: Buffer[]): Buffer[] {
  const framer = new PduFramer(0);
  const out: Buffer[] = [];
  for (const c of chunks) {
    framer.push(c);
    for (let p = framer.next(); p; p = framer.next()) {
      assert.equal(p.type, p.whole[0]);
      assert.ok(p.body.equals(p.whole.subarray(6)));
      out.push(Buffer.from(p.whole));
    }
  }
  assert.equal(framer.buffered, 0, 'nothing left over');
  return out;
}

function assertSame(got: Buffer[], what: string): void {
  assert.equal(got.length, PDUS.length, what);
  got.forEach((b, i) => assert.ok(b.equals(PDUS[i]), `${what}: PDU ${i}`));
}

test('the stream in one chunk, and cut in two at a spread of offsets', () => {
  assertSame(feed([STREAM]), 'one chunk');
  for (let cut = 0; cut <= STREAM.length; cut += 97) {
    assertSame(feed([STREAM.subarray(0, cut), STREAM.subarray(cut)]), `cut at ${cut}`);
  }
});

test('seeded random chunk sizes (1 byte to 64 KiB), a PDU often spread over several chunks', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 50; round++) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < STREAM.length;) {
      const size = 1 + rand(round % 2 ? 65_536 : 300);
      chunks.push(STREAM.subarray(at, at + size));
      at += size;
    }
    assertSame(feed(chunks), `round ${round}`);
  }
});

test('the header split over chunks (fewer than 6 bytes first)', () => {
  assertSame(feed([STREAM.subarray(0, 2), STREAM.subarray(2, 5), STREAM.subarray(5)]), 'split header');
});

test('a P-DATA-TF longer than our maximum is refused from its header alone', () => {
  const framer = new PduFramer(1000);
  framer.push(pdata(2000, 1).subarray(0, 6));
  assert.throws(() => framer.next(), (e: Error & { code?: string }) => e.code === 'UL_PDATA_TOO_LARGE');
  const control = new PduFramer(1000);
  control.push(Buffer.from([PduType.AssociateRq, 0, 0x7f, 0, 0, 0]));
  assert.throws(() => control.next(), (e: Error & { code?: string }) => e.code === 'UL_PDU_TOO_LARGE');
});
