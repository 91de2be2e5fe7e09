/**
 * WADO-RS (PS3.18 10.4): studies, series and instances as multipart/related;
 * type="application/dicom" (the stored Part 10 files as received, each part's
 * transfer-syntax parameter telling which), metadata as DICOM JSON (bulk data by URI),
 * bulk data, rendered JPEG (the default) or PNG (media-type.ts); and WADO-URI (PS3.18 9):
 * `/wado?requestType=WADO&...`.
 */
import { readFile } from 'node:fs/promises';
import { absoluteInstancePath } from '../store/paths';
import { readDataSetFile } from '../dicom/render/load';
import { findElement } from '../dicom/identifier';
import type { Route, WebContext } from './server';
import { HttpError, sendJson } from './http-util';
import { instanceFiles } from './local-db';
import { MultipartWriter } from './multipart';
import { toDicomJson } from './dicom-json';
import { renderOptions, sendRendered, storedInstance } from './files';
import { pickRendered, pickWadoUriType, qualityParam } from './media-type';

type Level = 'study' | 'series' | 'instance';
interface FileRef { sop_uid: string; path: string; transfer_syntax: string; data_set_offset: number }

function filesOf(c: WebContext, level: Level, p: string[]): FileRef[] {
  const files = level === 'instance' ? [storedInstance(c.deps.index, p[2])] : instanceFiles(c.deps.index, level, level === 'study' ? p[0] : p[1]);
  const ok = files.filter((f) => level === 'instance' ? (f as { study_uid?: string }).study_uid === p[0] && (f as { series_uid?: string }).series_uid === p[1] : true);
  if (!ok.length) throw new HttpError(404, `nothing stored at ${c.url.pathname}`);
  return ok;
}

function acceptsDicom(c: WebContext): void {
  const a = c.req.headers.accept ?? '*/*';
  if (!/multipart\/related|\*\/\*|application\/dicom/i.test(a)) throw new HttpError(406, `cannot answer Accept: ${a} (multipart/related; type="application/dicom")`);
}

async function retrieve(c: WebContext, level: Level): Promise<void> {
  acceptsDicom(c);
  const files = filesOf(c, level, c.params);
  const mp = new MultipartWriter(c.res);
  c.res.writeHead(200, { 'content-type': mp.contentType('application/dicom') });
  for (const f of files) {
    const body = await readFile(absoluteInstancePath(c.deps.storeRoot, f.path));
    await mp.part(`application/dicom; transfer-syntax=${f.transfer_syntax}`, body);
  }
  await mp.end();
}

function bulkBase(c: WebContext, f: { study_uid?: unknown; series_uid?: unknown; sop_uid: string }): string {
  return `${c.secure ? 'https' : 'http'}://${c.req.headers.host ?? 'localhost'}/dicom-web/studies/${f.study_uid}/series/${f.series_uid}/instances/${f.sop_uid}/bulk`;
}

async function metadata(c: WebContext, level: Level): Promise<void> {
  const files = filesOf(c, level, c.params);
  const out = [];
  for (const f of files) {
    const inst = storedInstance(c.deps.index, f.sop_uid);
    const { dataSet } = await readDataSetFile(absoluteInstancePath(c.deps.storeRoot, f.path), f.data_set_offset, f.transfer_syntax);
    out.push(toDicomJson(dataSet, { inlineMax: 256, bulkDataUri: (tag) => `${bulkBase(c, inst)}/${tag.toString(16).toUpperCase().padStart(8, '0')}` }));
  }
  sendJson(c.res, 200, out, 'application/dicom+json');
}

async function bulk(c: WebContext): Promise<void> {
  const [f] = filesOf(c, 'instance', c.params);
  const { dataSet } = await readDataSetFile(absoluteInstancePath(c.deps.storeRoot, f.path), f.data_set_offset, f.transfer_syntax);
  const v = findElement(dataSet, parseInt(c.params[3], 16) >>> 0)?.value;
  if (!Buffer.isBuffer(v)) throw new HttpError(404, `no bulk data ${c.params[3]}`);
  const mp = new MultipartWriter(c.res);
  c.res.writeHead(200, { 'content-type': mp.contentType('application/octet-stream') });
  await mp.part('application/octet-stream', v);
  await mp.end();
}

async function rendered(c: WebContext, frameParam?: string): Promise<void> {
  const [f] = filesOf(c, 'instance', c.params);
  const q = new URLSearchParams(c.url.searchParams);
  // PS3.18 8.3.5.1.3: window=center,width,function; frames are 1-based in the path.
  const win = q.get('window')?.split(',');
  if (win && win.length >= 2) { q.set('wc', win[0]); q.set('ww', win[1]); }
  if (frameParam) q.set('frame', String(Math.max(0, Number(frameParam.split(',')[0]) - 1)));
  const type = pickRendered(c.req.headers.accept);
  if (!type) throw new HttpError(406, `cannot answer Accept: ${c.req.headers.accept} (image/jpeg, image/png)`);
  await sendRendered(c, f.sop_uid, renderOptions(q), type, qualityParam(q.get('quality')));
}

/** WADO-URI (PS3.18 9.1): image/jpeg (the default) or image/png rendered; application/dicom the file. */
async function wadoUri(c: WebContext): Promise<void> {
  const q = c.url.searchParams;
  if ((q.get('requestType') ?? '').toUpperCase() !== 'WADO') throw new HttpError(400, 'requestType must be WADO');
  const [st, se, sop] = [q.get('studyUID'), q.get('seriesUID'), q.get('objectUID')];
  if (!st || !se || !sop) throw new HttpError(400, 'studyUID, seriesUID and objectUID are required');
  const inst = storedInstance(c.deps.index, sop);
  if (inst.study_uid !== st || inst.series_uid !== se) throw new HttpError(404, 'no such object in that study/series');
  const type = pickWadoUriType(q.get('contentType'));
  if (!type) throw new HttpError(406, `contentType ${q.get('contentType')} is not served (image/jpeg, image/png, application/dicom)`);
  if (type === 'application/dicom') {
    const body = await readFile(absoluteInstancePath(c.deps.storeRoot, inst.path));
    c.res.writeHead(200, { 'content-type': 'application/dicom', 'content-length': body.length });
    return void c.res.end(body);
  }
  const r = new URLSearchParams();
  if (q.get('frameNumber')) r.set('frame', String(Math.max(0, Number(q.get('frameNumber')) - 1)));
  if (q.get('windowCenter')) r.set('wc', q.get('windowCenter')!);
  if (q.get('windowWidth')) r.set('ww', q.get('windowWidth')!);
  const size = Math.max(Number(q.get('rows') ?? 0), Number(q.get('columns') ?? 0));
  if (size > 0) r.set('size', String(size));
  await sendRendered(c, sop, renderOptions(r), type, qualityParam(q.get('imageQuality')));
}

const U = '([0-9.]{1,64})';
const ST = `/dicom-web/studies/${U}`;
const SE = `${ST}/series/${U}`;
const IN = `${SE}/instances/${U}`;
const get = (path: string, handler: Route['handler']): Route => ({ method: 'GET', path: new RegExp(`^${path}$`), need: 'viewer', kind: 'api', handler });

export const wadoRoutes: Route[] = [
  get(ST, (c) => retrieve(c, 'study')),
  get(SE, (c) => retrieve(c, 'series')),
  get(IN, (c) => retrieve(c, 'instance')),
  get(`${ST}/metadata`, (c) => metadata(c, 'study')),
  get(`${SE}/metadata`, (c) => metadata(c, 'series')),
  get(`${IN}/metadata`, (c) => metadata(c, 'instance')),
  get(`${IN}/bulk/([0-9A-Fa-f]{8})`, bulk),
  get(`${IN}/rendered`, (c) => rendered(c)),
  get(`${IN}/frames/([0-9,]+)/rendered`, (c) => rendered(c, c.params[3])),
  get(`${IN}/thumbnail`, (c) => { c.url.searchParams.set('size', c.url.searchParams.get('viewport')?.split(',')[0] ?? '128'); return rendered(c); }),
  get('/wado', wadoUri),
  get('/dicom-web/wado', wadoUri),
];
