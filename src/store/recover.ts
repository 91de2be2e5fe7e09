/**
 * Startup consistency check of the store (run before accepting associations):
 * - temp files (tmp/, spare/) with a valid completion mark were received whole, fsynced and
 *   maybe acknowledged, but their rename was lost: put them in place (and index them);
 *   the others are leftovers of receptions that never completed: delete them;
 * - index rows whose file is gone: remove them (and report);
 * - files without a row (crash after rename, before the index commit): index them;
 * - PRAGMA integrity_check.
 *
 * CLEAN_STOP: the cross-check of rows and files and the integrity check read the whole
 * store (200,000 instances: 2-4 s and ~130 MiB of paths held at once here; minutes on an SD
 * card). They only find something after a crash or a power cut, so a graceful stop leaves
 * `<store>/clean-stop` (written after the index is closed and no reception or commit is in
 * progress: InstanceStore.markCleanStop) and the next start, finding it, deletes it and
 * sweeps only tmp/ and spare/. Any start that does not find it (crash, power loss, kill, a
 * stop with a reception still in progress) runs the full check. Deleting the file by hand
 * forces a full check at the next start.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { absoluteInstancePath, instanceRelPath, instancesDir, isAcceptableUid, isInstanceRelPathOf, spareDir, tmpDir } from './paths';
import { isMarkedComplete } from './completion';
import type { IndexDb, InstanceRow } from './index-db';
import type { StoreFs } from './store-fs';
import type { InstanceStore } from './instance-store';

export interface RecoverReport {
  /** Temp files of interrupted receptions, deleted. */
  orphanTempFiles: number;
  /** Complete (marked) temp files put in place and indexed. */
  completedTempFiles: number;
  /** Rows whose file was missing, removed from the index (SOP Instance UIDs). */
  missingFiles: string[];
  /** Files without a row, indexed again. */
  reindexed: number;
  /** Files in instances/ that could not be read back or do not match their name; left in place. */
  unreadable: string[];
  /** PRAGMA integrity_check problems (empty when sound). */
  integrityProblems: string[];
  /** False after a clean stop: only tmp/ and spare/ were swept (CLEAN_STOP). */
  fullCheck: boolean;
}

/** The marker a graceful stop leaves in the store's root (CLEAN_STOP). */
export const CLEAN_STOP_FILE = 'clean-stop';

/** The report, and the empty files of spare/: ready files of the pool, kept for it. */
export async function recover(store: InstanceStore, index: IndexDb, fs: StoreFs, opts: { pageSize?: number } = {}): Promise<{ report: RecoverReport; emptySpares: string[] }> {
  const report: RecoverReport = { orphanTempFiles: 0, completedTempFiles: 0, missingFiles: [], reindexed: 0, unreadable: [], integrityProblems: [], fullCheck: true };
  report.fullCheck = !(await consumeCleanStop(store.root, fs));
  if (report.fullCheck) report.integrityProblems = index.integrityCheck();
  const { placed, emptySpares } = await sweepTempFiles(store, index, fs, report);
  if (!report.fullCheck) {
    // Nothing was in progress at the stop, so nothing should have been complete in tmp/ or spare/; if it was, it is indexed all the same.
    for (const rel of placed) {
      if (await reindex(store, index, rel)) report.completedTempFiles++;
      else report.unreadable.push(rel);
    }
    return { report, emptySpares };
  }
  // BOUNDED_CHECK: the paths of the rows whose file exists go to a scratch database in tmp/,
  // a page of rows at a time, not to memory (a million paths would be ~0.6 GiB of strings);
  // the files are then listed one bucket folder at a time and looked up there.
  const known = new KnownPaths(join(tmpDir(store.root), `recover-${process.pid}.sqlite`));
  try {
    for (let after = 0; ;) {
      const page = index.instancePathsAfter(after, opts.pageSize ?? 5000);
      if (!page.length) break;
      const present: string[] = [];
      for (const r of page) {
        if (await fileExists(store.root, r.path, fs)) present.push(r.path);
        else report.missingFiles.push(r.sopUid);
      }
      known.add(present);
      after = page[page.length - 1].id;
    }
    for (const uid of report.missingFiles) index.deleteInstance(uid);
    for await (const files of instanceFilesByFolder(store.root, fs)) {
      for (const rel of files) {
        if (known.has(rel) && !placed.has(rel)) continue;
        if (await reindex(store, index, rel)) {
          if (placed.has(rel)) report.completedTempFiles++;
          else report.reindexed++;
        } else report.unreadable.push(rel);
      }
    }
  } finally {
    known.close();
  }
  return { report, emptySpares };
}

/** Paths of indexed instances whose file exists, in a throw-away SQLite file (BOUNDED_CHECK). */
class KnownPaths {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly lookup: Database.Statement;

  constructor(private readonly path: string) {
    rmSync(path, { force: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.exec('CREATE TABLE known (path TEXT PRIMARY KEY) WITHOUT ROWID');
    this.insert = this.db.prepare('INSERT OR IGNORE INTO known (path) VALUES (?)');
    this.lookup = this.db.prepare('SELECT 1 FROM known WHERE path = ?');
  }

  add(paths: string[]): void {
    this.db.transaction(() => { for (const p of paths) this.insert.run(p); })();
  }

  has(path: string): boolean {
    return this.lookup.get(path) !== undefined;
  }

  close(): void {
    this.db.close();
    rmSync(this.path, { force: true });
  }
}

/**
 * tmp/ and spare/: complete files are renamed into place (their relative paths returned, to
 * be indexed), partial receptions deleted (counted); the empty files of spare/ are the
 * pool's ready files and stay (returned), empty ones of tmp/ are deleted.
 */
async function sweepTempFiles(store: InstanceStore, index: IndexDb, fs: StoreFs, report: RecoverReport): Promise<{ placed: Set<string>; emptySpares: string[] }> {
  const root = store.root;
  await fs.mkdirp(tmpDir(root), 0o750);
  const placed = new Set<string>();
  const emptySpares: string[] = [];
  for (const dir of [tmpDir(root), spareDir(root)]) {
    for (const name of await readdirOrEmpty(dir, fs)) {
      const path = join(dir, name);
      const size = await fs.size(path).catch(() => null);
      if (size === 0 && dir === spareDir(root)) {
        emptySpares.push(path);
        continue;
      }
      const rel = size ? await placeIfComplete(store, index, fs, path) : undefined;
      if (rel) {
        placed.add(rel);
        continue;
      }
      await fs.unlink(path).catch(() => undefined);
      if (size) report.orphanTempFiles++;
    }
  }
  return { placed, emptySpares };
}

/** A marked complete file goes to its final name (unless duplicates keep the stored copy); returns that name. */
async function placeIfComplete(store: InstanceStore, index: IndexDb, fs: StoreFs, path: string): Promise<string | undefined> {
  try {
    if (!(await isMarkedComplete(path, fs))) return undefined;
    const f = await store.readStoredFile(path);
    const uid = f.header.sopInstanceUid;
    // As the live store checks (A900): data set and command (kept in the meta) agree.
    if (!uid || !isAcceptableUid(uid) || uid !== f.mediaStorageSopInstanceUid || f.header.sopClassUid !== f.mediaStorageSopClassUid) return undefined;
    const rel = instanceRelPath(uid);
    const abs = absoluteInstancePath(store.root, rel);
    const stored = index.getInstance(uid) !== undefined && (await fs.size(abs)) !== null;
    if (stored && store.duplicates !== 'overwrite') return undefined; // the copy in place stays, as it would have
    await fs.mkdirp(dirname(abs), 0o750);
    await fs.rename(path, abs);
    await fs.fsyncDir(dirname(abs));
    return rel;
  } catch {
    return undefined;
  }
}

/** True when the last stop was clean; the marker is deleted (durably) before anything else happens, so a crash from here on means a full check next time. */
async function consumeCleanStop(root: string, fs: StoreFs): Promise<boolean> {
  const marker = join(root, CLEAN_STOP_FILE);
  if ((await fs.size(marker).catch(() => null)) === null) return false;
  await fs.unlink(marker);
  await fs.fsyncDir(root);
  return true;
}

async function fileExists(root: string, rel: string, fs: StoreFs): Promise<boolean> {
  try {
    return (await fs.size(absoluteInstancePath(root, rel))) !== null;
  } catch {
    return false; // a path that escapes the store is as good as missing
  }
}

async function readdirOrEmpty(path: string, fs: StoreFs): Promise<string[]> {
  try {
    return await fs.readdir(path);
  } catch {
    return [];
  }
}

/** instances/ab/<sha1>.dcm (and the earlier instances/ab/cd/<sha1>.dcm), as relative POSIX paths, one bucket folder at a time. */
async function* instanceFilesByFolder(root: string, fs: StoreFs): AsyncGenerator<string[]> {
  const base = instancesDir(root);
  for (const a of await readdirOrEmpty(base, fs)) {
    const out: string[] = [];
    for (const b of await readdirOrEmpty(join(base, a), fs)) {
      if (b.endsWith('.dcm')) {
        out.push(`instances/${a}/${b}`);
        continue;
      }
      for (const f of await readdirOrEmpty(join(base, a, b), fs)) {
        if (f.endsWith('.dcm')) out.push(`instances/${a}/${b}/${f}`);
      }
    }
    yield out;
  }
}

async function reindex(store: InstanceStore, index: IndexDb, rel: string): Promise<boolean> {
  try {
    const abs = absoluteInstancePath(store.root, rel);
    const f = await store.readStoredFile(abs);
    const h = f.header;
    if (!h.sopInstanceUid || !h.sopClassUid || !h.studyInstanceUid || !h.seriesInstanceUid) return false;
    if (!isInstanceRelPathOf(h.sopInstanceUid, rel)) return false; // name must be sha1 of its own UID
    const row: InstanceRow = {
      ...h, sopInstanceUid: h.sopInstanceUid, sopClassUid: h.sopClassUid,
      studyInstanceUid: h.studyInstanceUid, seriesInstanceUid: h.seriesInstanceUid,
      transferSyntaxUid: f.transferSyntaxUid, size: f.size, dataSetOffset: f.dataSetOffset, path: rel,
      callingAe: f.sendingAeTitle, calledAe: null, receivedAt: new Date().toISOString(),
    };
    // Same transaction shape as a live store: the row and whatever the hooks add (routes).
    index.transaction((db) => {
      index.upsertInstance(row);
      store.runIndexHooks(db, row);
    });
    return true;
  } catch {
    return false;
  }
}
