/**
 * Empty files made ahead of need in <root>/spare, received into in place. Creating a file
 * is the costly part of a small C-STORE here (~0.3-0.6 ms of kernel time on ext4, more
 * where many files were deleted lately), and made during a burst it also slows the fsync
 * of the instance being received (same folder lock and allocator): measured with storescu,
 * a burst that finds its files ready is 33 % faster for 1000 small images and 16 % for
 * 300 CT images than one that creates them as it goes.
 *
 * So the pool fills up to `size` files while the store is quiet (no file taken for
 * `idleMs`), and during a burst only when fewer than `low` are left. "Quiet" also waits
 * for `busy()` (the agent: a forward on the wire) while at least a quarter of the pool is
 * ready: refilling 300 files right after a study competed with forwarding that study
 * (forward benchmark, refill held back: via-edge median 1.63 s instead of 1.73 s). Files are created one
 * after the other (in parallel they contend with that fsync), `batch` at a time, and one
 * folder fsync per batch makes their entries durable before they are handed out
 * (TempFile.entryDurable relies on it). Each file is fsynced once, empty, when created: on
 * ext4 the first fsync of a new file also writes its folder (the "new entry" state), and
 * done here, off the burst, it leaves the received data's fsync that much cheaper
 * (~0.05 ms of ~0.3 for a small image on this VM's disk). Ready files are kept as names, not open
 * descriptors, and stay at stop: the start-up recovery keeps the empty files of spare/ as
 * the pool (adopt), deletes partial ones and puts marked complete ones in place.
 */
import { join } from 'node:path';
import type { StoreFs } from './store-fs';
import { tmpFileName } from './paths';

export interface TempFileHandle { path: string; fd: number }

/** After a failed creation (disk full), the next attempt when nothing asks earlier. */
const RETRY_MS = 5000;

export interface TempPoolOptions {
  /** Files kept ready (0: no pool, every reception creates its file in tmp/). */
  size: number;
  /** Below this many ready files, refill even in the middle of a burst. */
  low?: number;
  /** Files created per folder fsync. */
  batch?: number;
  /** Quiet time (no file taken) before filling up to `size`. */
  idleMs?: number;
  /** Other work that the fill should not compete with (it waits while a quarter is ready). */
  busy?: () => boolean;
}

export class TempPool {
  private readonly ready: string[] = [];
  private readonly size: number;
  private readonly low: number;
  private readonly batchSize: number;
  private readonly idleMs: number;
  private readonly busy: () => boolean;
  /** While busy(), quiet-time filling waits unless fewer than this many are ready. */
  private readonly busyFloor: number;
  /** The fill loop running (close() waits for it, so no file appears after close). */
  private filling?: Promise<void>;
  private idleTimer?: NodeJS.Timeout;
  /** Files taken so far: a fill that sees it change has been interrupted by a burst. */
  private takes = 0;
  private closed = false;

  constructor(private readonly dir: string, private readonly fs: StoreFs, o: TempPoolOptions) {
    this.size = Math.max(0, o.size);
    this.low = Math.min(this.size, o.low ?? 16);
    this.batchSize = Math.max(1, o.batch ?? 32);
    this.idleMs = o.idleMs ?? 250;
    this.busy = o.busy ?? (() => false);
    this.busyFloor = Math.max(this.low, Math.ceil(this.size / 4));
  }

  /** Ready files (for tests and metrics). */
  get available(): number {
    return this.ready.length;
  }

  /** Empty files found in spare/ at start (durable: they survived the restart). */
  adopt(paths: string[]): void {
    this.ready.push(...paths);
  }

  /** Fills the pool now (at start the store is quiet). */
  start(): void {
    this.fill();
  }

  /** A ready file, open for writing, or undefined (the caller then creates one in tmp/). */
  take(): TempFileHandle | undefined {
    this.takes++;
    let h: TempFileHandle | undefined;
    while (!h && this.ready.length) {
      const path = this.ready.pop()!; // any ready file will do: pop() is O(1), shift() moved the whole list
      try {
        h = { path, fd: this.fs.openSync(path, 'r+') };
      } catch (e) {
        // Gone (removed by hand): the next one. Not writable (left by another user): drop it.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') void this.fs.unlink(path).catch(() => undefined);
      }
    }
    if (this.ready.length < this.low) this.fill();
    else this.fillWhenQuiet();
    return h;
  }

  /** Stops filling; the ready files stay (adopted at the next start). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    await this.filling;
  }

  private fillWhenQuiet(): void {
    if (!this.filling && this.ready.length < this.size) this.fillAfter(this.idleMs);
  }

  /** A fill in `ms` (a later call moves it: takes keep postponing the quiet-time fill). */
  private fillAfter(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => (this.yieldsToBusy() ? this.fillAfter(this.idleMs) : this.fill()), ms);
    this.idleTimer.unref();
  }

  /** Quiet-time filling waits while other work runs, if enough files are ready meanwhile. */
  private yieldsToBusy(): boolean {
    return this.ready.length >= this.busyFloor && this.busy();
  }

  private fill(): void {
    if (this.closed || this.filling || this.ready.length >= this.size) return;
    clearTimeout(this.idleTimer);
    this.filling = this.fillLoop().finally(() => {
      this.filling = undefined;
    });
  }

  /** Batches until full; a burst (files taken meanwhile) stops it unless below `low`. */
  private async fillLoop(): Promise<void> {
    while (!this.closed && this.ready.length < this.size) {
      const takesBefore = this.takes;
      const made = await this.createBatch(Math.min(this.batchSize, this.size - this.ready.length));
      if (!made) {
        // Disk full or the like: the next take() tries again, and so does a timer when quiet.
        this.fillAfter(Math.max(this.idleMs, RETRY_MS));
        return;
      }
      if ((this.takes !== takesBefore && this.ready.length >= this.low) || this.yieldsToBusy()) {
        // Not fillWhenQuiet(): this loop still counts as filling, so it would schedule nothing
        // and the pool would wait for the next take() to be refilled.
        this.fillAfter(this.idleMs);
        return;
      }
    }
  }

  /**
   * Creates up to `n` files one after the other, then fsyncs the folder once; true when all
   * were made. A failed creation is not an error of any instance: the next begin() creates
   * its own file and reports the failure with the right status.
   */
  private async createBatch(n: number): Promise<boolean> {
    const made: string[] = [];
    let failed = false;
    for (let i = 0; i < n && !this.closed; i++) {
      const path = join(this.dir, tmpFileName());
      const fd = await this.fs.open(path, 'wx', 0o600).catch(() => null);
      if (fd === null) {
        failed = true;
        break;
      }
      const synced = await this.fs.fsync(fd).then(() => true, () => false);
      await this.fs.close(fd).catch(() => undefined);
      if (!synced) {
        await this.fs.unlink(path).catch(() => undefined);
        failed = true;
        break;
      }
      made.push(path);
    }
    const durable = made.length > 0 && await this.fs.fsyncDir(this.dir).then(() => true, () => false);
    if (!durable) {
      await Promise.all(made.map((p) => this.fs.unlink(p).catch(() => undefined)));
      return false;
    }
    this.ready.push(...made); // also when closed meanwhile: durable empty files, adopted at the next start
    return !failed && made.length === n;
  }
}
