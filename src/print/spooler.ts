/**
 * The print spooler: the SCP the modalities print to, one durable queue and one worker per
 * printer, and the host glue between them (spooling a job = preview PNGs + files + row,
 * before the N-ACTION response). Owned by the Agent.
 */
import type { Config } from '../config/types';
import type { DimseService } from '../dimse/channel';
import type { SqliteDb } from '../store/index-db';
import { errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import { cleanupSpool } from './cleanup';
import { findPrinter, printersOf, spoolSettings, type PrinterDef } from './config';
import { copiesOf, imageCount, type SpoolJobContent } from './job';
import { filmPreviewPng } from './preview';
import { PrintScp, sessionLabel, type JobStatus, type PrinterState } from './scp';
import { SpoolDb, type PrintJobRow } from './spool-db';
import { removeUnfinishedJobs, writeJob } from './spool-files';
import { newUid } from './uids';
import { PrinterWorker } from './worker';

export interface SpoolerOptions {
  config: Config;
  db: SqliteDb;
  storagePath: string;
  log: Logger;
  pollMs?: number;
  /** Clock of the cleanup (tests). */
  now?: () => number;
  /** How often done/failed jobs older than [Print] keepDays are deleted; default hourly. */
  cleanupEveryMs?: number;
}

export function jobStatusOf(row: PrintJobRow): JobStatus {
  const map: Record<string, [JobStatus['executionStatus'], string]> = {
    queued: ['PENDING', 'QUEUED'], held: ['PENDING', row.hold_reason === 'printer' ? 'PRINTER DOWN' : 'QUEUED'],
    printing: ['PRINTING', 'NORMAL'], done: ['DONE', 'NORMAL'], failed: ['FAILURE', 'INVALID PAGE DES'],
  };
  const [executionStatus, info] = map[row.state];
  return { executionStatus, info, createdAt: row.created_at, printer: row.printer, label: row.label ?? undefined };
}

export class PrintSpooler {
  readonly db: SpoolDb;
  readonly scp: PrintScp;
  private readonly workers = new Map<string, PrinterWorker>();
  private config: Config;
  private started = false;
  private cleanupTimer?: NodeJS.Timeout;

  constructor(private readonly o: SpoolerOptions) {
    this.config = o.config;
    this.db = new SpoolDb(o.db);
    this.scp = new PrintScp({
      config: () => this.config,
      printerState: (p) => this.worker(p.name).state,
      spool: (p, content, callingAe) => this.spool(p, content, callingAe),
      jobStatus: (uid) => { const r = this.db.byUid(uid); return r ? jobStatusOf(r) : undefined; },
    });
  }

  get services(): DimseService[] { return [this.scp.service]; }

  /** Called AE titles the modalities print to (for the DICOM server). */
  aeTitles(): string[] {
    return printersOf(this.config).map((p) => p.printAs);
  }

  printers(): PrinterDef[] { return printersOf(this.config); }

  private worker(name: string): PrinterWorker {
    let w = this.workers.get(name);
    if (!w) {
      w = new PrinterWorker({
        name, db: this.db, storagePath: this.o.storagePath, log: this.o.log, pollMs: this.o.pollMs,
        printer: () => findPrinter(this.config, name), config: () => this.config, settings: () => spoolSettings(this.config),
        onJob: (row) => { if (spoolSettings(this.config).eventReports) this.scp.notifyJob(row.uid, jobStatusOf(row)); },
        onPrinterState: (s: PrinterState) => { if (spoolSettings(this.config).eventReports) this.scp.notifyPrinter(name, s); },
      });
      this.workers.set(name, w);
      if (this.started) w.start();
    }
    return w;
  }

  start(): void {
    this.started = true;
    const gone = removeUnfinishedJobs(this.o.storagePath, this.db.dirs());
    if (gone.length) this.o.log.warn(`print: removed ${gone.length} unfinished job folder(s) left by a crash (never acknowledged)`);
    const n = this.db.resetPrinting(Date.now());
    if (n) this.o.log.warn(`print: ${n} job(s) interrupted while printing are queued again`);
    this.cleanup();
    this.cleanupTimer = setInterval(() => this.cleanup(), this.o.cleanupEveryMs ?? 3_600_000);
    this.cleanupTimer.unref();
    for (const name of new Set([...this.printers().map((p) => p.name), ...this.db.printers()])) this.worker(name).start();
  }

  /** Deletes done/failed jobs older than [Print] keepDays with their folders (src/print/cleanup.ts); never throws. */
  cleanup(): number {
    try {
      const n = cleanupSpool(this.db, this.o.storagePath, { keepMs: spoolSettings(this.config).keepMs, now: (this.o.now ?? Date.now)() });
      if (n) this.o.log.info(`print: cleanup removed ${n} done/failed job(s) older than keepDays`);
      return n;
    } catch (e) {
      this.o.log.warn(`print: cleanup: ${errorMessage(e)}`);
      return 0;
    }
  }

  /** New configuration: workers for new printers; existing workers read it on their next job. */
  reload(config: Config): void {
    this.config = config;
    for (const p of this.printers()) this.worker(p.name);
  }

  /** Wake the workers (after a print-queue command from another process, or in tests). */
  wake(): void {
    for (const w of this.workers.values()) w.wake();
  }

  async stop(): Promise<void> {
    clearInterval(this.cleanupTimer);
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
  }

  /** Previews, files and row; undefined when this printer's queue is full (C601/C602). */
  async spool(printer: PrinterDef, content: SpoolJobContent, callingAe: string): Promise<string | undefined> {
    if (this.db.waiting(printer.name) >= spoolSettings(this.config).maxQueued) return undefined;
    const uid = newUid();
    const previews: Buffer[] = [];
    for (const film of content.films) {
      try {
        previews.push(filmPreviewPng(film, { dpi: printer.caps.dpi, caps: printer.caps }));
      } catch (e) {
        this.o.log.warn(`print ${printer.name}: preview of job ${uid} failed: ${errorMessage(e)}`);
        break;
      }
    }
    const dir = writeJob(this.o.storagePath, uid, content, previews);
    const id = this.db.insert({
      uid, printer: printer.name, callingAe, label: sessionLabel(content), films: content.films.length,
      images: imageCount(content), copies: copiesOf(content), dir,
    }, Date.now());
    this.o.log.info(`print ${printer.name}: job ${id} spooled (${content.films.length} film(s)) from ${callingAe}`);
    this.worker(printer.name).wake();
    return uid;
  }
}
