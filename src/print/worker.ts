/**
 * One worker per printer: takes the oldest job, replays it to the printer, records the
 * outcome. The retry design is the forwarding queue's (src/forward/policy.ts): printer
 * offline, association refused or a FAILURE/queue-full status → the job is held and
 * retried after an exponential back-off with jitter, in order (later jobs wait behind it);
 * a refusal retrying cannot fix → failed; success with warnings → done, warnings logged.
 */
import type { Config } from '../config/types';
import { backoffMs, limitReached } from '../forward/policy';
import { errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import type { PrinterDef, SpoolSettings } from './config';
import { printToPrinter, type PrintOutcome } from './print-scu';
import type { PrinterState } from './scp';
import { readJob } from './spool-files';
import type { PrintJobRow, SpoolDb } from './spool-db';
import type { SpoolJobContent } from './job';
import { Waker } from '../util/waker';
import { hostPort } from '../util/address';

export interface PrinterWorkerOptions {
  name: string;
  printer: () => PrinterDef | undefined;
  db: SpoolDb;
  storagePath: string;
  config: () => Config;
  settings: () => SpoolSettings;
  log: Logger;
  /** A job changed state (for Print Job N-EVENT-REPORTs). */
  onJob?: (row: PrintJobRow) => void;
  /** What we learnt about the real printer changed. */
  onPrinterState?: (state: PrinterState) => void;
  /** Replaces the network replay (tests). */
  print?: (config: Config, printer: PrinterDef, content: SpoolJobContent, log: Logger) => Promise<PrintOutcome>;
  pollMs?: number;
  now?: () => number;
  random?: () => number;
}

export class PrinterWorker {
  state: PrinterState = { status: 'NORMAL', info: 'NORMAL' };
  private stopped = false;
  private loop?: Promise<void>;
  private readonly waker = new Waker();
  private readonly now: () => number;

  constructor(private readonly o: PrinterWorkerOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void { this.loop ??= this.run(); }

  wake(): void {
    this.waker.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let wait = this.o.pollMs ?? 1000;
      try {
        const r = await this.step();
        if (r === 'busy') continue;
        if (typeof r === 'number') wait = Math.min(wait, Math.max(10, r - this.now()));
      } catch (e) {
        this.o.log.error(`print ${this.o.name}: ${errorMessage(e)}`);
      }
      await this.idle(wait);
    }
  }

  /** Prints one job: 'busy' when one was handled, else the time the next one is due (or undefined). */
  async step(): Promise<'busy' | number | undefined> {
    this.waker.consume();
    const db = this.o.db;
    const { job, waitUntil } = db.next(this.o.name, this.now());
    if (!job) return waitUntil;
    const printer = this.o.printer();
    if (!printer) {
      this.o.log.warn(`print ${this.o.name}: no [RemoteAE] printer of that name; job ${job.id} waits`);
      return this.now() + 60_000;
    }
    if (!db.markPrinting(job.id, this.now())) return 'busy';
    this.changed(job.id);
    let content: SpoolJobContent;
    try {
      content = readJob(this.o.storagePath, job.dir);
    } catch (e) {
      db.markFailed(job.id, null, errorMessage(e), this.now());
      this.changed(job.id);
      return 'busy';
    }
    this.o.log.info(`print ${this.o.name}: job ${job.id} (${job.films} film(s), ${job.images} image(s)) → ${printer.remote.aeTitle}@${hostPort(printer.remote.ip, printer.remote.port)}`);
    const out = await (this.o.print ?? printToPrinter)(this.o.config(), printer, content, this.o.log);
    this.record(job, out);
    this.changed(job.id);
    return 'busy';
  }

  private record(job: PrintJobRow, out: PrintOutcome): void {
    const db = this.o.db;
    const now = this.now();
    if (out.kind === 'done') {
      const msg = out.warnings.length ? out.warnings.join('; ') : null;
      db.markDone(job.id, out.status, msg, now);
      const printerWarning = out.warnings.find((w) => w.startsWith('printer status WARNING'));
      this.setState(printerWarning ? { status: 'WARNING', info: infoOf(printerWarning) } : { status: 'NORMAL', info: 'NORMAL' });
      this.o.log.info(`print ${this.o.name}: job ${job.id} printed${msg ? ` with warnings: ${msg}` : ''}`);
      return;
    }
    if (out.kind === 'failed') {
      db.markFailed(job.id, out.status, out.error, now);
      this.o.log.warn(`print ${this.o.name}: job ${job.id} failed: ${out.error}`);
      return;
    }
    const s = this.o.settings();
    const attempts = job.attempts + 1;
    if (limitReached(attempts, job.created_at, now, s.maxAttempts, 0)) {
      db.markFailed(job.id, out.status, `gave up after ${attempts} attempts: ${out.error}`, now);
      this.o.log.warn(`print ${this.o.name}: job ${job.id} failed after ${attempts} attempts: ${out.error}`);
      return;
    }
    const wait = backoffMs(attempts, s.baseMs, s.capMs, this.o.random);
    db.markPrinterHeld(job.id, out.status, out.error, now + wait, now);
    this.setState({ status: 'WARNING', info: /FAILURE/.test(out.error) ? 'PRINTER FAILURE' : 'PRINTER DOWN' });
    this.o.log.warn(`print ${this.o.name}: job ${job.id} held: ${out.error}; retry in ${(wait / 1000).toFixed(1)} s (attempt ${attempts})`);
  }

  private setState(s: PrinterState): void {
    if (s.status === this.state.status && s.info === this.state.info) return;
    this.state = s;
    this.o.onPrinterState?.(s);
  }

  private changed(id: number): void {
    const row = this.o.db.get(id);
    if (row) this.o.onJob?.(row);
  }

  private async idle(ms: number): Promise<void> {
    if (this.stopped || this.waker.pending) return;
    await this.waker.sleep(ms);
  }
}

function infoOf(warning: string): string {
  const m = /\(([^)]*)\)/.exec(warning);
  return (m?.[1] ?? 'WARNING').toUpperCase().slice(0, 16);
}
