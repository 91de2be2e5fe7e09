/** Local database pages: study search (newest first, paged), a study's series, a series' instances. */
import type { Route, WebContext } from './server';
import { fmtDate, fmtName, html, HttpError, page, sendHtml } from './http-util';
import { getStudy, instancesOfSeries, searchStudies, seriesInfo, seriesOfStudy, type StudyFilter } from './local-db';

const PAGE_SIZE = 50;
const enc = encodeURIComponent;

function filterOf(q: URLSearchParams): StudyFilter {
  return {
    patientName: q.get('name') ?? undefined, patientId: q.get('pid') ?? undefined, accession: q.get('acc') ?? undefined,
    modality: q.get('mod') ?? undefined, dateFrom: q.get('from') ?? undefined, dateTo: q.get('to') ?? undefined,
  };
}

function studyList(c: WebContext): void {
  const q = c.url.searchParams;
  const pageNo = Math.max(0, Number(q.get('page') ?? 0) | 0);
  const { rows, total } = searchStudies(c.deps.index, filterOf(q), pageNo * PAGE_SIZE, PAGE_SIZE);
  const input = (name: string, label: string, type = 'text') => html`<label>${label} <input name="${name}" id="q-${name}" type="${type}" value="${q.get(name) ?? ''}"></label> `;
  const link = (p: number) => { const n = new URLSearchParams(q); n.set('page', String(p)); return `/?${n}`; };
  const body = html`<h2>Studies</h2>
<form class="search" method="get" action="/">${input('name', 'Patient name')}${input('pid', 'Patient ID')}${input('acc', 'Accession')}${input('mod', 'Modality')}
${input('from', 'From', 'date')}${input('to', 'To', 'date')}<button id="search">Search</button></form>
<p class="muted">${total} stud${total === 1 ? 'y' : 'ies'}; * and ? are wildcards; a name without them matches as a prefix.</p>
<table id="studies"><tr><th>Patient</th><th>ID</th><th>Date</th><th>Description</th><th>Accession</th><th>Modalities</th><th>Series</th><th>Images</th><th></th></tr>
${rows.map((r) => html`<tr><td><a class="study" href="/study/${enc(String(r.study_uid))}">${fmtName(r.patient_name) || '(no name)'}</a></td><td>${r.patient_id}</td>
<td>${fmtDate(r.study_date)}</td><td>${r.study_description}</td><td>${r.accession_number}</td><td>${String(r.modalities_in_study ?? '').replace(/\\/g, ', ')}</td>
<td>${r.num_series}</td><td>${r.num_instances}</td><td><a href="/study/${enc(String(r.study_uid))}/zip">zip</a></td></tr>`)}</table>
<p class="pager">${pageNo > 0 ? html`<a href="${link(pageNo - 1)}">« newer</a>` : ''}${(pageNo + 1) * PAGE_SIZE < total ? html`<a href="${link(pageNo + 1)}">older »</a>` : ''}</p>`;
  sendHtml(c.res, 200, page('Studies', body, c.principal));
}

function study(c: WebContext): void {
  const uid = c.params[0];
  const s = getStudy(c.deps.index, uid);
  if (!s) throw new HttpError(404, `no study ${uid}`);
  const series = seriesOfStudy(c.deps.index, uid);
  const body = html`<h2>${fmtName(s.patient_name)} <span class="muted">${s.patient_id}</span></h2>
<p>${fmtDate(s.study_date)} — ${s.study_description} — accession ${s.accession_number ?? ''} — <a href="/study/${enc(uid)}/zip" id="zip">download zip</a></p>
<table id="series"><tr><th></th><th>#</th><th>Modality</th><th>Description</th><th>Images</th><th></th></tr>
${series.map((r) => html`<tr><td>${r.middle_sop ? html`<a href="/viewer/${enc(String(r.series_uid))}"><img class="thumb" loading="lazy" alt="thumbnail" src="/render/${enc(String(r.middle_sop))}.png?size=96"></a>` : ''}</td>
<td>${r.series_number}</td><td>${r.modality}</td><td><a class="series" href="/series/${enc(String(r.series_uid))}">${r.series_description || '(no description)'}</a></td>
<td>${r.num_instances}</td><td><a class="view" href="/viewer/${enc(String(r.series_uid))}">view</a></td></tr>`)}</table>`;
  sendHtml(c.res, 200, page('Study', body, c.principal));
}

function series(c: WebContext): void {
  const uid = c.params[0];
  const info = seriesInfo(c.deps.index, uid);
  if (!info) throw new HttpError(404, `no series ${uid}`);
  const rows = instancesOfSeries(c.deps.index, uid);
  const body = html`<p><a href="/study/${enc(String(info.study_uid))}">« study</a></p><h2>Series ${info.series_number ?? ''} ${info.modality ?? ''} ${info.series_description ?? ''}</h2>
<p><a href="/viewer/${enc(uid)}">open viewer</a></p>
<table id="instances"><tr><th>#</th><th>SOP Instance UID</th><th>Size</th><th>Frames</th><th>Received</th><th>From</th><th></th></tr>
${rows.map((r) => html`<tr><td>${r.instance_number}</td><td><code>${r.sop_uid}</code></td><td>${r.columns ?? '?'}×${r.rows ?? '?'}</td><td>${r.number_of_frames ?? 1}</td>
<td>${r.received_at}</td><td>${r.calling_ae}</td><td><a href="/instance/${enc(String(r.sop_uid))}.dcm">DICOM</a></td></tr>`)}</table>`;
  sendHtml(c.res, 200, page('Series', body, c.principal));
}

const UID = '([0-9.]{1,64})';
export const studyRoutes: Route[] = [
  { method: 'GET', path: /^\/$/, need: 'viewer', kind: 'html', handler: studyList },
  { method: 'GET', path: new RegExp(`^/study/${UID}$`), need: 'viewer', kind: 'html', handler: study },
  { method: 'GET', path: new RegExp(`^/series/${UID}$`), need: 'viewer', kind: 'html', handler: series },
];
