/**
 * `dicom-edge print-queue [list [PRINTER]]` shows the print spool; `print-queue show ID`
 * a job's history and previews; `print-queue hold|release|cancel|reprint (PRINTER |
 * --job ID… | --all)` acts on jobs. Works on the index database directly (WAL lets it
 * run beside the agent, whose printer workers poll for changes).
 */
import { join } from 'node:path';
import { COMMON_FLAGS, bool, parseArgs, str, type ParsedArgs, jobIds } from '../args';
import { loadCliConfig } from '../context';
import { IndexDb } from '../../store/index-db';
import { SpoolDb, type PrintJobRow, type PrintSelector } from '../../print/spool-db';
import { previewPaths } from '../../print/spool-files';
import { EdgeError } from '../../util/errors';

export const usage = 'print-queue [list [PRINTER] [--all]] | print-queue show ID | print-queue (hold|release|cancel|reprint) (PRINTER | --job ID... | --all) [--config FILE]';

const FLAGS = [
  ...COMMON_FLAGS,
  { names: ['--job'], value: true, multi: true, key: 'job' },
  { names: ['--printer'], value: true, key: 'printer' },
  { names: ['--all'], key: 'all' },
];

const VERBS: Record<string, string> = { hold: 'held', release: 'released', cancel: 'cancelled', reprint: 'queued for reprint' };

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  const [action = 'list', ...rest] = a.positionals;
  const config = loadCliConfig(str(a, 'config'));
  const index = IndexDb.open(join(config.storage.path, 'index.sqlite'));
  try {
    const db = new SpoolDb(index.db);
    if (action === 'list') return listJobs(db, str(a, 'printer') ?? rest[0], bool(a, 'all'));
    if (action === 'show') return show(db, config.storage.path, rest[0]);
    if (!VERBS[action]) {
      process.stderr.write(`usage: dicom-edge ${usage}\n`);
      return 2;
    }
    const sel = selector(a, rest);
    const now = Date.now();
    const n = action === 'hold' ? db.hold(sel, now) : action === 'release' ? db.release(sel, now) : action === 'cancel' ? db.cancel(sel, now) : db.reprint(sel, now);
    process.stdout.write(`${n} job(s) ${VERBS[action]}\n`);
    return 0;
  } finally {
    index.close();
  }
}

function selector(a: ParsedArgs, rest: string[]): PrintSelector {
  const sel: PrintSelector = {};
  const printer = str(a, 'printer') ?? rest[0];
  if (printer !== undefined) sel.printer = printer;
  const ids = jobIds(a, 'CLI_PRINT_QUEUE');
  if (ids.length) sel.ids = ids;
  if (!Object.keys(sel).length && !bool(a, 'all')) throw new EdgeError('CLI_PRINT_QUEUE', 'name a printer, --job ID, or --all');
  return sel;
}

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function line(r: PrintJobRow): string {
  const state = r.state === 'held' ? `held(${r.hold_reason ?? '?'})` : r.state;
  const err = r.last_error ? `  ${r.last_error}` : '';
  return `${String(r.id).padStart(5)}  ${r.printer.padEnd(12)} ${state.padEnd(16)} ${String(r.films).padStart(3)} film ${String(r.images).padStart(3)} img x${r.copies}  ${(r.calling_ae ?? '-').padEnd(16)} ${when(r.created_at)}  tries ${r.attempts}${err}`;
}

function listJobs(db: SpoolDb, printer: string | undefined, all: boolean): number {
  const rows = db.list(printer ? { printer } : {}, 500).filter((r) => all || !['done', 'failed'].includes(r.state) || Date.now() - r.updated_at < 86_400_000);
  if (!rows.length) {
    process.stdout.write('print queue is empty\n');
    return 0;
  }
  process.stdout.write(`   id  printer      state            films/images  from             created              \n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  return 0;
}

function show(db: SpoolDb, storagePath: string, idText: string | undefined): number {
  if (!idText || !/^\d+$/.test(idText)) throw new EdgeError('CLI_PRINT_QUEUE', 'show takes a job id');
  const r = db.get(Number(idText));
  if (!r) throw new EdgeError('CLI_PRINT_QUEUE', `no print job ${idText}`);
  process.stdout.write(`${line(r)}\nuid ${r.uid}\nlabel ${r.label ?? '-'}\nfolder ${join(storagePath, r.dir)}\n`);
  for (const p of previewPaths(storagePath, r.dir, r.films)) process.stdout.write(`preview ${p}\n`);
  for (const h of db.historyOf(r.id)) process.stdout.write(`  ${when(h.at)}  ${h.state.padEnd(9)} ${h.message ?? ''}\n`);
  return 0;
}
