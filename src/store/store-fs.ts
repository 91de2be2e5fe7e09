/**
 * The file operations the store uses, behind an interface so tests can inject faults
 * (ENOSPC in the middle of a data set) without module mocking or a real full disk.
 */
import * as fs from 'node:fs';
import { promisify } from 'node:util';

export interface StoreFs {
  open(path: string, flags: string, mode?: number): Promise<number>;
  /** Opens an existing file at once (a ready pool file, when a reception begins). */
  openSync(path: string, flags: string): number;
  /** Writes every byte of `bufs` (loops on short writes). */
  writeAll(fd: number, bufs: Buffer[]): Promise<void>;
  /** Writes `buf` at `position` (the completion mark in the preamble). */
  writeAt(fd: number, buf: Buffer, position: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  /** Reads up to `length` bytes at `position` of the file at `path`. */
  readAt(path: string, position: number, length: number): Promise<Buffer>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** mkdir -p; returns the first directory it created, if any. */
  mkdirp(path: string, mode: number): Promise<string | undefined>;
  /** fsync a directory so a rename or create in it survives power loss. */
  fsyncDir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  /** File size, or null when it does not exist. */
  size(path: string): Promise<number | null>;
}

const fsyncP = promisify(fs.fsync);
// Plain fds (not FileHandle objects, which close themselves when garbage-collected).
const openP = promisify(fs.open) as (path: string, flags: string, mode?: number) => Promise<number>;

/**
 * Cheap calls (writes into the page cache, close, rename, stat, mkdir) run
 * synchronously: a C-STORE waits for each of them in turn, and a thread-pool round trip
 * per call cost more than the call itself (measured: ~3 ms per small instance before,
 * most of it idle). Only fsync, which waits for the disk, goes to the thread pool here
 * (the store inlines it when that is cheaper: adaptive-fsync.ts).
 */
function sync<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

async function writeAll(fd: number, bufs: Buffer[]): Promise<void> {
  let rest = bufs.filter((b) => b.length > 0);
  while (rest.length) {
    const bytesWritten = fs.writevSync(fd, rest);
    rest = dropBytes(rest, bytesWritten);
  }
}

async function writeAt(fd: number, buf: Buffer, position: number): Promise<void> {
  for (let done = 0; done < buf.length; ) done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
}

function dropBytes(bufs: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (n >= b.length) n -= b.length;
    else {
      out.push(n > 0 ? b.subarray(n) : b);
      n = 0;
    }
  }
  return out;
}

async function readAt(path: string, position: number, length: number): Promise<Buffer> {
  const h = await fs.promises.open(path, 'r');
  try {
    // Not zero-filled (a forwarded CT image is 0.5 MiB: memset was ~2 % of the forwarder's
    // CPU); only the bytes read are returned.
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await h.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await h.close();
  }
}

async function fsyncDir(path: string): Promise<void> {
  const fd = fs.openSync(path, 'r');
  try {
    await fsyncP(fd);
  } finally {
    fs.closeSync(fd);
  }
}

async function size(path: string): Promise<number | null> {
  try {
    return fs.statSync(path).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export const nodeStoreFs: StoreFs = {
  // Creating a file is the slow one (~0.3-1 ms of kernel time on ext4): on the thread
  // pool, where the TempPool's creations overlap the network wait.
  open: (path, flags, mode) => openP(path, flags, mode),
  openSync: (path, flags) => fs.openSync(path, flags),
  writeAll,
  writeAt,
  fsync: (fd) => fsyncP(fd),
  close: (fd) => sync(() => fs.closeSync(fd)),
  readAt,
  rename: (a, b) => sync(() => fs.renameSync(a, b)),
  unlink: (p) => sync(() => fs.unlinkSync(p)),
  mkdirp: (p, mode) => sync(() => fs.mkdirSync(p, { recursive: true, mode })),
  fsyncDir,
  readdir: (p) => fs.promises.readdir(p),
  size,
};

/** Drops `bytes` of a `Buffer[]` from the front; exported for tests. */
export const _dropBytes = dropBytes;
