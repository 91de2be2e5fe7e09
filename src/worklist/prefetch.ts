/**
 * The prefetch schedule: WorklistProvider.prefetch() now and then every `[Worklist]
 * prefetch` (re-read after each run, so a reload applies), never two at once. The timer
 * does not keep the process alive.
 */
import type { Config } from '../config/types';
import { errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import { worklistRemotes, worklistSettings } from './config';
import type { WorklistProvider } from './provider';

export class PrefetchScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  private readonly ac = new AbortController();

  constructor(private readonly provider: WorklistProvider, private readonly config: () => Config, private readonly log: Logger) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs one prefetch now (waits for a running one instead of starting a second). */
  async runNow(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.provider.prefetch(this.ac.signal).then(() => undefined, (e) => this.log.error(`worklist prefetch: ${errorMessage(e)}`));
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ac.abort();
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    const every = worklistSettings(this.config()).prefetchMs;
    if (every <= 0 || worklistRemotes(this.config()).length === 0) {
      // Nothing to do now; look again later in case a reload adds a RIS.
      this.timer = setTimeout(() => this.schedule(0), 60_000);
      this.timer.unref();
      return;
    }
    this.timer = setTimeout(() => {
      void this.runNow().finally(() => this.schedule(worklistSettings(this.config()).prefetchMs));
    }, ms);
    this.timer.unref();
  }
}
