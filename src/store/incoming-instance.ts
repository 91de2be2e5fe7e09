/**
 * One C-STORE data set on its way to disk. A Writable (ws receiver habit): the network
 * layer writes the data set bytes as they arrive and pauses the socket when write()
 * returns false, so a fast sender never makes us hold a whole instance in memory.
 *
 * Storage failures never error the stream: the instance switches to discarding (the
 * peer's remaining PDVs must still be read) and commit() rejects with a StoreError
 * whose `status` goes into the C-STORE-RSP. The temp file is removed at once.
 */
import { Writable } from 'node:stream';
import { settled } from '../util/settled';
import { EdgeError } from '../util/errors';
import { StoreError, toStoreError } from './store-errors';
import type { StoreFs } from './store-fs';
import { CompletionCrc } from './completion';

export interface BeginInfo {
  /** Affected SOP Class UID of the C-STORE-RQ. */
  sopClassUid: string;
  /** Affected SOP Instance UID of the C-STORE-RQ. */
  sopInstanceUid: string;
  /** Transfer syntax negotiated for the presentation context. */
  transferSyntaxUid: string;
  callingAe: string;
  calledAe: string;
}

/** What commit() needs from the temp file once every byte is on disk. */
export interface TempFile {
  path: string;
  /**
   * The file's directory entry is already durable (a pool file in spare/, made durable when
   * it was created): the final rename then need not be fsynced before Success, because a
   * lost rename leaves a complete, marked file that recovery puts in place.
   */
  entryDurable: boolean;
  /** Where the data set starts (the length of preamble + meta). */
  dataSetOffset: number;
  /** Data set bytes received. */
  dataSetLength: number;
  /** The first bytes of the data set (up to HEAD_BYTES), kept so the header is parsed without reading the file back. */
  head: Buffer;
}

/** Bytes of the data set kept in memory for the header parser (a CT header is ~2-4 KiB). */
export const HEAD_BYTES = 64 * 1024;

export type Finalizer<R> = (tmp: TempFile) => Promise<R>;

const HIGH_WATER_MARK = 256 * 1024;

export class IncomingInstance<R = unknown> extends Writable {
  readonly info: BeginInfo;
  /** Data set bytes accepted so far (including any discarded after a failure). */
  bytesReceived = 0;
  private fd: number | null = null;
  private failure: StoreError | null;
  private removal: Promise<void> | null = null;
  private commitResult: Promise<R> | null = null;
  private handedOver = false;
  /** True when no temp file is ever created (the request was refused up front). */
  private readonly noFile: boolean;
  /**
   * Nothing written yet: while the data set fits in the head kept for the parser, its bytes
   * wait there, and a small instance goes to disk in one write with its completion mark in
   * the preamble (a separate write of the mark was ~12 µs of a ~0.9 ms small C-STORE).
   * The File Meta Information goes out with the first write in any case.
   */
  private deferred = true;
  private readonly headParts: Buffer[] = [];
  private headLength = 0;
  /** CRC of what was written, for the completion mark (src/store/completion.ts). */
  private readonly crc = new CompletionCrc();
  /** Where the bytes go: a pool file received in place (spare/), or a new file in tmp/. */
  private readonly tmpPath: string;

  constructor(
    info: BeginInfo,
    private readonly fsops: StoreFs,
    tmpPath: string,
    private readonly meta: Buffer,
    private readonly finalizer: Finalizer<R>,
    preFailure: StoreError | null = null,
    /** A spare file already created (and open) by the store's pool: received in place. */
    private readonly spare?: { fd: number; path: string },
    /** Called once every byte is written, while the fsync runs (the header is parsed meanwhile). */
    private readonly onReceived?: (t: TempFile) => void,
  ) {
    // autoDestroy off: 'finish' must not trigger _destroy (which deletes the temp file)
    // before commit() has handed the file over.
    super({ highWaterMark: HIGH_WATER_MARK, decodeStrings: true, autoDestroy: false });
    this.info = info;
    this.failure = preFailure;
    this.noFile = preFailure !== null;
    this.tmpPath = spare?.path ?? tmpPath;
  }

  /** The failure that commit() will report, as soon as it is known (or null). */
  get failed(): StoreError | null {
    return this.failure;
  }

  /** Opens the temp file (O_EXCL, 0600) and writes preamble + File Meta Information. */
  override _construct(cb: (err?: Error | null) => void): void {
    if (this.failure) return cb();
    if (this.spare) {
      this.fd = this.spare.fd;
      return cb();
    }
    this.fsops
      .open(this.tmpPath, 'wx', 0o600)
      .then(async (fd) => {
        this.fd = fd;
      })
      .catch((e) => this.fail(e, 'creating the temp file'))
      .then(() => cb(), cb);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeChunks([chunk], cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.writeChunks(chunks.map((c) => c.chunk), cb);
  }

  private writeChunks(bufs: Buffer[], cb: (err?: Error | null) => void): void {
    const before = this.bytesReceived;
    for (const b of bufs) {
      this.bytesReceived += b.length;
      this.keepHead(b);
    }
    if (this.failure || this.fd === null) return cb();
    let out = bufs;
    if (this.deferred) {
      if (this.bytesReceived <= HEAD_BYTES) return cb(); // all of it is in headParts
      // Too large for one write: the meta, what waited in the head, and what lies beyond it.
      this.deferred = false;
      out = [this.meta, ...this.headParts, ...skipBytes(bufs, HEAD_BYTES - before)];
    }
    for (const b of out) this.crc.update(b);
    this.fsops
      .writeAll(this.fd, out)
      .catch((e) => this.fail(e, 'writing the data set'))
      .then(() => cb(), cb);
  }

  /**
   * Keeps the start of the data set (views, not copies: as with any Writable, a chunk
   * handed to write() is never reused by its producer; socket reads are fresh buffers).
   */
  private keepHead(b: Buffer): void {
    if (this.headLength >= HEAD_BYTES) return;
    const part = b.length <= HEAD_BYTES - this.headLength ? b : b.subarray(0, HEAD_BYTES - this.headLength);
    this.headParts.push(part);
    this.headLength += part.length;
  }

  /** End of data: completion mark in the preamble, then fsync (durable before it is renamed). */
  override _final(cb: (err?: Error | null) => void): void {
    const fd = this.fd;
    if (this.failure || fd === null) return cb();
    let written: Promise<void>;
    if (this.deferred) {
      // The whole data set waited in the head: preamble with its mark, meta and data at once.
      this.deferred = false;
      const out = [this.meta, ...this.headParts];
      for (const b of out) this.crc.update(b);
      this.crc.mark().copy(this.meta, 0); // this instance's own meta buffer (buildFileMeta)
      written = this.fsops.writeAll(fd, out);
    } else {
      written = this.fsops.writeAt(fd, this.crc.mark(), 0);
    }
    let stage = 'writing the data set';
    written
      .then(() => {
        stage = 'syncing the data set';
        const synced = this.fsops.fsync(fd); // on the thread pool; the callback's work overlaps it
        this.onReceived?.(this.tempFile());
        return synced;
      })
      .then(() => {
        this.fd = null;
        return this.fsops.close(fd);
      })
      .catch((e) => this.fail(e, stage))
      .then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.handedOver) this.removeTemp();
    (this.removal ?? Promise.resolve()).then(() => cb(err), () => cb(err));
  }

  /**
   * Ends the stream if needed, waits for every byte to be on disk, then stores the
   * instance. Resolves only when file and index are durable. Idempotent.
   */
  commit(): Promise<R> {
    this.commitResult ??= this.doCommit();
    return this.commitResult;
  }

  private async doCommit(): Promise<R> {
    if (this.destroyed && !this.writableFinished) throw new EdgeError('STORE_DISCARDED', 'commit() after discard()');
    if (!this.writableEnded) this.end();
    try {
      await settled(this);
    } catch (e) {
      await this.removeTemp(); // destroyed while committing (association aborted)
      throw toStoreError(e, 'receiving the data set');
    }
    if (this.failure) {
      await this.removeTemp();
      throw this.failure;
    }
    this.handedOver = true;
    try {
      return await this.finalizer(this.tempFile());
    } catch (e) {
      this.handedOver = false;
      await this.removeTemp();
      throw toStoreError(e, 'storing the instance');
    }
  }

  /** Once every byte is written (from _final on): built once, for the header parser and the finalizer. */
  private tempFile(): TempFile {
    this.done ??= {
      path: this.tmpPath, entryDurable: this.spare !== undefined, dataSetOffset: this.meta.length,
      dataSetLength: this.bytesReceived,
      head: this.headParts.length === 1 ? this.headParts[0] : Buffer.concat(this.headParts, this.headLength),
    };
    return this.done;
  }
  private done?: TempFile;

  /** Drops the instance: closes and deletes the temp file. Resolves when it is gone. */
  async discard(): Promise<void> {
    if (this.commitResult) {
      await this.commitResult.then(() => undefined, () => undefined);
      return;
    }
    this.destroy();
    await settled(this).catch(() => undefined);
    await this.removeTemp();
  }

  private fail(e: unknown, stage: string): void {
    this.failure ??= toStoreError(e, stage);
    this.removeTemp();
  }

  /** Closes the descriptor and deletes the temp file, once (ENOENT and close errors are ignored). */
  private removeTemp(): Promise<void> {
    if (this.removal) return this.removal;
    const fd = this.fd;
    this.fd = null;
    this.removal = (async () => {
      if (fd !== null) await this.fsops.close(fd).catch(() => undefined);
      if (!this.noFile) await this.fsops.unlink(this.tmpPath).catch(() => undefined);
    })();
    return this.removal;
  }
}

/** The buffers of `bufs` from byte `n` on (views, no copy). */
function skipBytes(bufs: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (n >= b.length) {
      n -= b.length;
      continue;
    }
    out.push(n > 0 ? b.subarray(n) : b);
    n = 0;
  }
  return out;
}
