/**
 * A streaming ZIP writer (APPNOTE.TXT 6.3.10): STORE method (DICOM pixel data rarely
 * deflates well and the box stays cool), CRC-32 computed while streaming, sizes in a data
 * descriptor (general purpose bit 3) so nothing is buffered, UTF-8 names (bit 11).
 *
 * ZIP64 (APPNOTE 4.3.9, 4.3.14-16, 4.5.3) where a limit is passed, and only there, so a
 * small study gives a plain ZIP any reader opens: a file of 4 GiB or more gets a ZIP64
 * extra field in its local header (its size is known beforehand: the stored file's size)
 * and an 8-byte-size data descriptor; a central directory entry gets a ZIP64 extra field
 * for a size or a local header offset past 0xFFFFFFFF; more than 65,534 files or a central
 * directory past 4 GiB add the ZIP64 end of central directory record and locator.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { EdgeError } from '../util/errors';

interface Entry { name: Buffer; crc: number; size: number; offset: number; time: number; date: number }

const FLAGS = 0x0008 | 0x0800;
/** 32-bit fields hold this when the value is in the ZIP64 extra field (APPNOTE 4.4.8). */
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const VERSION = 20; // 2.0: data descriptor
const VERSION_ZIP64 = 45; // 4.5: ZIP64
const MADE_BY_UNIX = 3 << 8;

function dosDateTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((Math.max(1980, d.getFullYear()) - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** The ZIP64 extended information extra field (header 0x0001) with these 8-byte values. */
function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

export class ZipWriter {
  private offset = 0;
  private readonly entries: Entry[] = [];

  constructor(private readonly out: Writable) {}

  private async write(b: Buffer): Promise<void> {
    this.offset += b.length;
    if (!this.out.write(b)) await new Promise<void>((resolve, reject) => {
      const done = (e?: Error) => { this.out.off('drain', done); this.out.off('close', closed); e ? reject(e) : resolve(); };
      const closed = () => done(new EdgeError('ZIP_CLOSED', 'client went away'));
      this.out.once('drain', done);
      this.out.once('close', closed);
    });
  }

  /**
   * Adds one file, streamed from `source` (a path, or an async iterable of buffers with its
   * `size` when known). A file of 4 GiB or more needs its size beforehand (a path's is read
   * here): its local header must say ZIP64 before the data.
   */
  async add(name: string, source: string | AsyncIterable<Buffer>, mtime = new Date(), size?: number): Promise<void> {
    const expected = size ?? (typeof source === 'string' ? (await stat(source)).size : undefined);
    const big = expected !== undefined && expected >= MAX32;
    const nameBuf = Buffer.from(name, 'utf8');
    const { time, date } = dosDateTime(mtime);
    const e: Entry = { name: nameBuf, crc: 0, size: 0, offset: this.offset, time, date };
    // Sizes and CRC are 0 here, in the data descriptor (bit 3); a ZIP64 entry says so with
    // a zeroed ZIP64 extra field, and its descriptor then has 8-byte sizes (APPNOTE 4.3.9.2).
    const extra = big ? zip64Extra([0, 0]) : Buffer.alloc(0);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0); // local file header signature
    h.writeUInt16LE(big ? VERSION_ZIP64 : VERSION, 4);
    h.writeUInt16LE(FLAGS, 6);
    h.writeUInt16LE(0, 8); // compression method: stored
    h.writeUInt16LE(time, 10);
    h.writeUInt16LE(date, 12);
    h.writeUInt16LE(nameBuf.length, 26);
    h.writeUInt16LE(extra.length, 28);
    await this.write(Buffer.concat([h, nameBuf, extra]));
    const input = typeof source === 'string' ? createReadStream(source) : source;
    for await (const chunk of input as AsyncIterable<Buffer>) {
      e.crc = crc32(chunk, e.crc);
      e.size += chunk.length;
      await this.write(chunk);
    }
    if (!big && e.size >= MAX32) {
      throw new EdgeError('ZIP_SIZE_UNKNOWN', `${name}: ${e.size} bytes, more than announced; a file of 4 GiB or more needs its size beforehand`);
    }
    await this.write(this.dataDescriptor(e, big));
    this.entries.push(e);
  }

  private dataDescriptor(e: Entry, big: boolean): Buffer {
    const dd = Buffer.alloc(big ? 24 : 16);
    dd.writeUInt32LE(0x08074b50, 0);
    dd.writeUInt32LE(e.crc >>> 0, 4);
    if (big) {
      dd.writeBigUInt64LE(BigInt(e.size), 8); // compressed size = size (stored)
      dd.writeBigUInt64LE(BigInt(e.size), 16);
    } else {
      dd.writeUInt32LE(e.size, 8);
      dd.writeUInt32LE(e.size, 12);
    }
    return dd;
  }

  /** Writes the central directory and the end records; does not end `out`. */
  async finish(): Promise<void> {
    const start = this.offset;
    for (const e of this.entries) await this.write(centralEntry(e));
    const cdSize = this.offset - start;
    const n = this.entries.length;
    if (n >= MAX16 || start >= MAX32 || cdSize >= MAX32) await this.write(zip64End(this.offset, n, cdSize, start));
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(n, MAX16), 8);
    end.writeUInt16LE(Math.min(n, MAX16), 10);
    end.writeUInt32LE(Math.min(cdSize, MAX32), 12);
    end.writeUInt32LE(Math.min(start, MAX32), 16);
    await this.write(end);
  }
}

/** A central directory file header; past 32 bits, the values go in a ZIP64 extra field. */
function centralEntry(e: Entry): Buffer {
  const bigSize = e.size >= MAX32;
  const bigOffset = e.offset >= MAX32;
  // APPNOTE 4.5.3: only the fields that overflowed, in this order.
  const values = [...(bigSize ? [e.size, e.size] : []), ...(bigOffset ? [e.offset] : [])];
  const extra = values.length ? zip64Extra(values) : Buffer.alloc(0);
  const version = values.length ? VERSION_ZIP64 : VERSION;
  const c = Buffer.alloc(46);
  c.writeUInt32LE(0x02014b50, 0);
  c.writeUInt16LE(MADE_BY_UNIX | version, 4);
  c.writeUInt16LE(version, 6);
  c.writeUInt16LE(FLAGS, 8);
  c.writeUInt16LE(0, 10);
  c.writeUInt16LE(e.time, 12);
  c.writeUInt16LE(e.date, 14);
  c.writeUInt32LE(e.crc >>> 0, 16);
  c.writeUInt32LE(bigSize ? MAX32 : e.size, 20);
  c.writeUInt32LE(bigSize ? MAX32 : e.size, 24);
  c.writeUInt16LE(e.name.length, 28);
  c.writeUInt16LE(extra.length, 30);
  c.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: regular file rw-r--r--
  c.writeUInt32LE(bigOffset ? MAX32 : e.offset, 42);
  return Buffer.concat([c, e.name, extra]);
}

/** ZIP64 end of central directory record (APPNOTE 4.3.14) at `at`, then its locator (4.3.15). */
function zip64End(at: number, entries: number, cdSize: number, cdStart: number): Buffer {
  const r = Buffer.alloc(56 + 20);
  r.writeUInt32LE(0x06064b50, 0);
  r.writeBigUInt64LE(44n, 4); // size of the rest of this record
  r.writeUInt16LE(MADE_BY_UNIX | VERSION_ZIP64, 12);
  r.writeUInt16LE(VERSION_ZIP64, 14);
  // disk numbers (4 + 4): 0
  r.writeBigUInt64LE(BigInt(entries), 24);
  r.writeBigUInt64LE(BigInt(entries), 32);
  r.writeBigUInt64LE(BigInt(cdSize), 40);
  r.writeBigUInt64LE(BigInt(cdStart), 48);
  r.writeUInt32LE(0x07064b50, 56);
  // disk with the ZIP64 end record (4): 0
  r.writeBigUInt64LE(BigInt(at), 64);
  r.writeUInt32LE(1, 72); // total number of disks
  return r;
}
