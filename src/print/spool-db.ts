/**
 * The print spool's tables in the index database (same WAL as the forwarding queue; a new
 * job's row is committed with synchronous=FULL): one row per job, one history row per state
 * change. Job content (attributes, pixels, previews) lives in files under <storage>/print/<uid>/.
 *
 * States: queued → printing → done | failed | held (printer offline or FAILURE: retried
 * after a back-off; or held by an operator until released). A crash while printing puts
 * the job back to queued at start: a film may print twice, a job is never lost.
 */
import type { SqliteDb } from '../store/index-db';
import type { JobState } from './job';

export const SPOOL_SCHEMA = `
CREATE TABLE IF NOT EXISTS print_jobs (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  uid             TEXT NOT NULL UNIQUE,                  -- Print Job SOP Instance UID
  printer         TEXT NOT NULL,                         -- [RemoteAE] userName, else aetitle
  state           TEXT NOT NULL CHECK (state IN ('queued','printing','done','failed','held')),
  hold_reason     TEXT,                                  -- 'printer' (retried) or 'operator'
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_status     INTEGER,
  last_error      TEXT,
  calling_ae      TEXT,
  label           TEXT,
  films           INTEGER NOT NULL,
  images          INTEGER NOT NULL,
  copies          INTEGER NOT NULL,
  dir             TEXT NOT NULL,                         -- relative to the storage root
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS print_jobs_printer_state ON print_jobs(printer, state, id);
CREATE TABLE IF NOT EXISTS print_job_history (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id  INTEGER NOT NULL,
  at      INTEGER NOT NULL,
  state   TEXT NOT NULL,
  message TEXT
);
CREATE INDEX IF NOT EXISTS print_job_history_job ON print_job_history(job_id, id);
`;

export interface PrintJobRow {
  id: number; uid: string; printer: string; state: JobState; hold_reason: string | null; attempts: number;
  next_attempt_at: number; last_status: number | null; last_error: string | null; calling_ae: string | null;
  label: string | null; films: number; images: number; copies: number; dir: string; created_at: number; updated_at: number;
}

export interface HistoryRow { job_id: number; at: number; state: string; message: string | null }

export interface NewJob { uid: string; printer: string; callingAe?: string; label?: string; films: number; images: number; copies: number; dir: string }

/** Which jobs an operator command acts on. */
export interface PrintSelector { printer?: string; ids?: number[] }

export class SpoolDb {
  constructor(readonly db: SqliteDb) {
    db.exec(SPOOL_SCHEMA);
  }

  /**
   * The row is what the N-ACTION response promises, so its commit is synced to disk
   * (synchronous=FULL for this one transaction; the index runs NORMAL, whose last commits
   * a power loss may take: a job folder without its row is removed at start).
   */
  insert(j: NewJob, now: number): number {
    return this.durably(() => this.db.transaction(() => {
      const id = Number(this.db.prepare(`INSERT INTO print_jobs (uid, printer, state, calling_ae, label, films, images, copies, dir, created_at, updated_at)
        VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`).run(j.uid, j.printer, j.callingAe ?? null, j.label ?? null, j.films, j.images, j.copies, j.dir, now, now).lastInsertRowid);
      this.history(id, now, 'queued', `spooled from ${j.callingAe ?? 'command line'}: ${j.films} film(s), ${j.images} image(s)`);
      return id;
    }).immediate());
  }

  /** Folders of every job ("print/<uid>"), for the start-up clean-up. */
  dirs(): Set<string> {
    return new Set((this.db.prepare('SELECT dir FROM print_jobs').all() as { dir: string }[]).map((r) => r.dir));
  }

  /** Runs `fn` with synchronous=FULL (WAL synced at commit), then back to the previous level. */
  private durably<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    const before = this.db.pragma('synchronous', { simple: true }) as number;
    if (before >= 2) return fn();
    this.db.pragma('synchronous = FULL');
    try {
      return fn();
    } finally {
      this.db.pragma(`synchronous = ${before}`);
    }
  }

  private history(id: number, now: number, state: string, message: string | null): void {
    this.db.prepare('INSERT INTO print_job_history (job_id, at, state, message) VALUES (?, ?, ?, ?)').run(id, now, state, message);
  }

  get(id: number): PrintJobRow | undefined {
    return this.db.prepare('SELECT * FROM print_jobs WHERE id = ?').get(id) as PrintJobRow | undefined;
  }

  byUid(uid: string): PrintJobRow | undefined {
    return this.db.prepare('SELECT * FROM print_jobs WHERE uid = ?').get(uid) as PrintJobRow | undefined;
  }

  /**
   * The next job for a printer, in arrival order: the oldest queued or printer-held one.
   * A printer-held job still backing off holds the queue (films come out in order).
   */
  next(printer: string, now: number): { job?: PrintJobRow; waitUntil?: number } {
    const job = this.db.prepare(`SELECT * FROM print_jobs WHERE printer = ? AND (state = 'queued' OR (state = 'held' AND hold_reason = 'printer'))
      ORDER BY id LIMIT 1`).get(printer) as PrintJobRow | undefined;
    if (!job) return {};
    if (job.state === 'held' && job.next_attempt_at > now) return { waitUntil: job.next_attempt_at };
    return { job };
  }

  /** Jobs waiting for a printer (queued or held): the spool's fill level. */
  waiting(printer: string): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM print_jobs WHERE printer = ? AND state IN ('queued', 'held', 'printing')`).get(printer) as { n: number }).n;
  }

  private transition(id: number, now: number, sql: string, params: unknown[], state: string, message: string | null): boolean {
    return this.db.transaction(() => {
      const n = this.db.prepare(sql).run(...params).changes;
      if (n) this.history(id, now, state, message);
      return n > 0;
    }).immediate();
  }

  markPrinting(id: number, now: number): boolean {
    return this.transition(id, now, `UPDATE print_jobs SET state = 'printing', hold_reason = NULL, updated_at = ? WHERE id = ? AND state IN ('queued', 'held')`, [now, id], 'printing', null);
  }

  markDone(id: number, status: number, message: string | null, now: number): void {
    this.transition(id, now, `UPDATE print_jobs SET state = 'done', last_status = ?, last_error = ?, updated_at = ? WHERE id = ? AND state = 'printing'`, [status, message, now, id], 'done', message);
  }

  markFailed(id: number, status: number | null, error: string, now: number): void {
    this.transition(id, now, `UPDATE print_jobs SET state = 'failed', attempts = attempts + 1, last_status = ?, last_error = ?, updated_at = ? WHERE id = ? AND state = 'printing'`, [status, error, now, id], 'failed', error);
  }

  /** Printer offline or FAILURE: held, retried at `nextAt`. */
  markPrinterHeld(id: number, status: number | null, error: string, nextAt: number, now: number): void {
    this.transition(id, now, `UPDATE print_jobs SET state = 'held', hold_reason = 'printer', attempts = attempts + 1, last_status = ?, last_error = ?,
      next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'printing'`, [status, error, nextAt, now, id], 'held', `${error}; retry at ${new Date(nextAt).toISOString()}`);
  }

  /** At start: a job printing when the process stopped is queued again. */
  resetPrinting(now: number): number {
    const rows = this.db.prepare(`SELECT id FROM print_jobs WHERE state = 'printing'`).all() as { id: number }[];
    for (const r of rows) this.transition(r.id, now, `UPDATE print_jobs SET state = 'queued', updated_at = ? WHERE id = ?`, [now, r.id], 'queued', 'interrupted while printing (restart)');
    return rows.length;
  }

  list(sel: PrintSelector = {}, limit = 200): PrintJobRow[] {
    const { where, params } = selectorSql(sel);
    return this.db.prepare(`SELECT * FROM print_jobs WHERE ${where} ORDER BY id DESC LIMIT ${Math.floor(limit)}`).all(params) as PrintJobRow[];
  }

  historyOf(id: number): HistoryRow[] {
    return this.db.prepare('SELECT job_id, at, state, message FROM print_job_history WHERE job_id = ? ORDER BY id').all(id) as HistoryRow[];
  }

  printers(): string[] {
    return (this.db.prepare('SELECT DISTINCT printer FROM print_jobs ORDER BY printer').all() as { printer: string }[]).map((r) => r.printer);
  }

  /** Done or failed (cancelled included) jobs last changed before `before`: the ones cleanup may delete. */
  expired(before: number, limit = 500): PrintJobRow[] {
    return this.db.prepare(`SELECT * FROM print_jobs WHERE state IN ('done', 'failed') AND updated_at < ? ORDER BY id LIMIT ?`).all(before, limit) as PrintJobRow[];
  }

  /**
   * Deletes a job's row and history if it is still done or failed and unchanged since
   * `before` (a reprint from another process in between keeps it). True when deleted.
   */
  removeExpired(id: number, before: number): boolean {
    return this.db.transaction(() => {
      const n = this.db.prepare(`DELETE FROM print_jobs WHERE id = ? AND state IN ('done', 'failed') AND updated_at < ?`).run(id, before).changes;
      if (n) this.db.prepare('DELETE FROM print_job_history WHERE job_id = ?').run(id);
      return n > 0;
    }).immediate();
  }

  /** Operator: queued or printer-held → held until released. */
  hold(sel: PrintSelector, now: number): number {
    return this.act(sel, now, `state = 'queued' OR (state = 'held' AND hold_reason = 'printer')`, `state = 'held', hold_reason = 'operator'`, 'held', 'held by operator');
  }

  /** held (either reason) → queued now. */
  release(sel: PrintSelector, now: number): number {
    return this.act(sel, now, `state = 'held'`, `state = 'queued', hold_reason = NULL, next_attempt_at = 0`, 'queued', 'released by operator');
  }

  /** queued or held → failed (never one printing). */
  cancel(sel: PrintSelector, now: number): number {
    return this.act(sel, now, `state IN ('queued', 'held')`, `state = 'failed', hold_reason = NULL, last_error = 'cancelled by operator'`, 'failed', 'cancelled by operator');
  }

  /** done or failed → queued again (the spooled content is kept). */
  reprint(sel: PrintSelector, now: number): number {
    return this.act(sel, now, `state IN ('done', 'failed')`, `state = 'queued', attempts = 0, next_attempt_at = 0, last_error = NULL`, 'queued', 'reprint requested');
  }

  private act(sel: PrintSelector, now: number, stateWhere: string, setSql: string, state: string, message: string): number {
    const { where, params } = selectorSql(sel);
    return this.db.transaction(() => {
      const ids = (this.db.prepare(`SELECT id FROM print_jobs WHERE (${stateWhere}) AND ${where}`).all(params) as { id: number }[]).map((r) => r.id);
      for (const id of ids) {
        this.db.prepare(`UPDATE print_jobs SET ${setSql}, updated_at = ? WHERE id = ?`).run(now, id);
        this.history(id, now, state, message);
      }
      return ids.length;
    }).immediate();
  }
}

function selectorSql(sel: PrintSelector): { where: string; params: Record<string, unknown> } {
  const parts = ['1 = 1'];
  const params: Record<string, unknown> = {};
  if (sel.printer !== undefined) { parts.push('printer = @printer'); params.printer = sel.printer; }
  if (sel.ids !== undefined) {
    const ids = sel.ids.map((n) => Math.floor(Number(n))).filter(Number.isFinite);
    parts.push(`id IN (${ids.length ? ids.join(',') : 'NULL'})`);
  }
  return { where: parts.join(' AND '), params };
}
