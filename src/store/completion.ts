/**
 * The completion mark a received file carries in its Part 10 preamble (PS3.10 7.1 lets an
 * implementation use the 128 bytes; the data set is untouched). It is written just before
 * the file's fsync and says "this file was received whole": magic, the file's length and
 * the CRC-32 of every byte after the preamble. Because it is verified against the content,
 * a crash in the middle of writeback (mark on disk, data not) is recognised as incomplete.
 *
 * It lets the store answer Success before the directory entry of the final name is
 * durable: a file whose rename was lost to a power cut is found complete in spare/ or tmp/
 * by the start-up recovery and put in place (src/store/recover.ts).
 */
import { crc32 } from 'node:zlib';
import type { StoreFs } from './store-fs';

const MAGIC = Buffer.from('EDGEDONE', 'latin1');
/** Bytes of the mark at the start of the preamble: magic (8), file length (8), CRC-32 (4). */
export const MARK_LENGTH = 20;
/** The CRC covers the file from here ("DICM", File Meta Information, data set). */
export const CRC_START = 128;

export function completionMark(fileLength: number, crc: number): Buffer {
  const b = Buffer.alloc(MARK_LENGTH);
  MAGIC.copy(b, 0);
  b.writeBigUInt64LE(BigInt(fileLength), 8);
  b.writeUInt32LE(crc >>> 0, 16);
  return b;
}

export function parseCompletionMark(b: Buffer): { fileLength: number; crc: number } | undefined {
  if (b.length < MARK_LENGTH || !b.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  return { fileLength: Number(b.readBigUInt64LE(8)), crc: b.readUInt32LE(16) };
}

/** Running CRC-32 of a file being written, fed with its bytes in order. */
export class CompletionCrc {
  private crc = 0;
  private offset = 0;

  update(chunk: Buffer): void {
    const skip = Math.max(0, CRC_START - this.offset);
    if (skip < chunk.length) this.crc = crc32(skip ? chunk.subarray(skip) : chunk, this.crc);
    this.offset += chunk.length;
  }

  mark(): Buffer {
    return completionMark(this.offset, this.crc);
  }
}

const READ_CHUNK = 1024 * 1024;

/** True when the file at `path` carries a mark that matches its length and content. */
export async function isMarkedComplete(path: string, fs: StoreFs): Promise<boolean> {
  const size = await fs.size(path);
  if (size === null || size < CRC_START) return false;
  const mark = parseCompletionMark(await fs.readAt(path, 0, MARK_LENGTH));
  if (!mark || mark.fileLength !== size) return false;
  let crc = 0;
  for (let pos = CRC_START; pos < size; pos += READ_CHUNK) {
    const chunk = await fs.readAt(path, pos, Math.min(READ_CHUNK, size - pos));
    if (chunk.length === 0) return false;
    crc = crc32(chunk, crc);
  }
  return crc >>> 0 === mark.crc;
}
