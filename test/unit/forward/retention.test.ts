import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IndexDb } from '../../../src/store/index-db';
import { QueueDb, type JobState } from '../../../src/forward/queue-db';
import { FORWARDED_SQL, Retention } from '../../../src/forward/retention';
import { silentLogger } from '../../../src/util/log';
import { tmpDir } from '../../helpers/tmp';
import { row } from '../../helpers/index-row';

async function setup(t: Parameters<typeof tmpDir>[1]) {
  const root = await tmpDir('retention-', t);
  const index = IndexDb.open(join(root, 'index.sqlite'));
  t?.after?.(() => index.close());
  const q = new QueueDb(index.db);
  /** An instance with one job per given state; `age` days old. */
  const add = (states: JobState[], ageDays: number): string => {
    const r = row({ receivedAt: new Date(Date.now() - ageDays * 86400000).toISOString(), size: 1000 });
    mkdirSync(dirname(join(root, r.path)), { recursive: true });
    writeFileSync(join(root, r.path), Buffer.alloc(1000));
    index.transaction(() => {
      index.upsertInstance(r);
      states.forEach((s, i) => {
        q.enqueue({ sopUid: r.sopInstanceUid, studyUid: r.studyInstanceUid, destination: `D${i}`, route: 'r', now: 1 });
        index.db.prepare('UPDATE forward_jobs SET state = ? WHERE sop_uid = ? AND destination = ?').run(s, r.sopInstanceUid, `D${i}`);
      });
    });
    return r.path;
  };
  const kept = (p: string) => existsSync(join(root, p)) && index.db.prepare('SELECT 1 FROM instances WHERE path = ?').get(p) !== undefined;
  const gone = (p: string) => !existsSync(join(root, p)) && index.db.prepare('SELECT 1 FROM instances WHERE path = ?').get(p) === undefined;
  return { root, index, add, kept, gone, r: new Retention(index, root, silentLogger) };
}

test('deleteAfterForward: only instances every destination confirmed; file, rows and jobs go', async (t) => {
  const s = await setup(t);
  const both = s.add(['done', 'done'], 0);
  const half = s.add(['done', 'pending'], 0);
  const dead = s.add(['dead'], 0);
  const held = s.add(['held'], 0);
  const flying = s.add(['in-flight'], 0);
  const unrouted = s.add([], 0);
  const rep = s.r.run({ deleteAfterForward: true, maxAgeMs: 0 });
  assert.equal(rep.afterForward, 1);
  assert.ok(s.gone(both));
  for (const p of [half, dead, held, flying, unrouted]) assert.ok(s.kept(p), p);
  assert.equal((s.index.db.prepare('SELECT COUNT(*) AS n FROM forward_jobs WHERE state = ?').get('done') as { n: number }).n, 1, 'the deleted instance\'s jobs are gone');
  assert.equal(s.index.countInstances(), 5);
});

test('maxAge: old forwarded and unrouted instances age out; queued and dead ones never', async (t) => {
  const s = await setup(t);
  const oldDone = s.add(['done'], 10);
  const oldUnrouted = s.add([], 10);
  const oldDead = s.add(['dead'], 10);
  const oldPending = s.add(['pending'], 10);
  const young = s.add([], 1);
  const rep = s.r.run({ deleteAfterForward: false, maxAgeMs: 5 * 86400000 });
  assert.equal(rep.aged, 2);
  assert.ok(s.gone(oldDone) && s.gone(oldUnrouted));
  for (const p of [oldDead, oldPending, young]) assert.ok(s.kept(p), p);
});

test('highWater (store size): oldest forwarded first, until below the mark', async (t) => {
  const s = await setup(t);
  const a = s.add(['done'], 5);
  const b = s.add(['done'], 4);
  const c = s.add(['pending'], 6);
  const d = s.add(['done'], 3);
  const e = s.add([], 7);
  // 5 × 1000 bytes stored, mark 3000: 2000 to free → a then b.
  const rep = s.r.run({ deleteAfterForward: false, maxAgeMs: 0, highWater: { bytes: 3000 } });
  assert.equal(rep.highWater, 2);
  assert.ok(s.gone(a) && s.gone(b));
  for (const p of [c, d, e]) assert.ok(s.kept(p), p);
  assert.equal(s.r.run({ deleteAfterForward: false, maxAgeMs: 0, highWater: { bytes: 3000 } }).highWater, 0, 'below the mark: nothing more');
});

test('highWater (file-system percentage), checked on its own: the index WAL is truncated before any image goes; only forwarded ones go', async (t) => {
  const s = await setup(t);
  const a = s.add(['done'], 5);
  const c = s.add(['pending'], 6);
  const wal = join(s.root, 'index.sqlite-wal');
  s.index.db.exec('CREATE TABLE scratch (b BLOB)');
  const put = s.index.db.prepare('INSERT INTO scratch VALUES (?)');
  for (let i = 0; i < 300; i++) s.index.transaction(() => put.run(Buffer.alloc(3000)));
  assert.ok(statSync(wal).size > 1024 * 1024, `the WAL grew (${statSync(wal).size} bytes)`);
  // A mark no file system can be under: the WAL is truncated, then every forwarded instance goes.
  const rep = s.r.runHighWater({ deleteAfterForward: false, maxAgeMs: 0, highWater: { percent: 0.0001 } });
  assert.equal(rep.highWater, 1);
  assert.ok(s.gone(a));
  assert.ok(s.kept(c), 'a queued instance stays');
  // Truncated to nothing before the deletion; the deletion's own commit is all it holds now.
  assert.ok(statSync(wal).size < 64 * 1024, `WAL ${statSync(wal).size} bytes`);
  assert.equal(s.index.db.pragma('busy_timeout', { simple: true }), 5000, 'the busy timeout is back after the no-wait checkpoint');
  assert.equal(s.r.runHighWater({ deleteAfterForward: false, maxAgeMs: 0, highWater: { percent: 100 } }).highWater, 0, 'under the mark: nothing');
});

test('forwarded instances are found from the delivered jobs: unrouted, queued and dead ones are never walked past', async (t) => {
  const s = await setup(t);
  const plan = (s.index.db.prepare(`EXPLAIN QUERY PLAN ${FORWARDED_SQL}`).all() as Array<{ detail: string }>).map((r) => r.detail);
  assert.match(plan[0], /^SCAN j USING INDEX forward_jobs_done/, plan.join('\n'));
  assert.ok(!plan.some((d) => /^SCAN i\b/.test(d)), plan.join('\n'));
  // Many old unrouted instances before the forwarded one: only the forwarded one goes.
  const unrouted = Array.from({ length: 50 }, () => s.add([], 9));
  const done = s.add(['done'], 1);
  assert.equal(s.r.run({ deleteAfterForward: true, maxAgeMs: 0 }).afterForward, 1);
  assert.ok(s.gone(done));
  assert.ok(unrouted.every((p) => s.kept(p)));
});
