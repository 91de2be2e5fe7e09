/**
 * A spooled job on disk: <storage>/print/<uid>/ holding job.json (session and film box
 * attributes), one bare data set per image box (Explicit VR Little Endian, pixels included)
 * and one PNG preview per film. Written into a temporary folder, every file fsynced, then
 * renamed into place and the parent fsynced: a job folder either exists whole or not at all.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeIdentifier, encodeIdentifier, type Identifier } from '../dicom/identifier';
import { EdgeError } from '../util/errors';
import type { SpoolFilm, SpoolJobContent } from './job';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';

interface JobFile {
  version: 1;
  session: string;
  films: Array<{ attrs: string; boxes: Array<{ position: number; color: boolean; file: string }> }>;
}

function writeSynced(path: string, data: Buffer | string): void {
  const fd = openSync(path, 'w', 0o640);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

const b64 = (id: Identifier): string => encodeIdentifier(id, EXPLICIT_LE).toString('base64');
const unb64 = (s: string): Identifier => decodeIdentifier(Buffer.from(s, 'base64'), EXPLICIT_LE);

/** The spool root under the storage path. */
export function spoolRoot(storagePath: string): string {
  return join(storagePath, 'print');
}

/**
 * Writes the job durably; `previews` are PNGs per film (may be empty). Returns the folder
 * relative to the storage root ("print/<uid>").
 */
export function writeJob(storagePath: string, uid: string, content: SpoolJobContent, previews: Buffer[]): string {
  const root = spoolRoot(storagePath);
  mkdirSync(root, { recursive: true, mode: 0o750 });
  const tmp = join(root, `.tmp-${uid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { mode: 0o750 });
  const jf: JobFile = { version: 1, session: b64(content.session), films: [] };
  content.films.forEach((film, i) => {
    const boxes = film.boxes.map((b) => {
      const file = `film${i + 1}-box${b.position}.dcm`;
      writeSynced(join(tmp, file), encodeIdentifier(b.dataset, EXPLICIT_LE));
      return { position: b.position, color: b.color, file };
    });
    jf.films.push({ attrs: b64(film.attrs), boxes });
  });
  previews.forEach((png, i) => writeSynced(join(tmp, `film${i + 1}.png`), png));
  writeSynced(join(tmp, 'job.json'), JSON.stringify(jf));
  fsyncDir(tmp);
  const final = join(root, uid);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  fsyncDir(root);
  return `print/${uid}`;
}

/**
 * At start, before any job is spooled: removes what a crash left of jobs never answered —
 * `.tmp-<uid>` folders (killed while writing) and job folders no row names (killed between
 * the rename and the row's commit; the row is committed before the N-ACTION response).
 * `known` holds the rows' folders ("print/<uid>"). Returns the folders removed.
 */
export function removeUnfinishedJobs(storagePath: string, known: ReadonlySet<string>): string[] {
  const root = spoolRoot(storagePath);
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    if (!name.startsWith('.tmp-') && known.has(`print/${name}`)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  if (removed.length) fsyncDir(root);
  return removed;
}

export function readJob(storagePath: string, dir: string): SpoolJobContent {
  const abs = join(storagePath, dir);
  let jf: JobFile;
  try {
    jf = JSON.parse(readFileSync(join(abs, 'job.json'), 'utf8')) as JobFile;
  } catch (e) {
    throw new EdgeError('PRINT_JOB_UNREADABLE', `print job ${abs}: ${(e as Error).message}`);
  }
  const films: SpoolFilm[] = jf.films.map((f) => ({
    attrs: unb64(f.attrs),
    boxes: f.boxes.map((b) => ({ position: b.position, color: b.color, dataset: decodeIdentifier(readFileSync(join(abs, b.file)), EXPLICIT_LE) })),
  }));
  return { session: unb64(jf.session), films };
}

/** Preview PNG paths of a job (absolute), film by film. */
export function previewPaths(storagePath: string, dir: string, films: number): string[] {
  const out: string[] = [];
  for (let i = 1; i <= films; i++) {
    const p = join(storagePath, dir, `film${i}.png`);
    if (existsSync(p)) out.push(p);
  }
  return out;
}
