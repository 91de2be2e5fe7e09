/**
 * Local retention ([Storage] deleteAfterForward, maxAge, highWater). An instance may go
 * only when no job for it is waiting, in flight, held or dead: every destination it was
 * routed to confirmed it (or it was never routed). Deleting removes the file and then, in
 * one transaction, its jobs and index rows, so queries and the web page never point at a
 * missing file. Each deletion is one synchronous block (check, unlink, rows): nothing else
 * in this process runs between the check and the delete.
 */
import { statfsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { IndexDb } from '../store/index-db';
import type { Logger } from '../util/log';
import type { RetentionSettings } from './config';

export interface RetentionReport { afterForward: number; aged: number; highWater: number; bytes: number }

const BATCH = 500;

/**
 * Forwarded everywhere: at least one job, every job done. Oldest first (jobs are queued in
 * the transaction that indexes the instance, so their order is the arrival order). Driven
 * by the delivered jobs (partial index forward_jobs_done), not by the instances: unrouted
 * instances, queued ones and dead letters are never walked past — with 100,000 unrouted
 * instances older than the forwarded ones the old scan took ~20 ms per run, and it runs a
 * second after every burst of deliveries. An instance sent to two destinations has two done
 * jobs: the second row is skipped (sweep).
 */
export const FORWARDED_SQL = `SELECT i.sop_uid AS sop, i.path, i.size FROM forward_jobs j JOIN instances i ON i.sop_uid = j.sop_uid
  WHERE j.state = 'done'
    AND NOT EXISTS (SELECT 1 FROM forward_jobs k WHERE k.sop_uid = j.sop_uid AND k.state <> 'done')
  ORDER BY j.id LIMIT ${BATCH}`;

/** Older than the cutoff, forwarded or never routed. */
const AGED = `SELECT i.sop_uid AS sop, i.path, i.size FROM instances i
  WHERE i.received_at < ? AND NOT EXISTS (SELECT 1 FROM forward_jobs j WHERE j.sop_uid = i.sop_uid AND j.state <> 'done')
  ORDER BY i.received_at, i.id LIMIT ${BATCH}`;

interface Candidate { sop: string; path: string; size: number }

export class Retention {
  constructor(private readonly index: IndexDb, private readonly root: string, private readonly log: Logger) {}

  /** Applies every configured rule once. */
  run(s: RetentionSettings, now = Date.now()): RetentionReport {
    const r: RetentionReport = { afterForward: 0, aged: 0, highWater: 0, bytes: 0 };
    if (s.deleteAfterForward) this.sweep(FORWARDED_SQL, [], r, 'afterForward', () => true);
    if (s.maxAgeMs > 0) this.sweep(AGED, [new Date(now - s.maxAgeMs).toISOString()], r, 'aged', () => true);
    if (s.highWater) this.highWater(s.highWater, r);
    const n = r.afterForward + r.aged + r.highWater;
    if (n) this.log.info(`retention deleted ${n} instance(s), ${r.bytes} bytes (after forward ${r.afterForward}, by age ${r.aged}, high water ${r.highWater})`);
    return r;
  }

  /** Only the high-water rule (cheap when under the mark: one statfs); for frequent checks. */
  runHighWater(s: RetentionSettings): RetentionReport {
    const r: RetentionReport = { afterForward: 0, aged: 0, highWater: 0, bytes: 0 };
    if (!s.highWater) return r;
    this.highWater(s.highWater, r);
    if (r.highWater) this.log.info(`retention deleted ${r.highWater} instance(s), ${r.bytes} bytes (high water ${r.highWater})`);
    return r;
  }

  /**
   * Above the mark: first the index's write-ahead log is checkpointed and truncated (it can
   * hold megabytes that cost no image), then the oldest forwarded instances go until use is
   * under the mark.
   */
  private highWater(h: { percent?: number; bytes?: number }, r: RetentionReport): void {
    let excess = this.excessBytes(h);
    if (excess <= 0) return;
    if (h.percent !== undefined) {
      this.truncateWal();
      excess = this.excessBytes(h);
      if (excess <= 0) return;
    }
    this.sweep(FORWARDED_SQL, [], r, 'highWater', (c) => { if (excess <= 0) return false; excess -= c.size; return true; });
    if (excess > 0) this.log.warn(`storage above high-water mark: ${excess} byte(s) more in use, but no forwarded instance is left to delete`);
  }

  /**
   * Checkpoints the index and truncates its WAL, without waiting: with a reader in another
   * process (a `dicom-edge queue`) it is skipped this time rather than block the event loop
   * for the busy timeout.
   */
  private truncateWal(): void {
    try {
      this.index.checkpointAll(0);
    } catch (e) {
      this.log.warn(`retention: checkpoint of the index failed: ${(e as Error).message}`);
    }
  }

  /** Bytes above the mark: file-system use for a percentage, sum of instance sizes for a size. */
  excessBytes(h: { percent?: number; bytes?: number }): number {
    if (h.percent !== undefined) {
      const st = statfsSync(this.root);
      const total = st.blocks * st.bsize;
      const used = total - st.bavail * st.bsize;
      return Math.ceil(used - (h.percent / 100) * total);
    }
    return this.index.storedBytes() - (h.bytes ?? Infinity);
  }

  private sweep(sql: string, params: unknown[], r: RetentionReport, key: 'afterForward' | 'aged' | 'highWater', take: (c: Candidate) => boolean): void {
    const stmt = this.index.db.prepare(sql);
    for (;;) {
      const batch = stmt.all(...params) as Candidate[];
      let progressed = false;
      const seen = new Set<string>();
      for (const c of batch) {
        if (seen.has(c.sop)) continue; // its other destination's job (FORWARDED_SQL)
        seen.add(c.sop);
        if (!take(c)) return;
        if (this.deleteOne(c)) {
          r[key]++;
          r.bytes += c.size;
          progressed = true;
        }
      }
      if (batch.length < BATCH || !progressed) return;
    }
  }

  /** Check again, unlink, then drop jobs and index rows in one transaction. */
  deleteOne(c: Candidate): boolean {
    const db = this.index.db;
    const busy = db.prepare(`SELECT 1 FROM forward_jobs WHERE sop_uid = ? AND state <> 'done' LIMIT 1`).get(c.sop);
    if (busy) return false;
    try {
      unlinkSync(join(this.root, c.path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.log.warn(`retention: cannot delete ${c.path}: ${(e as Error).message}`);
        return false;
      }
    }
    this.index.transaction(() => {
      db.prepare('DELETE FROM forward_jobs WHERE sop_uid = ?').run(c.sop);
      this.index.deleteInstance(c.sop);
    });
    return true;
  }
}
