/**
 * The default data set sink: memory up to `dimseSize` bytes ([Memory] dimseSize of the
 * conformance statement), then everything goes to a temporary file (mode 0600).
 *
 * Never holds more than dimseSize bytes of data set in its own buffers: when a write
 * would exceed the budget, the chunks held so far are written to the file and dropped.
 * (Node's Writable queue in front of _write adds at most highWaterMark more while the
 * producer honours write() === false.)
 *
 * Lifecycle: written and ended by the MessageAssembler; after 'finish' the consumer
 * reads it (readAll / createReadStream, or takes `path` to rename the file into place
 * with `detachFile()`), then calls dispose(). destroy() at any time deletes the file.
 * autoDestroy is off so that 'finish' does not destroy (and delete) the data.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream as fsCreateReadStream, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { EdgeError } from '../util/errors';

export interface SpillSinkOptions {
  /** Bytes kept in memory before spilling; default 1 MiB (the statement's default). */
  dimseSize?: number;
  /** Directory for the temp file; default os.tmpdir(). */
  tmpDir?: string;
  /** Temp file name prefix; default 'dimse-'. */
  prefix?: string;
}

export const DEFAULT_DIMSE_SIZE = 1048576;

export class SpillSink extends Writable {
  readonly dimseSize: number;
  readonly tmpDir: string;
  private readonly prefix: string;
  private chunks: Buffer[] = [];
  private memoryBytes = 0;
  private bytes = 0;
  private file?: fsp.FileHandle;
  private filePath?: string;
  /** The in-flight file operation, awaited before closing or deleting. */
  private busy: Promise<unknown> = Promise.resolve();
  private cleaned?: Promise<void>;
  private detached = false;

  constructor(opts: SpillSinkOptions = {}) {
    super({ autoDestroy: false, decodeStrings: true });
    this.dimseSize = opts.dimseSize ?? DEFAULT_DIMSE_SIZE;
    this.tmpDir = opts.tmpDir ?? tmpdir();
    this.prefix = opts.prefix ?? 'dimse-';
  }

  /** Bytes written so far (the whole data set once finished). */
  get size(): number {
    return this.bytes;
  }

  /** True while nothing has been spilled to a file. */
  get inMemory(): boolean {
    return this.filePath === undefined;
  }

  /** The temp file, when spilled (closed once finished). */
  get path(): string | undefined {
    return this.filePath;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.bytes += chunk.length;
    if (!this.filePath && this.memoryBytes + chunk.length <= this.dimseSize) {
      this.chunks.push(chunk);
      this.memoryBytes += chunk.length;
      cb();
      return;
    }
    this.run(async () => {
      if (!this.file) await this.spill();
      await writeAll(this.file!, [chunk]);
    }, cb);
  }

  override _writev(items: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    const list = items.map((i) => i.chunk);
    const total = list.reduce((n, b) => n + b.length, 0);
    if (!this.filePath && this.memoryBytes + total <= this.dimseSize) {
      this.bytes += total;
      this.chunks.push(...list);
      this.memoryBytes += total;
      cb();
      return;
    }
    this.bytes += total;
    this.run(async () => {
      if (!this.file) await this.spill();
      await writeAll(this.file!, list);
    }, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.run(async () => {
      const f = this.file;
      this.file = undefined;
      await f?.close();
    }, cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.cleanup().then(
      () => cb(err),
      (e: Error) => cb(err ?? e),
    );
  }

  /** The whole data set. In memory: one concat; spilled: reads the file. */
  async readAll(): Promise<Buffer> {
    this.assertFinished('readAll');
    if (!this.filePath) return Buffer.concat(this.chunks, this.memoryBytes);
    return fsp.readFile(this.filePath);
  }

  /** A fresh stream over the data set; may be called more than once. */
  createReadStream(): Readable {
    this.assertFinished('createReadStream');
    if (!this.filePath) return Readable.from(this.chunks, { objectMode: false });
    return fsCreateReadStream(this.filePath);
  }

  /**
   * Hand the temp file over to the caller (e.g. to rename it into the store): the sink
   * forgets it, so dispose()/destroy() will not delete it. Undefined when in memory.
   */
  detachFile(): string | undefined {
    this.assertFinished('detachFile');
    const p = this.filePath;
    this.filePath = undefined;
    this.detached = true;
    this.chunks = [];
    this.memoryBytes = 0;
    return p;
  }

  /** Free the memory and delete the temp file. Idempotent. */
  async dispose(): Promise<void> {
    if (!this.destroyed) this.destroy();
    await this.cleanup();
  }

  private assertFinished(what: string): void {
    if (!this.writableFinished || this.destroyed || this.detached) {
      throw new EdgeError('DIMSE_SINK_NOT_READY', `SpillSink.${what}: the data set is not finished or was disposed`);
    }
  }

  /** Serialise async file work after any in-flight operation, reporting to a stream callback. */
  private run(work: () => Promise<void>, cb: (err?: Error | null) => void): void {
    const p = this.busy.then(work);
    this.busy = p.catch(() => undefined);
    p.then(
      () => cb(),
      (e: Error) => cb(e),
    );
  }

  /** Create the temp file and move the in-memory chunks into it. */
  private async spill(): Promise<void> {
    const path = join(this.tmpDir, `${this.prefix}${process.pid}-${randomBytes(8).toString('hex')}.tmp`);
    this.file = await fsp.open(path, 'wx', 0o600);
    this.filePath = path;
    const held = this.chunks;
    this.chunks = [];
    this.memoryBytes = 0;
    await writeAll(this.file, held);
  }

  private cleanup(): Promise<void> {
    this.cleaned ??= (async () => {
      await this.busy;
      this.chunks = [];
      this.memoryBytes = 0;
      const f = this.file;
      this.file = undefined;
      await f?.close().catch(() => undefined);
      const p = this.filePath;
      if (p) await fsp.rm(p, { force: true });
    })();
    return this.cleaned;
  }
}

/** Write every byte of `bufs` at the current position (handles short writes). */
async function writeAll(file: fsp.FileHandle, bufs: Buffer[]): Promise<void> {
  for (const b of bufs) {
    let off = 0;
    while (off < b.length) {
      const { bytesWritten } = await file.write(b, off, b.length - off);
      off += bytesWritten;
    }
  }
}
