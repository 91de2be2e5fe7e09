import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupSpool } from '../../../src/print/cleanup';
import { composeJob } from '../../../src/print/compose';
import { greyItem } from '../../../src/print/pixels';
import { SpoolDb } from '../../../src/print/spool-db';
import { writeJob } from '../../../src/print/spool-files';

const DAY = 86_400_000;
const caps = { filmSizes: [], displayFormats: [], magnificationTypes: [], supports12Bit: true };

test('cleanup: done and failed/cancelled jobs older than keepDays go with their folders; queued, held and printing jobs stay', () => {
  const root = mkdtempSync(join(tmpdir(), 'spool-clean-'));
  const db = new SpoolDb(new Database(':memory:'));
  const content = composeJob([{ item: greyItem(1, 1, 8, Buffer.from([1])), colour: false }], {}, caps);
  const job = (uid: string, at: number): { id: number; dir: string } => {
    const dir = writeJob(root, uid, content, [Buffer.from('png')]);
    return { id: db.insert({ uid, printer: 'P', films: 1, images: 1, copies: 1, dir }, at), dir };
  };
  const t0 = 100 * DAY;
  const done = job('1.1', t0);
  db.markPrinting(done.id, t0);
  db.markDone(done.id, 0, null, t0 + 1);
  const cancelled = job('1.2', t0);
  db.cancel({ ids: [cancelled.id] }, t0 + 2);
  const queued = job('1.3', t0);
  const held = job('1.4', t0);
  db.hold({ ids: [held.id] }, t0 + 3);
  const printing = job('1.5', t0);
  db.markPrinting(printing.id, t0 + 4);
  const recent = job('1.6', t0);
  db.markPrinting(recent.id, t0 + 6 * DAY);
  db.markDone(recent.id, 0, null, t0 + 6 * DAY);

  assert.equal(cleanupSpool(db, root, { keepMs: 7 * DAY, now: t0 + 6 * DAY }), 0, 'nothing is 7 days old yet');
  assert.equal(cleanupSpool(db, root, { keepMs: 0, now: t0 + 100 * DAY }), 0, 'keepDays = 0 keeps everything');
  assert.equal(cleanupSpool(db, root, { keepMs: 7 * DAY, now: t0 + 7 * DAY + 10 }), 2);
  for (const j of [done, cancelled]) {
    assert.equal(db.get(j.id), undefined);
    assert.equal(db.historyOf(j.id).length, 0, 'history goes with the row');
    assert.equal(existsSync(join(root, j.dir)), false, 'folder and previews deleted');
  }
  for (const j of [queued, held, printing, recent]) {
    assert.ok(db.get(j.id), `job ${j.id} kept`);
    assert.ok(existsSync(join(root, j.dir, 'film1.png')));
  }
  db.reprint({ ids: [recent.id] }, t0 + 20 * DAY);
  assert.equal(cleanupSpool(db, root, { keepMs: 7 * DAY, now: t0 + 20 * DAY }), 0, 'a reprinted job is queued again: kept');
  assert.equal(db.get(recent.id)!.state, 'queued');
});
