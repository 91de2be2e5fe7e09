/**
 * Deferred directory fsyncs for renames whose durability does not gate the answer (see
 * TempFile.entryDurable): the folders are collected and synced once the store has been
 * quiet for `idleMs`, or `maxDelayMs` after the first one waiting, so a burst does not
 * pay a journal commit per instance (each competes with the next instance's fsync; on
 * ext4 those fsyncs commit the renames anyway). A failure is logged; the files themselves
 * are durable and recovery finds any whose rename was lost.
 */
import type { StoreFs } from './store-fs';

export class DirSyncer {
  private readonly pending = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private firstPendingAt = 0;

  constructor(
    private readonly fs: StoreFs,
    private readonly onError: (dir: string, e: unknown) => void,
    private readonly idleMs = 300,
    private readonly maxDelayMs = 5000,
  ) {}

  schedule(dir: string): void {
    const now = Date.now();
    if (!this.pending.size) this.firstPendingAt = now;
    this.pending.add(dir);
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.idleMs, this.firstPendingAt + this.maxDelayMs - now));
    this.timer = setTimeout(() => void this.run(), wait);
    this.timer.unref();
  }

  /** Syncs everything scheduled so far (used on close). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.run();
  }

  private run(): Promise<void> {
    this.timer = undefined;
    this.running ??= (async () => {
      while (this.pending.size) {
        const dirs = [...this.pending];
        this.pending.clear();
        for (const d of dirs) await this.fs.fsyncDir(d).catch((e) => this.onError(d, e));
      }
    })().finally(() => { this.running = undefined; });
    return this.running;
  }
}
