/**
 * Local worklist items: one DICOM file per item in `[Worklist] path` (Part 10, e.g. a `.wl`
 * file made with dump2dcm as for DCMTK wlmscpfs, or a bare data set in Implicit VR LE),
 * and the API behind the console's `worklist add|del|list`, which writes such files too
 * (so an offline console and the running agent see the same items).
 */
import { newUid } from '../dicom/uids';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyKey, decodeIdentifier, encodeIdentifier, findElement, get, parseKeyPath, set, type Identifier } from '../dicom/identifier';
import { readPart10Meta } from '../dicom/part10-reader';
import { MODALITY_WORKLIST_FIND, IMPLEMENTATION_CLASS_UID } from '../dicom/uids';
import { buildFileMeta } from '../store/part10';
import { EdgeError, errorMessage } from '../util/errors';
import { firstSps, MWL_TAG } from './keys';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const ITEM_FILE = /\.(wl|dcm)$/i;
const CONSOLE_PREFIX = 'console-';

export interface LocalItem {
  /** File name without folder: the id `worklist del` takes. */
  id: string;
  item: Identifier;
}

/** Decodes one item file: Part 10 when it has the DICM preamble, else a bare Implicit VR LE data set. */
export function decodeItemFile(bytes: Buffer): Identifier {
  if (bytes.length >= 132 && bytes.toString('latin1', 128, 132) === 'DICM') {
    const meta = readPart10Meta(bytes);
    return decodeIdentifier(bytes.subarray(meta.datasetOffset), meta.transferSyntaxUid);
  }
  return decodeIdentifier(bytes, IMPLICIT_LE);
}

/** Every readable item in `dir` (a missing folder has none); unreadable files go to `onError`. */
export async function readLocalItems(dir: string, onError?: (file: string, e: unknown) => void): Promise<LocalItem[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => ITEM_FILE.test(n)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: LocalItem[] = [];
  for (const id of names) {
    try {
      out.push({ id, item: decodeItemFile(await readFile(join(dir, id))) });
    } catch (e) {
      onError?.(id, e);
    }
  }
  return out;
}

/** Keywords that belong in the Scheduled Procedure Step item when written without a path. */
const SPS_KEYS = new Set<number>([
  MWL_TAG.Modality, MWL_TAG.ScheduledStationAETitle, MWL_TAG.ScheduledProcedureStepStartDate, MWL_TAG.ScheduledProcedureStepStartTime,
  MWL_TAG.ScheduledPerformingPhysicianName, MWL_TAG.ScheduledProcedureStepDescription, MWL_TAG.ScheduledProcedureStepID,
  MWL_TAG.ScheduledStationName, MWL_TAG.ScheduledProcedureStepLocation,
]);

const SHORT: Record<string, string> = {
  name: 'PatientName', id: 'PatientID', patient: 'PatientID', accession: 'AccessionNumber', modality: 'Modality',
  station: 'ScheduledStationAETitle', date: 'ScheduledProcedureStepStartDate', time: 'ScheduledProcedureStepStartTime',
  step: 'ScheduledProcedureStepID', procedure: 'RequestedProcedureID', description: 'RequestedProcedureDescription',
};

function nowParts(now: Date): { date: string; time: string } {
  const p = (n: number): string => String(n).padStart(2, '0');
  return { date: `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}`, time: `${p(now.getHours())}${p(now.getMinutes())}00` };
}

export { newUid };

/**
 * Builds an item from `key=value` words: PS3.6 keywords or paths (`-k` syntax), step
 * keywords (Modality, ScheduledStationAETitle, ...) going into the Scheduled Procedure
 * Step item, and the short names name, id, accession, modality, station, date, time, step,
 * procedure, description. PatientName, PatientID, Modality and station are required; date
 * and time default to now; step, procedure and Study Instance UID are generated.
 */
export function buildItem(words: string[], now = new Date()): Identifier {
  const item: Identifier = [];
  const sps: Identifier = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new EdgeError('WORKLIST_BAD_KEY', `"${w}": expected key=value`);
    const key = SHORT[w.slice(0, eq).trim().toLowerCase()] ?? w.slice(0, eq).trim();
    const spec = `${key}=${w.slice(eq + 1)}`;
    const path = parseKeyPath(key);
    if (path.length === 1 && SPS_KEYS.has(path[0].tag)) applyKey(sps, spec);
    else applyKey(item, spec);
  }
  const { date, time } = nowParts(now);
  const need = (id: Identifier, tag: number, what: string): void => {
    if (!(get(id, tag) ?? '').trim()) throw new EdgeError('WORKLIST_MISSING_KEY', `${what} is required`);
  };
  need(item, MWL_TAG.PatientName, 'PatientName (name=)');
  need(item, MWL_TAG.PatientID, 'PatientID (id=)');
  need(sps, MWL_TAG.Modality, 'Modality (modality=)');
  need(sps, MWL_TAG.ScheduledStationAETitle, 'ScheduledStationAETitle (station=)');
  const fill = (id: Identifier, tag: number, value: string): void => {
    if (!(get(id, tag) ?? '').trim()) set(id, tag, value);
  };
  fill(sps, MWL_TAG.ScheduledProcedureStepStartDate, date);
  fill(sps, MWL_TAG.ScheduledProcedureStepStartTime, time);
  fill(sps, MWL_TAG.ScheduledProcedureStepID, `SPS${Date.now().toString(36).toUpperCase()}`);
  if (!findElement(item, MWL_TAG.AccessionNumber)) set(item, MWL_TAG.AccessionNumber, '');
  fill(item, MWL_TAG.RequestedProcedureID, get(item, MWL_TAG.AccessionNumber) || `RP${Date.now().toString(36).toUpperCase()}`);
  fill(item, MWL_TAG.StudyInstanceUID, newUid());
  const existing = firstSps(item);
  if (existing) for (const e of sps) set(existing, e.tag, e.value, e.vr);
  else set(item, MWL_TAG.ScheduledProcedureStepSequence, [sps], 'SQ');
  if (item.some(hasNonAscii)) set(item, MWL_TAG.SpecificCharacterSet, 'ISO_IR 192', 'CS');
  return item;
}

function hasNonAscii(e: Identifier[number]): boolean {
  if (typeof e.value === 'string') return /[^\x00-\x7f]/.test(e.value);
  if (e.vr === 'SQ' && Array.isArray(e.value)) return (e.value as Identifier[]).some((i) => i.some(hasNonAscii));
  return false;
}

/** Writes an item as a Part 10 file in `dir` (temporary name, then rename); returns its id. */
export async function writeItem(dir: string, item: Identifier, id = `${CONSOLE_PREFIX}${Date.now()}-${randomUUID().slice(0, 8)}.wl`): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const meta = buildFileMeta({
    mediaStorageSopClassUid: MODALITY_WORKLIST_FIND, mediaStorageSopInstanceUid: get(item, MWL_TAG.StudyInstanceUID) || newUid(),
    transferSyntaxUid: EXPLICIT_LE, implementationClassUid: IMPLEMENTATION_CLASS_UID,
  });
  const tmp = join(dir, `.${id}.tmp`);
  await writeFile(tmp, Buffer.concat([meta, encodeIdentifier(item, EXPLICIT_LE)]), { mode: 0o640 });
  await rename(tmp, join(dir, id));
  return id;
}

/** `worklist add key=value…`: builds and writes the item; returns its id. */
export async function addWorklistItem(dir: string, words: string[], now = new Date()): Promise<{ id: string; item: Identifier }> {
  const item = buildItem(words, now);
  return { id: await writeItem(dir, item), item };
}

/** `worklist del ID`: removes one item file (any item of the folder, not only console ones). */
export async function deleteWorklistItem(dir: string, id: string): Promise<void> {
  if (!ITEM_FILE.test(id) || id.includes('/') || id.includes('\\') || id.startsWith('.')) {
    throw new EdgeError('WORKLIST_BAD_ID', `"${id}" is not a worklist item id (see worklist list)`);
  }
  try {
    await rm(join(dir, id));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new EdgeError('WORKLIST_NO_ITEM', `no worklist item "${id}"`);
    throw e;
  }
}

export interface ItemSummary {
  id: string;
  patientName: string;
  patientId: string;
  accessionNumber: string;
  modality: string;
  station: string;
  date: string;
  time: string;
  stepId: string;
}

export function summarize(id: string, item: Identifier): ItemSummary {
  const sps = firstSps(item) ?? [];
  const g = (i: Identifier, tag: number): string => get(i, tag) ?? '';
  return {
    id, patientName: g(item, MWL_TAG.PatientName), patientId: g(item, MWL_TAG.PatientID), accessionNumber: g(item, MWL_TAG.AccessionNumber),
    modality: g(sps, MWL_TAG.Modality), station: g(sps, MWL_TAG.ScheduledStationAETitle), date: g(sps, MWL_TAG.ScheduledProcedureStepStartDate),
    time: g(sps, MWL_TAG.ScheduledProcedureStepStartTime), stepId: g(sps, MWL_TAG.ScheduledProcedureStepID),
  };
}

/** `worklist list`: every local item, summarized. */
export async function listWorklistItems(dir: string): Promise<{ items: ItemSummary[]; errors: string[] }> {
  const errors: string[] = [];
  const items = await readLocalItems(dir, (f, e) => errors.push(`${f}: ${errorMessage(e)}`));
  return { items: items.map((i) => summarize(i.id, i.item)), errors };
}

/**
 * The console's `worklist add|del|list` in one call: `words` after "worklist", lines to print.
 * `dir` is worklistSettings(config).path.
 */
export async function worklistConsoleCommand(dir: string, words: string[]): Promise<string[]> {
  const [sub, ...rest] = words;
  if (sub === 'add') {
    const { id, item } = await addWorklistItem(dir, rest);
    const s = summarize(id, item);
    return [`worklist item ${id} added: ${s.patientName} (${s.patientId}) ${s.modality} at ${s.station} ${s.date} ${s.time}`];
  }
  if (sub === 'del' || sub === 'delete') {
    if (rest.length !== 1) throw new EdgeError('WORKLIST_USAGE', 'usage: worklist del ID (see worklist list)');
    await deleteWorklistItem(dir, rest[0]);
    return [`worklist item ${rest[0]} deleted`];
  }
  if (sub === 'list' || sub === undefined) {
    const { items, errors } = await listWorklistItems(dir);
    const lines = items.map((s) => `${s.id}  ${s.date} ${s.time}  ${s.station}  ${s.modality}  ${s.accessionNumber || '-'}  ${s.stepId}  ${s.patientId}  ${s.patientName}`);
    return [...(lines.length ? lines : ['no local worklist items']), ...errors.map((e) => `unreadable: ${e}`)];
  }
  throw new EdgeError('WORKLIST_USAGE', 'usage: worklist add name=… id=… modality=… station=… [date=YYYYMMDD time=HHMM accession=… KEY=VALUE…] | worklist del ID | worklist list');
}
