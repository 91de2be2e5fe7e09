/**
 * Cursor-style big-endian byte reader and a growable writer that back-fills
 * lengths (the node-postgres pg-protocol habit). PS3.8 9.3.1: every PDU and
 * item header field is big endian. Nothing here does I/O.
 */
import { EdgeError, PduError } from '../util/errors';

/** Reads fields in order from `buf[start, end)`; never reads past `end`. */
export class BufferReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
    /** What is being read, for error messages ("A-ASSOCIATE-RQ", "item 0x51"). */
    readonly what = 'PDU',
  ) {
    this.pos = start;
  }

  /** Position in the underlying buffer. */
  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws PDU_ITEM_OVERRUN (A-ABORT reason 6) when fewer than `n` bytes are left. */
  need(n: number): void {
    if (n > this.remaining) {
      throw new PduError(
        'PDU_ITEM_OVERRUN',
        `${this.what}: need ${n} bytes at offset ${this.pos}, only ${this.remaining} left`,
        6,
      );
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** The next `n` bytes as ISO 646 text; bytes above 0x7f are kept as latin1. */
  ascii(n: number): string {
    return this.bytes(n).toString('latin1');
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A reader over the next `n` bytes (an item's value); this reader moves past them. */
  sub(n: number, what = this.what): BufferReader {
    this.need(n);
    const r = new BufferReader(this.buf, this.pos, this.pos + n, what);
    this.pos += n;
    return r;
  }
}

/** Growable big-endian writer; `mark16`/`mark32` + `fill` back-fill a length field. */
export class BufferWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.alloc(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Text as latin1 bytes (ISO 646 for everything the upper layer sends). */
  ascii(s: string): this {
    return this.bytes(Buffer.from(s, 'latin1'));
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Reserves a 2-byte length; pass the result to `fill16` after writing the value. */
  mark16(): number {
    const at = this.pos;
    this.u16(0);
    return at;
  }

  mark32(): number {
    const at = this.pos;
    this.u32(0);
    return at;
  }

  /** Back-fills the length of everything written after the mark. Throws past 0xffff. */
  fill16(mark: number): void {
    const len = this.pos - mark - 2;
    if (len > 0xffff) throw new EdgeError('PDU_ENCODE', `item value of ${len} bytes exceeds the 2-byte length field`);
    this.buf.writeUInt16BE(len, mark);
  }

  fill32(mark: number): void {
    const len = this.pos - mark - 4;
    if (len > 0xffffffff) throw new EdgeError('PDU_ENCODE', `value of ${len} bytes exceeds the 4-byte length field`);
    this.buf.writeUInt32BE(len, mark);
  }

  /** The bytes written so far (copied only when the backing buffer is larger). */
  toBuffer(): Buffer {
    if (this.pos === this.buf.length) return this.buf;
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
