import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_PDV_DATA_CAP,
  messagePdus,
  pdataChunks,
  pdataFromStream,
  pdataHeader,
  pdvDataLimit,
} from '../../../src/dimse/fragmenter';
import { EdgeError } from '../../../src/util/errors';

interface ParsedPdv {
  ctx: number;
  command: boolean;
  last: boolean;
  data: Buffer;
  pduLength: number;
}

/** Independent parse of one yielded PDU (PS3.8 9.3.5), checking every length field. */
function parsePdu(parts: Buffer[]): ParsedPdv {
  const pdu = Buffer.concat(parts);
  assert.equal(parts[0].length, 12, 'header is 12 bytes');
  assert.equal(pdu[0], 0x04, 'PDU type');
  assert.equal(pdu[1], 0x00, 'reserved');
  const pduLength = pdu.readUInt32BE(2);
  assert.equal(pduLength, pdu.length - 6, 'PDU length = bytes after the length field');
  const pdvLength = pdu.readUInt32BE(6);
  assert.equal(pdvLength, pduLength - 4, 'one PDV fills the PDU');
  const mch = pdu[11];
  assert.equal(mch & 0xfc, 0, 'reserved MCH bits are zero');
  return { ctx: pdu[10], command: (mch & 1) === 1, last: (mch & 2) === 2, data: pdu.subarray(12), pduLength };
}

function checkMessage(pdvs: ParsedPdv[], max: number, ctx: number, command: boolean, expected: Buffer): void {
  const limit = max === 0 ? DEFAULT_PDV_DATA_CAP + 6 : max;
  for (const [i, p] of pdvs.entries()) {
    assert.ok(p.pduLength <= limit, `PDU ${i} length ${p.pduLength} > max ${limit}`);
    assert.equal(p.ctx, ctx);
    assert.equal(p.command, command);
    assert.equal(p.last, i === pdvs.length - 1, `last bit only on the final PDV (${i}/${pdvs.length})`);
  }
  assert.ok(Buffer.concat(pdvs.map((p) => p.data)).equals(expected), 'reassembles exactly');
}

test('header bytes follow PS3.8 9.3.5 byte for byte', () => {
  // command, last, ctx 3, 10 data bytes
  assert.equal(pdataHeader(3, true, true, 10).toString('hex'), '04' + '00' + '00000010' + '0000000c' + '03' + '03');
  // data set, not last, ctx 255, 0 bytes
  assert.equal(pdataHeader(255, false, false, 0).toString('hex'), '04' + '00' + '00000006' + '00000002' + 'ff' + '00');
  assert.throws(() => pdataHeader(2, true, true, 0), /context id/);
  assert.throws(() => pdataHeader(0, true, true, 0), /context id/);
});

test('never exceeds the max PDU; boundary sizes reassemble exactly', () => {
  for (const max of [7, 8, 100, 16384, 16390]) {
    const per = max - 6;
    for (const len of [0, 1, per - 1, per, per + 1, 2 * per, 3 * per, 3 * per + 1]) {
      if (len < 0) continue;
      const data = randomBytes(len);
      const pdvs = [...pdataChunks(5, false, data, max)].map(parsePdu);
      const expectedCount = Math.max(1, Math.ceil(len / per));
      assert.equal(pdvs.length, expectedCount, `max ${max} len ${len}`);
      checkMessage(pdvs, max, 5, false, data);
      if (len > 0) assert.equal(pdvs[0].pduLength, Math.min(max, len + 6), 'full-size PDVs first');
    }
  }
});

test('0 bytes still yields one last PDV with no data', () => {
  const out = [...pdataChunks(1, false, Buffer.alloc(0), 16384)];
  assert.equal(out.length, 1);
  const p = parsePdu(out[0]);
  assert.equal(p.last, true);
  assert.equal(p.data.length, 0);
  assert.equal(p.pduLength, 6);
});

test('max 0 means unlimited, capped at DEFAULT_PDV_DATA_CAP per PDU', () => {
  const data = randomBytes(DEFAULT_PDV_DATA_CAP * 2 + 3);
  const pdvs = [...pdataChunks(1, false, data, 0)].map(parsePdu);
  assert.equal(pdvs.length, 3);
  checkMessage(pdvs, 0, 1, false, data);
  assert.equal(pdvDataLimit(0), DEFAULT_PDV_DATA_CAP);
  assert.equal(pdvDataLimit(0xffffffff), DEFAULT_PDV_DATA_CAP);
  assert.equal(pdvDataLimit(16384), 16378);
});

test('slices share memory with the input (no copy)', () => {
  const data = Buffer.alloc(100, 7);
  const out = [...pdataChunks(1, false, data, 56)];
  assert.equal(out.length, 2);
  assert.equal(out[0][1].buffer, data.buffer);
  data[0] = 9;
  assert.equal(out[0][1][0], 9);
});

test('impossible max PDU lengths are rejected', () => {
  for (const bad of [1, 6, -1, 1.5]) {
    assert.throws(() => [...pdataChunks(1, true, Buffer.alloc(1), bad)], (e: unknown) => e instanceof EdgeError && e.code === 'DIMSE_BAD_MAX_PDU', String(bad));
  }
});

test('messagePdus: command PDVs first, then data set PDVs, each with its own last bit', () => {
  const cmd = randomBytes(30);
  const ds = randomBytes(50);
  const pdvs = [...messagePdus(7, cmd, ds, 26)].map(parsePdu);
  const c = pdvs.filter((p) => p.command);
  const d = pdvs.filter((p) => !p.command);
  assert.equal(pdvs.findIndex((p) => !p.command), c.length, 'no command PDV after a data set PDV');
  checkMessage(c, 26, 7, true, cmd);
  checkMessage(d, 26, 7, false, ds);
  const noDs = [...messagePdus(7, cmd, undefined, 26)].map(parsePdu);
  assert.ok(noDs.every((p) => p.command));
});

/** A Readable emitting `data` in chunks of the given sizes (cycled). */
function chunked(data: Buffer, sizes: number[]): Readable {
  const parts: Buffer[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length];
    parts.push(data.subarray(off, off + n));
    off += n;
  }
  return Readable.from(parts, { objectMode: false });
}

async function collect(gen: AsyncGenerator<Buffer[]>): Promise<ParsedPdv[]> {
  const out: ParsedPdv[] = [];
  for await (const parts of gen) out.push(parsePdu(parts));
  return out;
}

test('pdataFromStream re-chunks odd-sized reads into full PDVs, last bit on the final one', async () => {
  const max = 1006; // 1000 data bytes per PDV
  const sizeSets = [[1], [7, 13, 999], [1000], [1001], [3000, 1], [65536]];
  for (const sizes of sizeSets) {
    for (const len of [1, 999, 1000, 1001, 2000, 5003]) {
      const data = randomBytes(len);
      const pdvs = await collect(pdataFromStream(9, chunked(data, sizes), max));
      checkMessage(pdvs, max, 9, false, data);
      assert.equal(pdvs.length, Math.ceil(len / 1000), `sizes ${sizes} len ${len}`);
      for (const p of pdvs.slice(0, -1)) assert.equal(p.data.length, 1000, 'every PDV but the last is full');
    }
  }
});

test('pdataFromStream on an empty source yields one empty last PDV', async () => {
  const pdvs = await collect(pdataFromStream(1, Readable.from([], { objectMode: false }), 100));
  assert.equal(pdvs.length, 1);
  assert.equal(pdvs[0].last, true);
  assert.equal(pdvs[0].data.length, 0);
});

test('pdataFromStream accepts any async iterable of Uint8Array or strings', async () => {
  async function* src(): AsyncGenerator<Uint8Array | string> {
    yield new Uint8Array([1, 2, 3]);
    yield 'ab';
    yield Buffer.from([4]);
  }
  const pdvs = await collect(pdataFromStream(1, src(), 10));
  checkMessage(pdvs, 10, 1, false, Buffer.from([1, 2, 3, 0x61, 0x62, 4]));
  assert.deepEqual(pdvs.map((p) => p.data.length), [4, 2]);
});

test('pdataFromStream pulls lazily: the source is not read ahead of the consumer', async () => {
  let produced = 0;
  async function* src(): AsyncGenerator<Buffer> {
    for (let i = 0; i < 100; i++) {
      produced++;
      yield Buffer.alloc(100, i);
    }
  }
  const it = pdataFromStream(1, src(), 106); // 100 bytes per PDV
  await it.next();
  // one PDV out needs 100 bytes plus one byte of lookahead: two source chunks
  assert.equal(produced, 2);
  await it.return(undefined);
});
