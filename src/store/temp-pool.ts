/**
 * A few temp files created ahead of need. Creating a file costs ~0.3 ms of kernel time
 * on ext4 here, on the critical path of every C-STORE (the sender waits for each
 * response); made in advance on the thread pool, that cost overlaps the network wait.
 * Files are opened O_EXCL, mode 0600, with random names, in <root>/tmp; leftovers after a
 * crash are removed by the start-up recovery like any other temp file.
 */
import { join } from 'node:path';
import type { StoreFs } from './store-fs';
import { tmpFileName } from './paths';

export interface TempFileHandle { path: string; fd: number }

export class TempPool {
  private readonly ready: TempFileHandle[] = [];
  private filling = 0;
  private closed = false;

  constructor(private readonly dir: string, private readonly fs: StoreFs, private readonly size = 4) {}

  /** A ready temp file, or undefined (the caller then creates one itself). Starts a refill. */
  take(): TempFileHandle | undefined {
    const h = this.ready.shift();
    this.refill();
    return h;
  }

  refill(): void {
    while (!this.closed && this.ready.length + this.filling < this.size) {
      this.filling++;
      const path = join(this.dir, tmpFileName());
      this.fs.open(path, 'wx', 0o600).then(
        (fd) => {
          this.filling--;
          if (this.closed) void this.discard({ path, fd });
          else this.ready.push({ path, fd });
        },
        // A failed pre-creation (disk full...) is not an error of any instance: the next
        // begin() creates its own file and reports the failure with the right status.
        () => { this.filling--; },
      );
    }
  }

  /** Closes and deletes the files not handed out. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.ready.splice(0).map((h) => this.discard(h)));
  }

  private async discard(h: TempFileHandle): Promise<void> {
    await this.fs.close(h.fd).catch(() => undefined);
    await this.fs.unlink(h.path).catch(() => undefined);
  }
}
