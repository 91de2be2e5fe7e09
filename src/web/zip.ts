/**
 * A streaming ZIP writer (APPNOTE.TXT 6.3): STORE method (DICOM pixel data rarely
 * deflates well and the box stays cool), CRC-32 computed while streaming, sizes in a data
 * descriptor (general purpose bit 3) so nothing is buffered, UTF-8 names (bit 11). No
 * ZIP64: an archive that would pass 4 GiB fails with ZIP_TOO_LARGE.
 */
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { EdgeError } from '../util/errors';

interface Entry { name: Buffer; crc: number; size: number; offset: number; time: number; date: number }

const FLAGS = 0x0008 | 0x0800;
const LIMIT = 0xffffffff;

function dosDateTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((Math.max(1980, d.getFullYear()) - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
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

  /** Adds one file, streamed from `source` (a path or an async iterable of buffers). */
  async add(name: string, source: string | AsyncIterable<Buffer>, mtime = new Date()): Promise<void> {
    const nameBuf = Buffer.from(name, 'utf8');
    const { time, date } = dosDateTime(mtime);
    const e: Entry = { name: nameBuf, crc: 0, size: 0, offset: this.offset, time, date };
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0); // local file header signature
    h.writeUInt16LE(20, 4); // version needed to extract (2.0: data descriptor)
    h.writeUInt16LE(FLAGS, 6);
    h.writeUInt16LE(0, 8); // compression method: stored
    h.writeUInt16LE(time, 10);
    h.writeUInt16LE(date, 12);
    // crc-32, sizes: 0 here, in the data descriptor (bit 3)
    h.writeUInt16LE(nameBuf.length, 26);
    await this.write(Buffer.concat([h, nameBuf]));
    const input = typeof source === 'string' ? createReadStream(source) : source;
    for await (const chunk of input as AsyncIterable<Buffer>) {
      e.crc = crc32(chunk, e.crc);
      e.size += chunk.length;
      await this.write(chunk);
    }
    if (this.offset > LIMIT) throw new EdgeError('ZIP_TOO_LARGE', 'archive over 4 GiB (ZIP64 not supported)');
    const dd = Buffer.alloc(16);
    dd.writeUInt32LE(0x08074b50, 0);
    dd.writeUInt32LE(e.crc >>> 0, 4);
    dd.writeUInt32LE(e.size, 8); // compressed size = size (stored)
    dd.writeUInt32LE(e.size, 12);
    await this.write(dd);
    this.entries.push(e);
  }

  /** Writes the central directory and the end record; does not end `out`. */
  async finish(): Promise<void> {
    const start = this.offset;
    for (const e of this.entries) {
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE(0x0314, 4); // made by: UNIX, 2.0
      c.writeUInt16LE(20, 6);
      c.writeUInt16LE(FLAGS, 8);
      c.writeUInt16LE(0, 10);
      c.writeUInt16LE(e.time, 12);
      c.writeUInt16LE(e.date, 14);
      c.writeUInt32LE(e.crc >>> 0, 16);
      c.writeUInt32LE(e.size, 20);
      c.writeUInt32LE(e.size, 24);
      c.writeUInt16LE(e.name.length, 28);
      c.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: regular file rw-r--r--
      c.writeUInt32LE(e.offset, 42);
      await this.write(Buffer.concat([c, e.name]));
    }
    if (this.offset > LIMIT || this.entries.length > 0xffff) throw new EdgeError('ZIP_TOO_LARGE', 'archive over ZIP limits (ZIP64 not supported)');
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(this.offset - start, 12);
    end.writeUInt32LE(start, 16);
    await this.write(end);
  }
}
