/**
 * The sleep of a worker loop that new work can cut short: `wake()` ends a running sleep,
 * or makes the next one return at once if it comes between a step's `consume()` and its
 * sleep (so a wake during a step is never lost).
 */
export class Waker {
  private wakeUp?: () => void;
  private woken = false;

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Call at the start of a step: wakes before this point are served by the step. */
  consume(): void {
    this.woken = false;
  }

  get pending(): boolean {
    return this.woken;
  }

  async sleep(ms: number): Promise<void> {
    if (this.woken) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void { clearTimeout(timer); resolve(); }
      this.wakeUp = done;
    });
    this.wakeUp = undefined;
  }
}
