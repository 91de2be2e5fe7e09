/** Originals, study zips and rendered frames (PNG) from the local store. */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { absoluteInstancePath } from '../store/paths';
import { loadPixelModule, renderAs, type RenderedType } from '../dicom/render/load';
import type { PixelModule } from '../dicom/render/pixel-module';
import { EdgeError, errorMessage } from '../util/errors';
import type { Route, WebContext } from './server';
import { HttpError, sendJson } from './http-util';
import { instanceFiles } from './local-db';
import { ZipWriter } from './zip';
import type { IndexDb, StoredInstance } from '../store/index-db';

export function storedInstance(index: IndexDb, sopUid: string): StoredInstance {
  const inst = index.getInstance(sopUid);
  if (!inst) throw new HttpError(404, `no instance ${sopUid}`);
  return inst;
}

async function original(c: WebContext): Promise<void> {
  const inst = storedInstance(c.deps.index, c.params[0]);
  c.res.writeHead(200, {
    'content-type': 'application/dicom', 'content-length': inst.size,
    'content-disposition': `attachment; filename="${inst.sop_uid}.dcm"`,
  });
  await pipeline(createReadStream(absoluteInstancePath(c.deps.storeRoot, inst.path)), c.res);
}

async function studyZip(c: WebContext): Promise<void> {
  const files = instanceFiles(c.deps.index, 'study', c.params[0]);
  if (!files.length) throw new HttpError(404, `no study ${c.params[0]}`);
  c.res.writeHead(200, { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${c.params[0]}.zip"` });
  const zip = new ZipWriter(c.res);
  try {
    for (const f of files) await zip.add(`${f.series_uid}/${f.sop_uid}.dcm`, absoluteInstancePath(c.deps.storeRoot, f.path), undefined, f.size);
    await zip.finish();
    c.res.end();
  } catch (e) {
    c.deps.log.warn(`zip of study ${c.params[0]} stopped: ${errorMessage(e)}`);
    c.res.destroy();
  }
}

/** A small cache of decoded pixel modules: dragging the window re-renders the same frame. */
const cache = new Map<string, PixelModule>();
export async function pixelsOf(c: WebContext, sopUid: string): Promise<PixelModule> {
  const hit = cache.get(sopUid);
  if (hit) return hit;
  const inst = storedInstance(c.deps.index, sopUid);
  let pm: PixelModule;
  try {
    pm = await loadPixelModule(absoluteInstancePath(c.deps.storeRoot, inst.path), inst.data_set_offset, inst.transfer_syntax);
  } catch (e) {
    if (e instanceof EdgeError && /^RENDER_|^DICOM_/.test(e.code)) throw new HttpError(415, e.message);
    throw e;
  }
  cache.set(sopUid, pm);
  while (cache.size > 8) cache.delete(cache.keys().next().value as string);
  return pm;
}

function numParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new HttpError(400, `${name}=${v} is not a number`);
  return n;
}

export function renderOptions(q: URLSearchParams): { frame: number; center?: number; width?: number; maxSize?: number } {
  const size = numParam(q, 'size');
  return {
    frame: numParam(q, 'frame') ?? 0,
    center: numParam(q, 'wc'), width: numParam(q, 'ww'),
    maxSize: size === undefined ? undefined : Math.max(16, Math.min(2048, size)),
  };
}

export async function sendRendered(c: WebContext, sopUid: string, o: ReturnType<typeof renderOptions>, type: RenderedType = 'image/png', quality?: number): Promise<void> {
  const pm = await pixelsOf(c, sopUid);
  let body: Buffer;
  try {
    body = await renderAs(pm, o, type, quality);
  } catch (e) {
    if (e instanceof EdgeError && e.code.startsWith('RENDER_')) throw new HttpError(e.code === 'RENDER_BAD_FRAME' ? 404 : 415, e.message);
    throw e;
  }
  c.res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'private, max-age=300' });
  c.res.end(body);
}

async function imageInfo(c: WebContext): Promise<void> {
  const pm = await pixelsOf(c, c.params[0]);
  sendJson(c.res, 200, {
    rows: pm.rows, columns: pm.columns, frames: pm.numberOfFrames, photometric: pm.photometric,
    window: pm.window ?? null, windows: pm.windows, grey: pm.samplesPerPixel === 1,
  });
}

const UID = '([0-9.]{1,64})';
export const fileRoutes: Route[] = [
  { method: 'GET', path: new RegExp(`^/instance/${UID}\\.dcm$`), need: 'viewer', kind: 'api', handler: original },
  { method: 'GET', path: new RegExp(`^/study/${UID}/zip$`), need: 'viewer', kind: 'api', handler: studyZip },
  { method: 'GET', path: new RegExp(`^/render/${UID}\\.png$`), need: 'viewer', kind: 'api', handler: (c) => sendRendered(c, c.params[0], renderOptions(c.url.searchParams)) },
  { method: 'GET', path: new RegExp(`^/api/image/${UID}$`), need: 'viewer', kind: 'api', handler: imageInfo },
];
