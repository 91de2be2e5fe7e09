/**
 * Splits a TCP byte stream into PDUs (header type + body), keeping the chunks in a list
 * so a PDU spread over many reads is joined once. Pure: no socket here.
 * PS3.8 9.3.1: every PDU starts with type (1 byte), reserved (1), length (4, big endian).
 */
import { PduError } from '../util/errors';
import { PduType } from './pdu-types';

export interface RawPdu { type: number; body: Buffer; whole: Buffer }

/** Largest non-P-DATA PDU we accept (an A-ASSOCIATE-RQ with 128 contexts is ~20 KB). */
export const MAX_CONTROL_PDU = 1 << 20;

export class PduFramer {
  private chunks: Buffer[] = [];
  private size = 0;

  /** maxPData: our maximum P-DATA-TF length (0 = unlimited), PS3.8 D.1. */
  constructor(private readonly maxPData: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  get buffered(): number { return this.size; }

  /** The next complete PDU, or undefined when more bytes are needed. Throws PduError on an oversize length. */
  next(): RawPdu | undefined {
    if (this.size < 6) return undefined;
    const head = this.peek(6);
    const type = head[0];
    const length = head.readUInt32BE(2);
    this.checkLength(type, length);
    if (this.size < 6 + length) return undefined;
    const whole = this.take(6 + length);
    return { type, body: whole.subarray(6), whole };
  }

  private checkLength(type: number, length: number): void {
    if (type === PduType.PData) {
      // A small tolerance is not allowed: the standard says the peer shall not exceed it.
      if (this.maxPData > 0 && length > this.maxPData) {
        throw new PduError('UL_PDATA_TOO_LARGE', `P-DATA-TF of ${length} bytes exceeds our maximum of ${this.maxPData}`, 6);
      }
    } else if (length > MAX_CONTROL_PDU) {
      throw new PduError('UL_PDU_TOO_LARGE', `PDU type 0x${type.toString(16)} of ${length} bytes is too large`, 6);
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    this.chunks.unshift(this.join(n));
    return this.chunks[0];
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift(); else this.chunks[0] = first.subarray(n);
    } else {
      out = this.join(n);
    }
    this.size -= n;
    return out;
  }

  /**
   * Removes the first `n` buffered bytes (spread over several chunks) as one new buffer.
   * Only those bytes are copied: the rest of the last chunk stays a view (joining every
   * buffered chunk copied a whole socket read again for each PDU straddling two reads).
   */
  private join(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const use = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, use);
      filled += use;
      if (use === c.length) this.chunks.shift(); else this.chunks[0] = c.subarray(use);
    }
    return out;
  }
}
