import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpoolDb } from '../../../src/print/spool-db';
import { removeUnfinishedJobs, writeJob } from '../../../src/print/spool-files';

const job = { session: [], films: [{ attrs: [], boxes: [] }] };

test('start-up clean-up: half-written (.tmp-*) and row-less job folders go, jobs with a row stay', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'spool-recover-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const kept = writeJob(root, '1.2.3', job, []);
  const orphan = writeJob(root, '1.2.4', job, []);
  mkdirSync(join(root, 'print', '.tmp-1.2.5'));
  writeFileSync(join(root, 'print', '.tmp-1.2.5', 'film1-box1.dcm'), 'partial');
  assert.deepEqual(removeUnfinishedJobs(root, new Set([kept])).sort(), ['.tmp-1.2.5', '1.2.4']);
  assert.deepEqual(readdirSync(join(root, 'print')), ['1.2.3']);
  assert.ok(!existsSync(join(root, orphan)));
  assert.ok(existsSync(join(root, kept, 'job.json')));
  assert.deepEqual(removeUnfinishedJobs(join(root, 'nothing-here'), new Set()), [], 'no spool folder yet: nothing to do');
});

test('a new job row is committed with synchronous=FULL; the connection goes back to its level', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-sync-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = new Database(join(dir, 'i.sqlite'));
  t.after(() => db.close());
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const spool = new SpoolDb(db);
  const levels: number[] = [];
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    if (/INSERT INTO print_jobs/.test(sql)) levels.push(db.pragma('synchronous', { simple: true }) as number);
    return prepare(sql);
  }) as typeof db.prepare;
  const id = spool.insert({ uid: '1.2.3', printer: 'P', films: 1, images: 1, copies: 1, dir: 'print/1.2.3' }, 1);
  assert.equal(spool.get(id)?.state, 'queued');
  assert.deepEqual(levels, [2], 'FULL (2) while the row is written');
  assert.equal(db.pragma('synchronous', { simple: true }), 1, 'NORMAL (1) again afterwards');
  assert.deepEqual(spool.dirs(), new Set(['print/1.2.3']));
});
