/**
 * STOW-RS (PS3.18 10.5): POST /dicom-web/studies[/{study}] with multipart/related;
 * type="application/dicom" parts, each a Part 10 file. Every instance goes through the
 * same InstanceStore as C-STORE (temp file, fsync, checks, rename, index row, and the
 * store's extraInTransaction: forwarding routes apply as for C-STORE). The response is
 * DICOM JSON with Referenced / Failed SOP Sequences (PS3.18 Table 10.5.3-1).
 */
import { readPart10Meta } from '../dicom/part10-reader';
import { decodeDataSet, get } from '../dicom/identifier';
import { StoreError } from '../store/instance-store';
import { errorMessage } from '../util/errors';
import type { Route, WebContext } from './server';
import { HttpError, readBody, sendJson } from './http-util';
import { multipartParams, parseMultipart } from './multipart';
import type { DicomJson } from './dicom-json';

/** Largest request body taken in memory. */
export const STOW_MAX_BYTES = 512 * 1024 * 1024;
/** PS3.18 Table 10.5.3-2 / PS3.4 B.2.3 failure reasons. */
const FAILURE = { cannotUnderstand: 0xc000, outOfResources: 0xa700, studyMismatch: 0xa900 };

interface Outcome { sopClassUid: string; sopInstanceUid: string; failure?: number; comment?: string }

async function storePart(c: WebContext, body: Buffer, pathStudy: string | undefined): Promise<Outcome> {
  let meta;
  try {
    meta = readPart10Meta(body);
  } catch (e) {
    return { sopClassUid: '', sopInstanceUid: '', failure: FAILURE.cannotUnderstand, comment: errorMessage(e) };
  }
  const o: Outcome = { sopClassUid: meta.sopClassUid, sopInstanceUid: meta.sopInstanceUid };
  const dataSet = body.subarray(meta.datasetOffset);
  if (pathStudy) {
    let study: string | undefined;
    try {
      study = get(decodeDataSet(dataSet, meta.transferSyntaxUid, { stopAtTag: 0x0020000e, allowTruncated: true }).identifier, 0x0020000d)?.trim();
    } catch { /* the store's own checks report it */ }
    if (study !== undefined && study !== pathStudy) return { ...o, failure: FAILURE.studyMismatch, comment: `Study Instance UID ${study} is not ${pathStudy}` };
  }
  const inst = c.deps.store.begin({
    sopClassUid: meta.sopClassUid, sopInstanceUid: meta.sopInstanceUid, transferSyntaxUid: meta.transferSyntaxUid,
    callingAe: meta.meta.SourceApplicationEntityTitle?.trim() || `WEB:${c.principal?.name ?? ''}`.slice(0, 16),
    calledAe: c.deps.config().localAe.aeTitle,
  });
  try {
    inst.end(dataSet);
    const r = await inst.commit();
    c.deps.activity.stored(r.row.size, 'stow');
    return o;
  } catch (e) {
    await inst.discard().catch(() => undefined);
    c.deps.activity.failed();
    const status = e instanceof StoreError ? e.status : FAILURE.outOfResources;
    return { ...o, failure: status, comment: errorMessage(e) };
  }
}

async function stow(c: WebContext): Promise<void> {
  const { boundary, type } = multipartParams(c.req.headers['content-type']);
  if (type && !/^application\/dicom$/i.test(type)) throw new HttpError(415, `only type="application/dicom" parts are accepted (got ${type})`);
  const parts = parseMultipart(await readBody(c.req, STOW_MAX_BYTES), boundary);
  const outcomes: Outcome[] = [];
  for (const p of parts) outcomes.push(await storePart(c, p.body, c.params[0] || undefined));
  const base = `${c.secure ? 'https' : 'http'}://${c.req.headers.host ?? 'localhost'}/dicom-web`;
  const ok = outcomes.filter((o) => o.failure === undefined);
  const bad = outcomes.filter((o) => o.failure !== undefined);
  const ref = (o: Outcome): DicomJson => ({ '00081150': { vr: 'UI', Value: [o.sopClassUid] }, '00081155': { vr: 'UI', Value: [o.sopInstanceUid] } });
  const res: DicomJson = {};
  if (c.params[0]) res['00081190'] = { vr: 'UR', Value: [`${base}/studies/${c.params[0]}`] };
  if (bad.length) res['00081198'] = { vr: 'SQ', Value: bad.map((o) => ({ ...ref(o), '00081197': { vr: 'US', Value: [o.failure] } })) };
  if (ok.length) res['00081199'] = { vr: 'SQ', Value: ok.map((o) => ref(o)) };
  for (const o of bad) c.deps.log.warn(`STOW ${o.sopInstanceUid || '(unreadable part)'}: failure 0x${o.failure!.toString(16)}: ${o.comment}`);
  // PS3.18 10.5.3.1: 200 all stored, 202 some failed, 409 none stored.
  sendJson(c.res, parts.length === 0 ? 400 : bad.length === 0 ? 200 : ok.length ? 202 : 409, res, 'application/dicom+json');
}

export const stowRoutes: Route[] = [
  { method: 'POST', path: /^\/dicom-web\/studies(?:\/([0-9.]{1,64}))?$/, need: 'admin', kind: 'api', handler: stow },
];
