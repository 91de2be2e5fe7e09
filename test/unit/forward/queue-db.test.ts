import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IndexDb } from '../../../src/store/index-db';
import { DUE_SQL, QueueDb, SUMMARY_ACTIVE_SQL } from '../../../src/forward/queue-db';
import { row } from '../../helpers/index-row';

function setup(): { index: IndexDb; q: QueueDb; add: (study: string, dest?: string) => string } {
  const index = IndexDb.open(':memory:');
  const q = new QueueDb(index.db);
  const add = (study: string, dest = 'PACS'): string => {
    const r = row({ studyInstanceUid: study, seriesInstanceUid: `${study}.1` });
    index.transaction(() => {
      index.upsertInstance(r);
      q.enqueue({ sopUid: r.sopInstanceUid, studyUid: study, destination: dest, route: 'r', now: 1000 });
    });
    return r.sopInstanceUid;
  };
  return { index, q, add };
}

const sops = (q: QueueDb, dest: string, now = 2000) => q.due(dest, now, 100).map((j) => j.sopUid);

test('jobs come out per destination in arrival order, with the instance file facts', () => {
  const { q, add } = setup();
  const a = add('S1');
  const b = add('S2');
  const c = add('S1');
  add('S1', 'ARCHIVE');
  assert.deepEqual(sops(q, 'PACS'), [a, b, c]);
  const j = q.due('PACS', 2000, 1)[0];
  assert.equal(j.sopClassUid, '1.2.840.10008.5.1.4.1.1.2');
  assert.equal(j.dataSetOffset, 200);
  assert.match(j.path!, /^instances\//);
  assert.equal(sops(q, 'ARCHIVE').length, 1);
  assert.deepEqual(q.activeDestinations().sort(), ['ARCHIVE', 'PACS']);
});

test('a job waiting for its retry holds back the later instances of its study, not other studies', () => {
  const { q, add } = setup();
  const a = add('S1');
  const b = add('S2');
  const c = add('S1');
  const [ja] = q.due('PACS', 2000, 1);
  q.markInFlight([ja.id], 2000);
  assert.deepEqual(sops(q, 'PACS'), [b], 'in flight: its study waits');
  q.record([{ id: ja.id, kind: 'retry', status: 0x0110, error: 'x', nextAttemptAt: 5000 }], 2000);
  assert.deepEqual(sops(q, 'PACS'), [b], 'retry not due yet: c (same study) waits');
  assert.deepEqual(sops(q, 'PACS', 5000), [a, b, c], 'once due, the study goes on in order');
  const row0 = q.jobs({ ids: [ja.id] }, ['pending'], 10)[0];
  assert.equal(row0.attempts, 1);
  assert.equal(row0.last_status, 0x0110);
});

test('outcomes: done, dead and unclaim; only in-flight jobs change; a crash leaves in-flight → pending', () => {
  const { q, add } = setup();
  add('S1'); add('S1'); add('S1');
  const jobs = q.due('PACS', 2000, 10);
  q.markInFlight(jobs.map((j) => j.id), 2000);
  q.record([
    { id: jobs[0].id, kind: 'done', status: 0xb000 },
    { id: jobs[1].id, kind: 'dead', status: 0xa900, error: 'mismatch' },
  ], 3000);
  q.record([{ id: jobs[0].id, kind: 'dead', status: 1, error: 'late' }], 3000);
  const states = Object.fromEntries(q.jobs({}, ['done', 'dead', 'in-flight'], 10).map((j) => [j.id, j.state]));
  assert.deepEqual(states, { [jobs[0].id]: 'done', [jobs[1].id]: 'dead', [jobs[2].id]: 'in-flight' });
  assert.equal(q.resetInFlight(4000), 1);
  assert.deepEqual(q.due('PACS', 5000, 10).map((j) => j.id), [jobs[2].id]);
});

test('enqueue again: a waiting job keeps its place; a delivered one is queued anew at the end', () => {
  const { q, index, add } = setup();
  const a = add('S1');
  const b = add('S2');
  const again = (sop: string) => index.transaction(() => q.enqueue({ sopUid: sop, studyUid: 'S1', destination: 'PACS', route: 'r', now: 1500 }));
  assert.equal(again(a), false);
  assert.deepEqual(sops(q, 'PACS'), [a, b]);
  const [ja] = q.due('PACS', 2000, 1);
  q.markInFlight([ja.id], 2000);
  q.record([{ id: ja.id, kind: 'done', status: 0 }], 2000);
  assert.equal(again(a), true);
  assert.deepEqual(sops(q, 'PACS'), [b, a]);
});

test('operator actions by destination, study and id; retry clears the back-off', () => {
  const { q, add } = setup();
  add('S1'); add('S2'); add('S1', 'ARCHIVE');
  assert.equal(q.hold({ destination: 'PACS' }, 2000), 2);
  assert.deepEqual(sops(q, 'PACS'), []);
  assert.equal(q.release({ studyUid: 'S2' }, 2000), 1);
  assert.equal(sops(q, 'PACS').length, 1);
  const [j] = q.due('ARCHIVE', 2000, 1);
  q.markInFlight([j.id], 2000);
  q.record([{ id: j.id, kind: 'dead', status: 0xc000, error: 'x' }], 2000);
  q.setDestination('ARCHIVE', 99_999, 4, 'refused', 2000);
  assert.equal(q.retry({ ids: [j.id] }, 3000), 1);
  assert.equal(q.destination('ARCHIVE')!.down_until, 0);
  assert.equal(q.jobs({ ids: [j.id] }, ['pending'], 1)[0].attempts, 0);
  assert.equal(q.drop({ destination: 'PACS', studyUid: 'S1' }, 3000), 1);
  assert.equal(q.jobs({}, ['pending', 'held', 'dead'], 10).length, 2);
});

test('a destination-level failure (no association, A7xx) puts the job back with its status but not as an attempt', () => {
  const { q, add } = setup();
  const a = add('S1');
  const [ja] = q.due('PACS', 2000, 1);
  q.markInFlight([ja.id], 2000);
  q.record([{ id: ja.id, kind: 'wait', status: 0xa700, error: 'status 0xa700 (out of resources)' }], 2000);
  const j = q.jobs({ ids: [ja.id] }, ['pending'], 10)[0];
  assert.deepEqual([j.attempts, j.last_status, j.last_error], [0, 0xa700, 'status 0xa700 (out of resources)']);
  assert.deepEqual(sops(q, 'PACS'), [a], 'due again at once (the destination back-off decides when)');
  q.record([{ id: ja.id, kind: 'wait', status: null, error: 'late' }], 2000);
  assert.equal(q.jobs({ ids: [ja.id] }, ['pending'], 10)[0].last_error, 'status 0xa700 (out of resources)', 'only an in-flight job changes');
});

test('a destination down past maxAge: every waiting job old enough becomes a dead letter at once, younger and held ones stay', () => {
  const { index, q } = setup();
  const put = (study: string, createdAt: number) => {
    const r = row({ studyInstanceUid: study, seriesInstanceUid: `${study}.1` });
    index.transaction(() => {
      index.upsertInstance(r);
      q.enqueue({ sopUid: r.sopInstanceUid, studyUid: study, destination: 'PACS', route: 'r', now: createdAt });
    });
  };
  put('S1', 1000); put('S1', 2000); put('S2', 3000); put('S3', 9000);
  const held = q.due('PACS', 10_000, 10).find((j) => j.studyUid === 'S2')!;
  index.db.prepare(`UPDATE forward_jobs SET state = 'held' WHERE id = ?`).run(held.id);
  assert.equal(q.expireWaiting('PACS', 5000, 'gave up after maximum age: refused', 10_000), 2);
  const states = q.jobs({ destination: 'PACS' }, ['pending', 'held', 'dead'], 10).map((j) => `${j.study_uid}:${j.state}`).sort();
  assert.deepEqual(states, ['S1:dead', 'S1:dead', 'S2:held', 'S3:pending']);
  assert.equal(q.expireWaiting('ARCHIVE', 5000, 'x', 10_000), 0, 'per destination');
});

test('a held job holds back the later instances of its study; delivered ones never do', () => {
  const { q, add } = setup();
  const a = add('S1');
  const b = add('S1');
  const c = add('S2');
  const [ja] = q.due('PACS', 2000, 1);
  q.markInFlight([ja.id], 2000);
  q.record([{ id: ja.id, kind: 'done', status: 0 }], 2000);
  assert.deepEqual(sops(q, 'PACS'), [b, c], 'a delivered job does not hold its study back');
  assert.equal(q.hold({ ids: [q.due('PACS', 2000, 1)[0].id] }, 2000), 1);
  const d = add('S1');
  assert.deepEqual(sops(q, 'PACS'), [c], 'held b: d (same study) waits, S2 goes on');
  assert.equal(q.release({ studyUid: 'S1' }, 2000), 1);
  assert.deepEqual(sops(q, 'PACS'), [b, c, d]);
  assert.ok(!sops(q, 'PACS').includes(a));
});

test("due() finds what holds a study back by index seeks, not a walk over the study's delivered jobs (STUDY_ORDER_INDEX)", () => {
  const { index } = setup();
  const plan = (index.db.prepare(`EXPLAIN QUERY PLAN ${DUE_SQL}`).all({ dest: 'PACS', now: 1, limit: 32 }) as Array<{ detail: string }>).map((r) => r.detail);
  const earlier = plan.filter((d) => /^SEARCH e /.test(d));
  assert.equal(earlier.length, 2, plan.join('\n'));
  // The state is part of the seek: done jobs (kept until retention deletes the instance) are never visited.
  for (const d of earlier) assert.match(d, /forward_jobs_study_state \(study_uid=\? AND destination=\? AND state=\? AND id<\?\)/, plan.join('\n'));
});

test('an index of an earlier version (study without state) is replaced when the queue opens', () => {
  const index = IndexDb.open(':memory:');
  new QueueDb(index.db);
  index.db.exec('DROP INDEX forward_jobs_study_state; CREATE INDEX forward_jobs_study ON forward_jobs(study_uid, destination, id)');
  new QueueDb(index.db);
  const names = (index.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'forward_jobs'").all() as Array<{ name: string }>).map((r) => r.name);
  assert.ok(names.includes('forward_jobs_study_state'), names.join(', '));
  assert.ok(!names.includes('forward_jobs_study'), names.join(', '));
});

test('summary(): per destination and state as a plain GROUP BY would give, delivered jobs counted only (SUMMARY_SQL_NOTE)', () => {
  const { index, q, add } = setup();
  for (const [study, dest] of [['S1', 'PACS'], ['S1', 'PACS'], ['S2', 'PACS'], ['S3', 'ARCHIVE'], ['S4', 'ARCHIVE'], ['S5', 'B'], ['S6', 'PACS']] as const) add(study, dest);
  const set = index.db.prepare('UPDATE forward_jobs SET state = ?, attempts = ? WHERE id = ?');
  set.run('done', 0, 1); set.run('done', 0, 4); set.run('dead', 3, 2); set.run('held', 0, 6); set.run('in-flight', 0, 5); set.run('pending', 2, 3);
  const plain = index.db.prepare(`SELECT destination, state, COUNT(*) AS n, MIN(created_at) AS oldest,
    SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS retrying FROM forward_jobs GROUP BY destination, state ORDER BY destination, state`).all() as Array<{ state: string; oldest: number | null; retrying: number }>;
  const expected = plain.map((r) => (r.state === 'done' ? { ...r, oldest: null, retrying: 0 } : r));
  assert.deepEqual(q.summary(), expected);
  assert.deepEqual(new QueueDb(IndexDb.open(':memory:').db).summary(), [], 'empty queue');
});

const plainDone = (index: IndexDb) => index.db.prepare(`SELECT destination, COUNT(*) AS n FROM forward_jobs WHERE state = 'done' GROUP BY destination ORDER BY destination`).all();
const summaryDone = (q: QueueDb) => q.summary().filter((r) => r.state === 'done').map((r) => ({ destination: r.destination, n: r.n }));

test('delivered jobs per destination are kept by triggers through every way a job changes (DONE_COUNTS_NOTE)', () => {
  const { index, q, add } = setup();
  const [a, b, c] = [add('S1'), add('S1'), add('S2', 'ARCHIVE')];
  const id = (sop: string) => (index.db.prepare('SELECT id FROM forward_jobs WHERE sop_uid = ?').get(sop) as { id: number }).id;
  const steps: Array<[string, () => unknown, Array<{ destination: string; n: number }>]> = [
    ['delivered', () => { q.markInFlight([id(a), id(b), id(c)], 1500); q.record([{ id: id(a), kind: 'done', status: 0 }, { id: id(b), kind: 'done', status: 0xb000 }, { id: id(c), kind: 'done', status: 0 }], 1600); },
      [{ destination: 'ARCHIVE', n: 1 }, { destination: 'PACS', n: 2 }]],
    ['received again: the delivered job is replaced by a waiting one', () => index.transaction(() => q.enqueue({ sopUid: a, studyUid: 'S1', destination: 'PACS', route: 'r', now: 1700 })),
      [{ destination: 'ARCHIVE', n: 1 }, { destination: 'PACS', n: 1 }]],
    ['a done row set back by hand', () => index.db.prepare("UPDATE forward_jobs SET state = 'pending' WHERE id = ?").run(id(b)),
      [{ destination: 'ARCHIVE', n: 1 }]],
    ['rows deleted (retention)', () => index.db.prepare("DELETE FROM forward_jobs WHERE destination = 'ARCHIVE'").run(), []],
    ['a job inserted as delivered', () => index.db.prepare(`INSERT INTO forward_jobs (sop_uid, study_uid, destination, state, created_at, updated_at) VALUES ('x', 'S9', 'B', 'done', 1, 1)`).run(),
      [{ destination: 'B', n: 1 }]],
  ];
  for (const [what, step, want] of steps) {
    step();
    assert.deepEqual(summaryDone(q), want, what);
    assert.deepEqual(summaryDone(q), plainDone(index).filter((r) => (r as { n: number }).n > 0), what);
  }
  index.db.exec("UPDATE forward_done_counts SET n = 7 WHERE destination = 'B'");
  assert.deepEqual(summaryDone(q), [{ destination: 'B', n: 7 }], 'the summary reads the kept counts; it does not count the jobs');
});

test('an index from before the counts gets them filled when the queue opens, once (DONE_COUNTS_NOTE)', () => {
  const { index, q, add } = setup();
  for (const [study, dest] of [['S1', 'PACS'], ['S1', 'PACS'], ['S2', 'ARCHIVE']]) add(study, dest);
  index.db.exec("UPDATE forward_jobs SET state = 'done'");
  index.db.exec('DROP TRIGGER forward_done_insert; DROP TRIGGER forward_done_update; DROP TRIGGER forward_done_delete; DROP TABLE forward_done_counts');
  const reopened = new QueueDb(index.db);
  const want = [{ destination: 'ARCHIVE', n: 1 }, { destination: 'PACS', n: 2 }];
  assert.deepEqual(summaryDone(reopened), want);
  assert.deepEqual(summaryDone(new QueueDb(index.db)), want, 'a second open does not count them again');
  assert.deepEqual(summaryDone(q), want);
});

test('summary() reads each destination through the index: no walk over every job (SUMMARY_SQL_NOTE)', () => {
  const { index } = setup();
  const plan = (index.db.prepare(`EXPLAIN QUERY PLAN ${SUMMARY_ACTIVE_SQL}`).all() as Array<{ detail: string }>).map((r) => r.detail);
  assert.ok(plan.some((d) => /^SEARCH j USING INDEX forward_jobs_dest_state \(destination=\? AND state=\?\)/.test(d)), plan.join('\n'));
  assert.ok(!plan.some((d) => /^SCAN (j|forward_jobs)\b/.test(d)), plan.join('\n'));
});
