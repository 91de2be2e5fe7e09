/**
 * QIDO-RS (PS3.18 10.6): /studies, /studies/{s}/series, /series, /studies/{s}/series/{se}/instances,
 * /studies/{s}/instances, /instances. Matching is the Q/R engine's (src/store/query.ts, the
 * C-FIND rules of PS3.4 C.2.2.2: wildcards, ranges, UID lists), Study Root, relational.
 * Query keys: keyword or tag (`PatientName=DOE*`, `00100020=X`); includefield (keywords or
 * tags, comma lists, `all`); limit and offset. fuzzymatching is accepted and ignored.
 */
import { QueryEngine, QueryError } from '../store/query';
import type { QueryLevel } from '../store/query-keys';
import { parseTag, tagForKeyword, vrForTag, type Identifier } from '../dicom/identifier';
import type { Route, WebContext } from './server';
import { HttpError, sendJson } from './http-util';
import { tagKey, toDicomJson, type DicomJson } from './dicom-json';

/** PS3.18 Table 10.6.3-3/-4/-5: attributes every response carries, per level. */
const DEFAULT_KEYS: Record<'STUDY' | 'SERIES' | 'IMAGE', string[]> = {
  STUDY: ['StudyDate', 'StudyTime', 'AccessionNumber', 'ModalitiesInStudy', 'ReferringPhysicianName', 'PatientName', 'PatientID',
    'PatientBirthDate', 'PatientSex', 'StudyInstanceUID', 'StudyID', 'StudyDescription', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances'],
  SERIES: ['Modality', 'SeriesDescription', 'SeriesNumber', 'SeriesInstanceUID', 'NumberOfSeriesRelatedInstances', 'StudyInstanceUID'],
  IMAGE: ['SOPClassUID', 'SOPInstanceUID', 'InstanceNumber', 'Rows', 'Columns', 'NumberOfFrames', 'StudyInstanceUID', 'SeriesInstanceUID'],
};
/** includefield=all adds these (what the index can answer without opening files). */
const ALL_EXTRA: Record<'STUDY' | 'SERIES' | 'IMAGE', string[]> = {
  STUDY: [],
  SERIES: ['StudyDate', 'PatientName', 'PatientID', 'AccessionNumber'],
  IMAGE: ['Modality', 'SeriesNumber', 'StudyDate', 'PatientName', 'PatientID'],
};
const CONTROL = new Set(['limit', 'offset', 'includefield', 'fuzzymatching']);
const MAX_LIMIT = 10000;

function tagOf(key: string): number {
  const byKeyword = tagForKeyword(key);
  if (byKeyword !== undefined) return byKeyword;
  if (/^[0-9A-Fa-f]{8}$/.test(key)) return parseInt(key, 16) >>> 0;
  try { return parseTag(key); } catch { throw new HttpError(400, `unknown attribute "${key}"`); }
}

export function buildIdentifier(level: QueryLevel & ('STUDY' | 'SERIES' | 'IMAGE'), q: URLSearchParams, fixed: Record<number, string>): Identifier {
  const keys = new Map<number, string>();
  for (const k of [...DEFAULT_KEYS[level]]) keys.set(tagForKeyword(k)!, '');
  for (const v of q.getAll('includefield').flatMap((s) => s.split(','))) {
    if (v.trim() === '') continue;
    if (v.trim().toLowerCase() === 'all') { for (const k of ALL_EXTRA[level]) keys.set(tagForKeyword(k)!, ''); continue; }
    keys.set(tagOf(v.trim()), keys.get(tagOf(v.trim())) ?? '');
  }
  for (const [k, v] of q) {
    if (CONTROL.has(k.toLowerCase())) continue;
    if (k.includes('.')) throw new HttpError(400, `sequence matching (${k}) is not supported`);
    keys.set(tagOf(k), v);
  }
  for (const [t, v] of Object.entries(fixed)) keys.set(Number(t), v);
  const id: Identifier = [{ tag: 0x00080052, vr: 'CS', value: level }];
  for (const [tag, value] of [...keys].sort((a, b) => a[0] - b[0])) id.push({ tag, vr: vrForTag(tag), value });
  return id.sort((a, b) => a.tag - b.tag);
}

function intParam(q: URLSearchParams, name: string, dflt: number): number {
  const v = q.get(name);
  if (v === null) return dflt;
  if (!/^\d+$/.test(v)) throw new HttpError(400, `${name}=${v} is not a non-negative integer`);
  return Number(v);
}

function base(c: WebContext): string {
  const host = c.req.headers.host ?? 'localhost';
  return `${c.secure ? 'https' : 'http'}://${host}/dicom-web`;
}

/** Retrieve URL (0008,1190) of a result (PS3.18 10.6.3.3). */
function retrieveUrl(c: WebContext, level: string, j: DicomJson): string {
  const v = (t: number) => String(j[tagKey(t)]?.Value?.[0] ?? '');
  const st = `${base(c)}/studies/${v(0x0020000d)}`;
  if (level === 'STUDY') return st;
  if (level === 'SERIES') return `${st}/series/${v(0x0020000e)}`;
  return `${st}/series/${v(0x0020000e)}/instances/${v(0x00080018)}`;
}

async function qido(c: WebContext, level: 'STUDY' | 'SERIES' | 'IMAGE', fixed: Record<number, string>): Promise<void> {
  const q = c.url.searchParams;
  const limit = Math.min(intParam(q, 'limit', MAX_LIMIT), MAX_LIMIT);
  const offset = intParam(q, 'offset', 0);
  const id = buildIdentifier(level, q, fixed);
  const engine = new QueryEngine(c.deps.index, { root: c.deps.storeRoot });
  const out: DicomJson[] = [];
  let seen = 0;
  try {
    for await (const r of engine.find('study', id, undefined, { relational: true, combinedDateTime: true })) {
      if (seen++ < offset) continue;
      if (out.length >= limit) break;
      const j = toDicomJson(r.filter((e) => e.tag !== 0x00080052));
      j['00081190'] = { vr: 'UR', Value: [retrieveUrl(c, level, j)] };
      out.push(j);
    }
  } catch (e) {
    if (e instanceof QueryError) throw new HttpError(400, e.message);
    throw e;
  }
  // PS3.18 10.6.3.2: no match is 204 No Content; otherwise a JSON array.
  if (out.length === 0) { c.res.writeHead(204); c.res.end(); return; }
  sendJson(c.res, 200, out, 'application/dicom+json');
}

const UID = '([0-9.]{1,64})';
const R = (path: string, level: 'STUDY' | 'SERIES' | 'IMAGE', fixed: (p: string[]) => Record<number, string>): Route => ({
  method: 'GET', path: new RegExp(`^/dicom-web${path}$`), need: 'viewer', kind: 'api', handler: (c) => qido(c, level, fixed(c.params)),
});

export const qidoRoutes: Route[] = [
  R('/studies', 'STUDY', () => ({})),
  R(`/studies/${UID}/series`, 'SERIES', ([s]) => ({ 0x0020000d: s })),
  R('/series', 'SERIES', () => ({})),
  R(`/studies/${UID}/series/${UID}/instances`, 'IMAGE', ([s, se]) => ({ 0x0020000d: s, 0x0020000e: se })),
  R(`/studies/${UID}/instances`, 'IMAGE', ([s]) => ({ 0x0020000d: s })),
  R('/instances', 'IMAGE', () => ({})),
];
