/**
 * ARTIM timer (Association Request/Reject/Release TIMer), PS3.8 section 9.1.5.
 * Started by AE-5, AE-6 (reject), AE-8, AR-4, AA-1 (restart), AA-8; stopped by
 * AE-6, AR-5, AA-2, AA-5. On expiry the shell fires Evt18.
 *
 * The timer is unref()'d: a pending ARTIM never keeps the process alive.
 */
export class ArtimTimer {
  private handle: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly onExpire: () => void,
  ) {}

  get running(): boolean {
    return this.handle !== undefined;
  }

  /** Start the timer; a no-op if it is already running (use restart to re-arm). */
  start(): void {
    if (this.handle !== undefined) return;
    this.handle = setTimeout(() => {
      this.handle = undefined;
      this.onExpire();
    }, this.ms);
    this.handle.unref();
  }

  stop(): void {
    if (this.handle === undefined) return;
    clearTimeout(this.handle);
    this.handle = undefined;
  }

  /** "Start (or restart if already started)", as AA-1 says (PS3.8 Table 9-9). */
  restart(): void {
    this.stop();
    this.start();
  }
}
