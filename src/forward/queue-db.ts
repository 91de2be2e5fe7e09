/**
 * The persistent forwarding queue: tables in the index database, written in the very
 * transaction that indexes the instance (row and jobs stand or fall together; after a
 * power loss, recovery indexes files that lost their row again and re-runs this hook). One job per (instance, destination); `id` is the arrival order.
 *
 * States: pending → in-flight → done | pending (retry later) | dead; held by an operator.
 * A crash leaves in-flight jobs behind: the agent puts them back to pending at start, so
 * an instance is delivered at least once, never lost.
 */
import type { SqliteDb } from '../store/index-db';

export type JobState = 'pending' | 'in-flight' | 'done' | 'dead' | 'held';

export const QUEUE_SCHEMA = `
CREATE TABLE IF NOT EXISTS forward_jobs (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order, never reused
  sop_uid         TEXT NOT NULL,
  study_uid       TEXT NOT NULL,
  destination     TEXT NOT NULL,                      -- [RemoteAE] userName, else aetitle
  route           TEXT,
  state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','in-flight','done','dead','held')),
  attempts        INTEGER NOT NULL DEFAULT 0,         -- failed attempts so far
  next_attempt_at INTEGER NOT NULL DEFAULT 0,         -- ms since the epoch
  last_status     INTEGER,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS forward_jobs_sop_dest ON forward_jobs(sop_uid, destination);
CREATE INDEX IF NOT EXISTS forward_jobs_dest_state ON forward_jobs(destination, state, id);
-- STUDY_ORDER_INDEX: due() asks, per candidate, whether an earlier job of its study is in a
-- state that holds it back; with the state in the key that is a seek, not a walk over the
-- study's delivered jobs (which are kept: a 5000-image study cost 15 ms per due(), 20000 60 ms).
DROP INDEX IF EXISTS forward_jobs_study;
CREATE INDEX IF NOT EXISTS forward_jobs_study_state ON forward_jobs(study_uid, destination, state, id);
-- Delivered jobs in arrival order, for retention's "forwarded everywhere" (retention.ts).
CREATE INDEX IF NOT EXISTS forward_jobs_done ON forward_jobs(id) WHERE state = 'done';
-- DONE_COUNTS_NOTE: delivered jobs per destination, kept by triggers (in whichever process
-- writes: the agent, \`dicom-edge queue\`, an older binary), so the queue summary does not
-- count them: delivered jobs stay until retention deletes their instance, by default never,
-- and counting a million took ~40 ms per summary (web queue page, /metrics scrapes).
CREATE TABLE IF NOT EXISTS forward_done_counts (
  destination TEXT PRIMARY KEY,
  n           INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS forward_done_insert AFTER INSERT ON forward_jobs WHEN new.state = 'done'
BEGIN
  INSERT INTO forward_done_counts (destination, n) VALUES (new.destination, 1) ON CONFLICT(destination) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS forward_done_update AFTER UPDATE OF state, destination ON forward_jobs
  WHEN old.state = 'done' OR new.state = 'done'
BEGIN
  UPDATE forward_done_counts SET n = n - 1 WHERE old.state = 'done' AND destination = old.destination;
  INSERT INTO forward_done_counts (destination, n) SELECT new.destination, 1 WHERE new.state = 'done'
    ON CONFLICT(destination) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS forward_done_delete AFTER DELETE ON forward_jobs WHEN old.state = 'done'
BEGIN
  UPDATE forward_done_counts SET n = n - 1 WHERE destination = old.destination;
END;
CREATE TABLE IF NOT EXISTS forward_destinations (
  destination TEXT PRIMARY KEY,
  down_until  INTEGER NOT NULL DEFAULT 0,             -- no attempt before this (ms since the epoch)
  failures    INTEGER NOT NULL DEFAULT 0,             -- consecutive association/network failures
  last_error  TEXT,
  updated_at  INTEGER NOT NULL
);
`;

export interface DueJob {
  id: number;
  /** The instance's SOP Instance UID (for other job kinds: their own key, e.g. an MPPS instance). */
  sopUid: string;
  /** The route that queued it; for other job kinds the kind's name (worker JobKind.route). */
  route: string | null;
  studyUid: string;
  attempts: number;
  createdAt: number;
  /** Null when the instance is no longer in the index. */
  path: string | null;
  sopClassUid: string | null;
  transferSyntaxUid: string | null;
  dataSetOffset: number | null;
  size: number | null;
}

export interface JobRow {
  id: number; sop_uid: string; study_uid: string; destination: string; route: string | null; state: JobState;
  attempts: number; next_attempt_at: number; last_status: number | null; last_error: string | null; created_at: number; updated_at: number;
}

export interface DestinationState { destination: string; down_until: number; failures: number; last_error: string | null }

/** Which jobs an operator command acts on (all given filters apply; none = every job). */
export interface JobSelector { destination?: string; studyUid?: string; ids?: number[] }

export type JobOutcome =
  | { id: number; kind: 'done'; status: number }
  | { id: number; kind: 'dead'; status: number | null; error: string }
  | { id: number; kind: 'retry'; status: number | null; error: string; nextAttemptAt: number }
  /** The destination failed (no association, A7xx): back to pending with its status, not an attempt of this job. */
  | { id: number; kind: 'wait'; status: number | null; error: string }
  | { id: number; kind: 'unclaim' };

/**
 * SUMMARY_SQL_NOTE: the destinations come from a "loose index scan" of
 * forward_jobs_dest_state (one seek each instead of a walk over every job), then each
 * destination's waiting, in-flight, held and dead jobs are read through the same index.
 * A million kept delivered jobs made the one-query GROUP BY take ~300 ms per call.
 */
const DESTINATIONS_CTE = `WITH RECURSIVE d(dest) AS (
    SELECT (SELECT MIN(destination) FROM forward_jobs)
    UNION ALL
    SELECT (SELECT MIN(destination) FROM forward_jobs WHERE destination > d.dest) FROM d WHERE d.dest IS NOT NULL)`;

/** Waiting, in-flight, held and dead jobs per destination and state (exported for the query-plan test). */
export const SUMMARY_ACTIVE_SQL = `${DESTINATIONS_CTE}
  SELECT j.destination, j.state, COUNT(*) AS n, MIN(j.created_at) AS oldest, SUM(CASE WHEN j.attempts > 0 THEN 1 ELSE 0 END) AS retrying
  FROM d JOIN forward_jobs j ON j.destination = d.dest AND j.state IN ('pending', 'in-flight', 'held', 'dead')
  GROUP BY j.destination, j.state`;

/** Due jobs of one destination (exported for the query-plan test). */
export const DUE_SQL = `SELECT j.id, j.sop_uid AS sopUid, j.route, j.study_uid AS studyUid, j.attempts, j.created_at AS createdAt,
    i.path, i.sop_class_uid AS sopClassUid, i.transfer_syntax AS transferSyntaxUid, i.data_set_offset AS dataSetOffset, i.size
  FROM forward_jobs j LEFT JOIN instances i ON i.sop_uid = j.sop_uid
  WHERE j.destination = @dest AND j.state = 'pending' AND j.next_attempt_at <= @now
    AND NOT EXISTS (SELECT 1 FROM forward_jobs e WHERE e.study_uid = j.study_uid AND e.destination = j.destination
      AND e.state IN ('in-flight', 'held') AND e.id < j.id)
    AND NOT EXISTS (SELECT 1 FROM forward_jobs e WHERE e.study_uid = j.study_uid AND e.destination = j.destination
      AND e.state = 'pending' AND e.id < j.id AND e.next_attempt_at > @now)
  ORDER BY j.id LIMIT @limit`;

export class QueueDb {
  private readonly s: ReturnType<typeof prepare>;

  constructor(readonly db: SqliteDb) {
    // One write transaction: two processes opening an index of an earlier version at once
    // must not both fill the new counts (DONE_COUNTS_NOTE).
    db.transaction(() => {
      const hadCounts = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'forward_done_counts'").get() !== undefined;
      db.exec(QUEUE_SCHEMA);
      if (!hadCounts) db.exec(`INSERT INTO forward_done_counts (destination, n) SELECT destination, COUNT(*) FROM forward_jobs WHERE state = 'done' GROUP BY destination`);
    }).immediate();
    this.s = prepare(db);
  }

  /**
   * Queues `sopUid` for `destination` (call inside the indexing transaction). A job still
   * waiting keeps its place (it sends the current file); a finished, dead or in-flight one
   * is replaced by a new job at the end of the queue. Returns true when a job was added.
   */
  enqueue(j: { sopUid: string; studyUid: string; destination: string; route: string; now: number }): boolean {
    const existing = this.s.findJob.get(j.sopUid, j.destination) as { id: number; state: JobState } | undefined;
    if (existing && (existing.state === 'pending' || existing.state === 'held')) return false;
    if (existing) this.s.deleteJob.run(existing.id);
    this.s.insert.run({ ...j, now: j.now });
    return true;
  }

  /** Jobs to send now for one destination, in arrival order, keeping each study's order. */
  due(destination: string, now: number, limit: number): DueJob[] {
    return this.s.due.all({ dest: destination, now, limit }) as DueJob[];
  }

  markInFlight(ids: number[], now: number): void {
    this.db.transaction(() => { for (const id of ids) this.s.inFlight.run(now, id); }).immediate();
  }

  /** Records outcomes in one transaction (one WAL sync for a burst). */
  record(outcomes: JobOutcome[], now: number): void {
    if (!outcomes.length) return;
    this.db.transaction(() => {
      for (const o of outcomes) {
        if (o.kind === 'done') this.s.done.run(o.status, now, o.id);
        else if (o.kind === 'dead') this.s.dead.run(o.status, o.error, now, o.id);
        else if (o.kind === 'retry') this.s.retry.run(o.status, o.error, o.nextAttemptAt, now, o.id);
        else if (o.kind === 'wait') this.s.wait.run(o.status, o.error, now, o.id);
        else this.s.unclaim.run(now, o.id);
      }
    }).immediate();
  }

  /** At start: whatever was in flight when the process stopped goes back to pending. */
  resetInFlight(now: number): number {
    return this.s.resetInFlight.run(now).changes;
  }

  /** Destinations that have jobs waiting (pending, in flight or held). */
  activeDestinations(): string[] {
    return (this.s.activeDests.all() as { destination: string }[]).map((r) => r.destination);
  }

  /** Distinct SOP class / syntax pairs waiting for a destination (for the proposal). */
  waitingClasses(destination: string, limit = 64): Array<{ sopClassUid: string; transferSyntaxUid: string }> {
    return this.s.waitingClasses.all(destination, limit) as Array<{ sopClassUid: string; transferSyntaxUid: string }>;
  }

  destination(name: string): DestinationState | undefined {
    return this.s.getDest.get(name) as DestinationState | undefined;
  }

  /** Waiting jobs of a destination created before `createdBefore` become dead letters (a destination down past maxAge); returns how many. */
  expireWaiting(destination: string, createdBefore: number, error: string, now: number): number {
    return this.s.expire.run(error, now, destination, createdBefore).changes;
  }

  setDestination(name: string, downUntil: number, failures: number, error: string | null, now: number): void {
    this.s.upsertDest.run({ name, downUntil, failures, error, now });
  }

  /**
   * Jobs per destination and state (web queue page, /metrics, `dicom-edge queue`). Delivered
   * jobs are kept until retention deletes their instance, so they can be most of the table:
   * their number per destination is kept by triggers (DONE_COUNTS_NOTE; no oldest/retrying
   * for them), the other states are read through the index (SUMMARY_SQL_NOTE).
   */
  summary(): Array<{ destination: string; state: JobState; n: number; oldest: number | null; retrying: number }> {
    type Row = { destination: string; state: JobState; n: number; oldest: number | null; retrying: number };
    const active = this.s.summaryActive.all() as Row[];
    const done = (this.s.doneCounts.all() as Array<{ destination: string; n: number }>)
      .map((r): Row => ({ destination: r.destination, state: 'done', n: r.n, oldest: null, retrying: 0 }));
    return [...active, ...done].sort((a, b) => (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : a.state < b.state ? -1 : a.state > b.state ? 1 : 0));
  }

  destinations(): DestinationState[] {
    return this.s.allDests.all() as DestinationState[];
  }

  jobs(sel: JobSelector, states: JobState[], limit: number): JobRow[] {
    const { where, params } = selectorSql(sel);
    const st = states.map((_, i) => `@st${i}`).join(',');
    states.forEach((s, i) => { params[`st${i}`] = s; });
    return this.db.prepare(`SELECT * FROM forward_jobs WHERE ${where} AND state IN (${st}) ORDER BY destination, id LIMIT ${Math.floor(limit)}`).all(params) as JobRow[];
  }

  /** dead/pending → pending now, attempts reset; the destination's back-off is cleared. */
  retry(sel: JobSelector, now: number): number {
    return this.act(sel, `UPDATE forward_jobs SET state = 'pending', attempts = 0, next_attempt_at = 0, updated_at = @now WHERE state IN ('dead', 'pending')`, now, true);
  }

  hold(sel: JobSelector, now: number): number {
    return this.act(sel, `UPDATE forward_jobs SET state = 'held', updated_at = @now WHERE state = 'pending'`, now, false);
  }

  release(sel: JobSelector, now: number): number {
    return this.act(sel, `UPDATE forward_jobs SET state = 'pending', next_attempt_at = 0, updated_at = @now WHERE state = 'held'`, now, true);
  }

  /** Deletes waiting, held and dead jobs (never one in flight, never a delivered record). */
  drop(sel: JobSelector, now: number): number {
    return this.act(sel, `DELETE FROM forward_jobs WHERE state IN ('pending', 'held', 'dead')`, now, false);
  }

  private act(sel: JobSelector, sql: string, now: number, clearBackoff: boolean): number {
    const { where, params } = selectorSql(sel);
    return this.db.transaction(() => {
      const dests = this.db.prepare(`SELECT DISTINCT destination FROM forward_jobs WHERE ${where}`).all(params) as { destination: string }[];
      const n = this.db.prepare(`${sql} AND ${where}`).run({ ...params, now }).changes;
      if (clearBackoff) for (const d of dests) this.db.prepare('UPDATE forward_destinations SET down_until = 0, updated_at = ? WHERE destination = ?').run(now, d.destination);
      return n;
    }).immediate();
  }
}

function selectorSql(sel: JobSelector): { where: string; params: Record<string, unknown> } {
  const parts: string[] = ['1 = 1'];
  const params: Record<string, unknown> = {};
  if (sel.destination !== undefined) { parts.push('destination = @selDest'); params.selDest = sel.destination; }
  if (sel.studyUid !== undefined) { parts.push('study_uid = @selStudy'); params.selStudy = sel.studyUid; }
  if (sel.ids !== undefined) {
    const ids = sel.ids.map((n) => Math.floor(Number(n))).filter((n) => Number.isFinite(n));
    parts.push(`id IN (${ids.length ? ids.join(',') : 'NULL'})`);
  }
  return { where: parts.join(' AND '), params };
}

function prepare(db: SqliteDb) {
  return {
    findJob: db.prepare('SELECT id, state FROM forward_jobs WHERE sop_uid = ? AND destination = ?'),
    deleteJob: db.prepare('DELETE FROM forward_jobs WHERE id = ?'),
    insert: db.prepare(`INSERT INTO forward_jobs (sop_uid, study_uid, destination, route, state, next_attempt_at, created_at, updated_at)
      VALUES (@sopUid, @studyUid, @destination, @route, 'pending', @now, @now, @now)`),
    due: db.prepare(DUE_SQL),
    inFlight: db.prepare(`UPDATE forward_jobs SET state = 'in-flight', updated_at = ? WHERE id = ? AND state = 'pending'`),
    done: db.prepare(`UPDATE forward_jobs SET state = 'done', last_status = ?, last_error = NULL, updated_at = ? WHERE id = ? AND state = 'in-flight'`),
    dead: db.prepare(`UPDATE forward_jobs SET state = 'dead', attempts = attempts + 1, last_status = ?, last_error = ?, updated_at = ? WHERE id = ? AND state = 'in-flight'`),
    retry: db.prepare(`UPDATE forward_jobs SET state = 'pending', attempts = attempts + 1, last_status = ?, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'in-flight'`),
    expire: db.prepare(`UPDATE forward_jobs SET state = 'dead', last_error = ?, updated_at = ? WHERE destination = ? AND state = 'pending' AND created_at <= ?`),
    wait: db.prepare(`UPDATE forward_jobs SET state = 'pending', last_status = ?, last_error = ?, updated_at = ? WHERE id = ? AND state = 'in-flight'`),
    unclaim: db.prepare(`UPDATE forward_jobs SET state = 'pending', updated_at = ? WHERE id = ? AND state = 'in-flight'`),
    resetInFlight: db.prepare(`UPDATE forward_jobs SET state = 'pending', updated_at = ? WHERE state = 'in-flight'`),
    activeDests: db.prepare(`SELECT DISTINCT destination FROM forward_jobs WHERE state IN ('pending', 'in-flight', 'held')`),
    waitingClasses: db.prepare(`SELECT DISTINCT i.sop_class_uid AS sopClassUid, i.transfer_syntax AS transferSyntaxUid
      FROM forward_jobs j JOIN instances i ON i.sop_uid = j.sop_uid
      WHERE j.destination = ? AND j.state IN ('pending', 'in-flight') LIMIT ?`),
    getDest: db.prepare('SELECT destination, down_until, failures, last_error FROM forward_destinations WHERE destination = ?'),
    allDests: db.prepare('SELECT destination, down_until, failures, last_error FROM forward_destinations ORDER BY destination'),
    upsertDest: db.prepare(`INSERT INTO forward_destinations (destination, down_until, failures, last_error, updated_at)
      VALUES (@name, @downUntil, @failures, @error, @now)
      ON CONFLICT(destination) DO UPDATE SET down_until = excluded.down_until, failures = excluded.failures,
        last_error = excluded.last_error, updated_at = excluded.updated_at`),
    summaryActive: db.prepare(SUMMARY_ACTIVE_SQL),
    doneCounts: db.prepare('SELECT destination, n FROM forward_done_counts WHERE n > 0'),
  };
}
