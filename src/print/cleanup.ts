/**
 * Spool cleanup: done and failed jobs (operator-cancelled ones are failed jobs) whose last
 * change is older than [Print] keepDays lose their row, history and folder (attributes,
 * pixels, previews). A queued, held or printing job is never touched: the row is deleted
 * first, under a condition on its state and age, and only then its folder, so a job reprinted
 * meanwhile (print-queue from another process) keeps both, and a crash between the two
 * leaves a folder without a row, which the start-up recovery removes
 * (removeUnfinishedJobs in spool-files.ts).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SpoolDb } from './spool-db';

export interface CleanupOptions {
  /** Done/failed jobs unchanged for this long are deleted; 0 or less: none. */
  keepMs: number;
  now: number;
}

/** Deletes the expired jobs; returns how many. */
export function cleanupSpool(db: SpoolDb, storagePath: string, o: CleanupOptions): number {
  if (o.keepMs <= 0) return 0;
  const before = o.now - o.keepMs;
  let total = 0;
  for (let batch = db.expired(before); batch.length; batch = db.expired(before)) {
    let removed = 0;
    for (const job of batch) {
      if (!db.removeExpired(job.id, before)) continue;
      removed++;
      rmSync(join(storagePath, job.dir), { recursive: true, force: true });
    }
    total += removed;
    if (removed === 0) break;
  }
  return total;
}
