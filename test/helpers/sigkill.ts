/**
 * Shared pieces of the SIGKILL fault tests (faults-sigkill-*.test.ts): polling with a
 * bound, a read-only look at a data folder's index, what a killed print spool may leave
 * behind, and the modality's view of an N-ACTION (dcmprscu --debug output).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { partialFiles } from './store-files';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `probe` holds; the bound only keeps a broken test from hanging (nothing timed is asserted). */
export async function eventually(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 30000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Runs `fn` on <dataDir>/index.sqlite opened read-only (safe beside a running agent: WAL). */
export function withIndex<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'index.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export interface SpoolRow { id: number; uid: string; label: string | null; state: string; dir: string }

export function spoolRows(dataDir: string): SpoolRow[] {
  return withIndex(dataDir, (db) => db.prepare('SELECT id, uid, label, state, dir FROM print_jobs ORDER BY id').all() as SpoolRow[]);
}

/** What an interrupted spool write or reception leaves: print/.tmp-* folders and files in tmp/. */
export function leftovers(dataDir: string): { spoolTmp: string[]; storeTmp: string[]; jobDirs: string[] } {
  const list = (d: string): string[] => (existsSync(d) ? readdirSync(d) : []);
  const print = list(join(dataDir, 'print'));
  return {
    spoolTmp: print.filter((n) => n.startsWith('.tmp-')),
    storeTmp: partialFiles(dataDir),
    jobDirs: print.filter((n) => !n.startsWith('.')).map((n) => `print/${n}`),
  };
}

/** The DIMSE status of the N-ACTION-RSP in dcmprscu --debug output; undefined when none arrived. */
export function nActionStatus(debugOutput: string): number | undefined {
  const m = /Message Type\s*: N-ACTION RSP[\s\S]*?DIMSE Status\s*: 0x([0-9A-Fa-f]{4})/.exec(debugOutput);
  return m ? parseInt(m[1], 16) : undefined;
}

/** The print was accepted: Success (0000) or a Warning (Bxxx) status, PS3.7 Annex C. */
export function nActionSucceeded(debugOutput: string): boolean {
  const s = nActionStatus(debugOutput);
  return s !== undefined && (s === 0 || (s & 0xf000) === 0xb000);
}
