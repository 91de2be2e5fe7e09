/**
 * Remote AEs: C-FIND any configured [RemoteAE] (Study Root, study or series level) and
 * retrieve a study or series into dicom-edge with C-MOVE (destination: our own AE title,
 * which the remote must know) or C-GET, with live progress (the page polls a job).
 */
import { randomBytes } from 'node:crypto';
import { find, get, move, type RetrieveResult } from '../services/qr-scu';
import { storageScpService } from '../services/store-scp';
import { findRemote, type Peer } from '../services/scu';
import { get as getValue, tagForKeyword, vrForTag, type Identifier } from '../dicom/identifier';
import { errorMessage } from '../util/errors';
import type { Route, WebContext } from './server';
import { fmtDate, fmtName, html, HttpError, page, raw, readForm, sendHtml, sendJson } from './http-util';
import { hostPort } from '../util/address';

interface Job { id: string; what: string; state: 'running' | 'done' | 'failed'; progress: { remaining?: number; completed: number; failed: number; warning: number }; result?: string; started: number }
const jobs = new Map<string, Job>();

function peerOf(c: WebContext, name: string): Peer {
  const r = findRemote(c.deps.config(), name);
  if (!r) throw new HttpError(404, `no [RemoteAE] named ${name}`);
  return { aeTitle: r.aeTitle, host: r.ip, port: r.port, remote: r };
}

function identifier(level: 'STUDY' | 'SERIES', keys: Record<string, string>): Identifier {
  const names = level === 'STUDY'
    ? ['PatientName', 'PatientID', 'StudyDate', 'AccessionNumber', 'StudyDescription', 'ModalitiesInStudy', 'StudyInstanceUID', 'NumberOfStudyRelatedInstances']
    : ['StudyInstanceUID', 'SeriesInstanceUID', 'Modality', 'SeriesNumber', 'SeriesDescription', 'NumberOfSeriesRelatedInstances'];
  const id: Identifier = [{ tag: 0x00080052, vr: 'CS', value: level }];
  for (const n of names) { const tag = tagForKeyword(n)!; id.push({ tag, vr: vrForTag(tag), value: keys[n] ?? '' }); }
  return id.sort((a, b) => a.tag - b.tag);
}

function remotePage(c: WebContext, results?: { remote: string; level: string; rows: Identifier[]; status: string }): void {
  const remotes = c.deps.config().remotes;
  const q = c.url.searchParams;
  // The remote just queried (or named by a series link) stays selected.
  const chosen = results?.remote ?? q.get('remote') ?? '';
  const body = html`<h2>Remote AEs</h2>
<form method="post" action="/remote/find" class="search"><label>Remote <select name="remote" id="remote">${remotes.map((r) => { const name = r.userName?.trim() || r.aeTitle; return html`<option value="${name}" ${name === chosen ? 'selected' : ''}>${name} (${r.aeTitle} ${hostPort(r.ip, r.port)})</option>`; })}</select></label>
<label>Patient name <input name="PatientName"></label> <label>Patient ID <input name="PatientID"></label> <label>Date <input name="StudyDate" placeholder="YYYYMMDD-YYYYMMDD"></label>
<label>Accession <input name="AccessionNumber"></label> <input type="hidden" name="StudyInstanceUID" value="${q.get('study') ?? ''}">
<label>Level <select name="level"><option>STUDY</option><option ${q.get('study') ? 'selected' : ''}>SERIES</option></select></label> <button id="find">Query</button></form>
${results ? html`<p>${results.rows.length} match(es) from ${results.remote}: ${results.status}</p><table id="remote-results"><tr>${results.level === 'STUDY'
    ? raw('<th>Patient</th><th>ID</th><th>Date</th><th>Description</th><th>Modalities</th><th>Images</th>') : raw('<th>#</th><th>Modality</th><th>Description</th><th>Images</th>')}<th>Retrieve</th></tr>
${results.rows.map((r) => { const g = (k: string) => getValue(r, tagForKeyword(k)!) ?? ''; return html`<tr>${results.level === 'STUDY'
    ? html`<td>${fmtName(g('PatientName'))}</td><td>${g('PatientID')}</td><td>${fmtDate(g('StudyDate'))}</td><td>${g('StudyDescription')}</td><td>${g('ModalitiesInStudy')}</td><td>${g('NumberOfStudyRelatedInstances')}</td>`
    : html`<td>${g('SeriesNumber')}</td><td>${g('Modality')}</td><td>${g('SeriesDescription')}</td><td>${g('NumberOfSeriesRelatedInstances')}</td>`}
<td><form method="post" action="/remote/retrieve" style="display:inline"><input type="hidden" name="remote" value="${results.remote}"><input type="hidden" name="level" value="${results.level}">
<input type="hidden" name="study" value="${g('StudyInstanceUID')}"><input type="hidden" name="series" value="${g('SeriesInstanceUID')}">
<button name="op" value="move" class="move">C-MOVE</button><button name="op" value="get" class="get">C-GET</button></form>
${results.level === 'STUDY' ? html` <a href="/remote?remote=${encodeURIComponent(results.remote)}&amp;study=${encodeURIComponent(g('StudyInstanceUID'))}">series…</a>` : ''}</td></tr>`; })}</table>` : ''}
<h3>Retrievals</h3><table id="jobs"><tr><th>What</th><th>State</th><th>Done</th><th>Failed</th><th>Remaining</th><th>Result</th></tr>
${[...jobs.values()].reverse().slice(0, 20).map((j) => html`<tr><td><a href="/remote/job/${j.id}">${j.what}</a></td><td>${j.state}</td><td>${j.progress.completed}</td><td>${j.progress.failed}</td><td>${j.progress.remaining ?? ''}</td><td>${j.result ?? ''}</td></tr>`)}</table>`;
  sendHtml(c.res, 200, page('Remote AEs', body, c.principal));
}

async function doFind(c: WebContext): Promise<void> {
  const f = await readForm(c.req);
  const remote = f.get('remote') ?? '';
  const level = f.get('level') === 'SERIES' ? 'SERIES' : 'STUDY';
  const keys: Record<string, string> = {};
  for (const k of ['PatientName', 'PatientID', 'StudyDate', 'AccessionNumber', 'StudyInstanceUID']) keys[k] = (f.get(k) ?? '').trim();
  if (level === 'SERIES' && !keys.StudyInstanceUID) throw new HttpError(400, 'a series query needs a study');
  if (keys.PatientName && !/[*?]/.test(keys.PatientName)) keys.PatientName += '*';
  const r = await find({ config: c.deps.config(), peer: peerOf(c, remote), log: c.deps.log.child('web-qr'), model: 'study', identifier: identifier(level, keys) });
  remotePage(c, { remote, level, rows: r.matches, status: r.status === 0 ? 'success' : `status 0x${r.status.toString(16)} ${r.errorComment ?? ''}` });
}

async function doRetrieve(c: WebContext): Promise<void> {
  const f = await readForm(c.req);
  const remote = f.get('remote') ?? '';
  const level = f.get('level') === 'SERIES' ? 'SERIES' : 'STUDY';
  const op = f.get('op') === 'get' ? 'get' : 'move';
  const keys: Record<string, string> = { StudyInstanceUID: f.get('study') ?? '' };
  if (level === 'SERIES') keys.SeriesInstanceUID = f.get('series') ?? '';
  const id: Identifier = [{ tag: 0x00080052, vr: 'CS', value: level }, { tag: 0x0020000d, vr: 'UI', value: keys.StudyInstanceUID }];
  if (level === 'SERIES') id.push({ tag: 0x0020000e, vr: 'UI', value: keys.SeriesInstanceUID });
  const peer = peerOf(c, remote);
  const job: Job = { id: randomBytes(6).toString('hex'), what: `${op} ${level.toLowerCase()} ${keys.SeriesInstanceUID || keys.StudyInstanceUID} from ${remote}`, state: 'running', progress: { completed: 0, failed: 0, warning: 0 }, started: Date.now() };
  jobs.set(job.id, job);
  while (jobs.size > 100) jobs.delete(jobs.keys().next().value as string);
  const common = { config: c.deps.config(), peer, log: c.deps.log.child('web-qr'), model: 'study' as const, identifier: id, onProgress: (p: Job['progress']) => { job.progress = p; } };
  const run: Promise<RetrieveResult> = op === 'move'
    ? move({ ...common, destination: c.deps.config().localAe.aeTitle })
    : get({ ...common, storage: storageScpService(c.deps.store) });
  run.then((r) => {
    job.progress = { remaining: r.remaining, completed: r.completed, failed: r.failed, warning: r.warning };
    job.state = r.status === 0 ? 'done' : 'failed';
    job.result = `status 0x${r.status.toString(16).padStart(4, '0')}${r.errorComment ? ` ${r.errorComment}` : ''}`;
  }, (e) => { job.state = 'failed'; job.result = errorMessage(e); });
  c.res.writeHead(303, { location: `/remote/job/${job.id}` });
  c.res.end();
}

function jobOf(c: WebContext): Job {
  const j = jobs.get(c.params[0]);
  if (!j) throw new HttpError(404, 'no such retrieval');
  return j;
}

function jobPage(c: WebContext): void {
  const j = jobOf(c);
  const script = `const id=${JSON.stringify(j.id)};async function poll(){const r=await fetch('/api/remote/job/'+id);if(!r.ok)return;const j=await r.json();
document.getElementById('state').textContent=j.state;document.getElementById('completed').textContent=j.progress.completed;
document.getElementById('failed').textContent=j.progress.failed;document.getElementById('remaining').textContent=j.progress.remaining??'';
document.getElementById('result').textContent=j.result??'';if(j.state==='running')setTimeout(poll,500);}poll();`;
  const body = html`<p><a href="/remote">« remote AEs</a></p><h2>${j.what}</h2>
<p>State <b id="state">${j.state}</b> — completed <span id="completed">${j.progress.completed}</span>, failed <span id="failed">${j.progress.failed}</span>,
remaining <span id="remaining">${j.progress.remaining ?? ''}</span> <span id="result">${j.result ?? ''}</span></p><p><a href="/">local studies</a></p><script>${raw(script)}</script>`;
  sendHtml(c.res, 200, page('Retrieval', body, c.principal));
}

export const remoteRoutes: Route[] = [
  { method: 'GET', path: /^\/remote$/, need: 'viewer', kind: 'html', handler: (c) => remotePage(c) },
  { method: 'POST', path: /^\/remote\/find$/, need: 'viewer', kind: 'html', handler: doFind },
  { method: 'POST', path: /^\/remote\/retrieve$/, need: 'admin', kind: 'html', handler: doRetrieve },
  { method: 'GET', path: /^\/remote\/job\/([0-9a-f]+)$/, need: 'viewer', kind: 'html', handler: jobPage },
  { method: 'GET', path: /^\/api\/remote\/job\/([0-9a-f]+)$/, need: 'viewer', kind: 'api', handler: (c) => sendJson(c.res, 200, jobOf(c)) },
];
