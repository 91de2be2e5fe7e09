/**
 * `dicom-edge queue [list]` shows the forwarding queue per destination; `queue retry|hold|
 * release|drop` acts on jobs chosen by destination, study or job id. Works on the index
 * database directly (WAL lets it run beside the agent, whose workers poll for changes).
 */
import { join } from 'node:path';
import { COMMON_FLAGS, bool, parseArgs, str, type ParsedArgs, jobIds } from '../args';
import { loadCliConfig } from '../context';
import { IndexDb } from '../../store/index-db';
import { QueueDb, type JobSelector, type JobState } from '../../forward/queue-db';
import { EdgeError } from '../../util/errors';

export const usage = 'queue [list [--jobs] [--all]] | queue (retry|hold|release|drop) (DEST | --study UID | --job ID... | --all) [--config FILE]';

const FLAGS = [
  ...COMMON_FLAGS,
  { names: ['--study'], value: true, key: 'study' },
  { names: ['--job'], value: true, multi: true, key: 'job' },
  { names: ['--dest', '--destination'], value: true, key: 'dest' },
  { names: ['--jobs'], key: 'jobs' },
  { names: ['--all'], key: 'all' },
];

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  const [action = 'list', ...rest] = a.positionals;
  const config = loadCliConfig(str(a, 'config'));
  const index = IndexDb.open(join(config.storage.path, 'index.sqlite'));
  try {
    const q = new QueueDb(index.db);
    if (action === 'list') return list_(q, a, rest);
    if (!['retry', 'hold', 'release', 'drop'].includes(action)) {
      process.stderr.write(`usage: dicom-edge ${usage}\n`);
      return 2;
    }
    const sel = selector(a, rest);
    const now = Date.now();
    const n = action === 'retry' ? q.retry(sel, now) : action === 'hold' ? q.hold(sel, now) : action === 'release' ? q.release(sel, now) : q.drop(sel, now);
    const verb = { retry: 'queued again', hold: 'held', release: 'released', drop: 'dropped' }[action];
    process.stdout.write(`${n} job(s) ${verb}\n`);
    return 0;
  } finally {
    index.close();
  }
}

/** DEST positional or --dest, --study, --job (repeatable, or comma list); --all for everything. */
function selector(a: ParsedArgs, rest: string[]): JobSelector {
  const sel: JobSelector = {};
  const dest = str(a, 'dest') ?? rest[0];
  if (rest.length > 1) throw new EdgeError('CLI_QUEUE', `one destination at a time (got ${rest.join(' ')})`);
  if (dest !== undefined) sel.destination = dest;
  const study = str(a, 'study');
  if (study !== undefined) sel.studyUid = study;
  const ids = jobIds(a, 'CLI_QUEUE');
  if (ids.length) sel.ids = ids;
  if (!Object.keys(sel).length && !bool(a, 'all')) throw new EdgeError('CLI_QUEUE', 'name a destination, --study UID, --job ID, or --all');
  return sel;
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

function list_(q: QueueDb, a: ParsedArgs, rest: string[]): number {
  const now = Date.now();
  const dest = str(a, 'dest') ?? rest[0];
  const rows = q.summary().filter((r) => dest === undefined || r.destination === dest);
  const dests = new Map(q.destinations().map((d) => [d.destination, d]));
  const names = [...new Set(rows.map((r) => r.destination))];
  if (!names.length) process.stdout.write('forwarding queue is empty\n');
  for (const name of names) {
    const count = (s: JobState): number => rows.find((r) => r.destination === name && r.state === s)?.n ?? 0;
    const pending = rows.find((r) => r.destination === name && r.state === 'pending');
    const failed = pending?.retrying ?? 0;
    const oldest = pending && pending.oldest !== null ? `, oldest ${age(now - pending.oldest)}` : '';
    process.stdout.write(`${name}: pending ${count('pending')} (failed, retrying ${failed}${oldest}), in-flight ${count('in-flight')}, held ${count('held')}, dead ${count('dead')}, done ${count('done')}\n`);
    const d = dests.get(name);
    if (d && d.failures > 0) {
      const when = d.down_until > now ? `next attempt in ${age(d.down_until - now)}` : 'retrying now';
      process.stdout.write(`  destination failing (${d.failures}x, ${when}): ${d.last_error ?? ''}\n`);
    }
  }
  if (bool(a, 'jobs') || bool(a, 'all')) {
    const states: JobState[] = bool(a, 'all') ? ['pending', 'in-flight', 'held', 'dead', 'done'] : ['pending', 'in-flight', 'held', 'dead'];
    const sel: JobSelector = dest === undefined ? {} : { destination: dest };
    if (str(a, 'study')) sel.studyUid = str(a, 'study');
    for (const j of q.jobs(sel, states, 10_000)) {
      const st = j.last_status === null ? '' : ` status 0x${j.last_status.toString(16).padStart(4, '0')}`;
      process.stdout.write(`  #${j.id} ${j.destination} ${j.state} attempts ${j.attempts}${st} study ${j.study_uid} sop ${j.sop_uid}${j.last_error ? ` — ${j.last_error}` : ''}\n`);
    }
  }
  return 0;
}
