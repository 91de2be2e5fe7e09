/** A one-line progress display on a terminal (count, MB/s); silent when stderr is not a TTY. */
export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly total: number, private readonly label: string) {}

  update(done: number, bytes: number, failed: number): void {
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    const secs = Math.max(0.001, (now - this.start) / 1000);
    const mbs = bytes / 1048576 / secs;
    const width = 30;
    const filled = this.total ? Math.round((done / this.total) * width) : 0;
    process.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${mbs.toFixed(1)} MB/s${failed ? ` ${failed} failed` : ''}  `);
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}
