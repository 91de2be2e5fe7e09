/**
 * A few files created ahead of need, received into in place. Creating a file costs
 * ~0.3 ms of kernel time on ext4 here, on the critical path of every C-STORE (the sender
 * waits for each response); made in advance on the thread pool, that cost overlaps the
 * network wait, and one folder fsync per batch makes their entries durable. Files are
 * opened O_EXCL, mode 0600, with random names, in <root>/spare; after a crash the start-up
 * recovery keeps those with a valid completion mark and deletes the rest.
 */
import { join } from 'node:path';
import type { StoreFs } from './store-fs';
import { tmpFileName } from './paths';

export interface TempFileHandle { path: string; fd: number }

export class TempPool {
  private readonly ready: TempFileHandle[] = [];
  /** The batch being created (close() waits for it, so no file appears after close). */
  private batch?: Promise<boolean>;
  private closed = false;

  /** `size` files at most, made in batches once fewer than half are left (one folder fsync per batch). */
  constructor(private readonly dir: string, private readonly fs: StoreFs, private readonly size = 16) {}

  /** A ready temp file, or undefined (the caller then creates one itself). Starts a refill. */
  take(): TempFileHandle | undefined {
    const h = this.ready.shift();
    this.refill();
    return h;
  }

  refill(): void {
    const want = this.size - this.ready.length;
    if (this.closed || this.batch || this.ready.length > this.size / 2 || want <= 0) return;
    this.batch = this.createBatch(want);
    void this.batch.then((ok) => {
      this.batch = undefined;
      if (ok) this.refill(); // taken meanwhile: top up (not after a failure, which would spin)
    });
  }

  /**
   * Creates `n` files one after the other, then fsyncs the folder once: a file is handed out
   * only when its directory entry is durable (TempFile.entryDurable relies on it). One at a
   * time, because creations in parallel contend for the folder's lock and the inode
   * allocator with the fsync of the instance being received (ingest ~5 % slower).
   */
  private async createBatch(n: number): Promise<boolean> {
    const made: TempFileHandle[] = [];
    for (let i = 0; i < n && !this.closed; i++) {
      const path = join(this.dir, tmpFileName());
      // A failed pre-creation (disk full...) is not an error of any instance: the next
      // begin() creates its own file and reports the failure with the right status.
      const fd = await this.fs.open(path, 'wx', 0o600).catch(() => null);
      if (fd !== null) made.push({ path, fd });
    }
    const durable = made.length > 0 && await this.fs.fsyncDir(this.dir).then(() => true, () => false);
    if (this.closed || !durable) {
      await Promise.all(made.map((h) => this.discard(h)));
      return false;
    }
    this.ready.push(...made);
    return made.length === n;
  }

  /** Closes and deletes the files not handed out. */
  async close(): Promise<void> {
    this.closed = true;
    await this.batch; // its files are discarded when it sees `closed`
    await Promise.all(this.ready.splice(0).map((h) => this.discard(h)));
  }

  private async discard(h: TempFileHandle): Promise<void> {
    await this.fs.close(h.fd).catch(() => undefined);
    await this.fs.unlink(h.path).catch(() => undefined);
  }
}
