/** Forwarding queue per destination: waiting, held, dead letters; retry / hold / release / drop (admin). */
import type { Route, WebContext } from './server';
import { html, page, readForm, sendHtml } from './http-util';

/** The subset of the forwarder the page uses (src/forward/forwarder.ts). */
export interface QueueAccess {
  queue: {
    summary(): Array<{ destination: string; state: string; n: number; oldest: number | null; retrying: number }>;
    jobs(sel: { destination?: string; ids?: number[] }, states: Array<'pending' | 'in-flight' | 'done' | 'dead' | 'held'>, limit: number): Array<{ id: number; sop_uid: string; study_uid: string; destination: string; state: string; attempts: number; last_status: number | null; last_error: string | null; updated_at: number }>;
    retry(sel: { ids?: number[]; destination?: string }, now: number): number;
    hold(sel: { ids?: number[]; destination?: string }, now: number): number;
    release(sel: { ids?: number[]; destination?: string }, now: number): number;
    drop(sel: { ids?: number[]; destination?: string }, now: number): number;
  };
  wakeAll(): void;
}

function fwd(c: WebContext): QueueAccess | undefined {
  return c.deps.extras?.forwarder as QueueAccess | undefined;
}

function queuePage(c: WebContext, message = ''): void {
  const f = fwd(c);
  if (!f) return sendHtml(c.res, 200, page('Queue', html`<h2>Forwarding queue</h2><p>Forwarding is not available in this agent.</p>`, c.principal));
  const admin = c.principal?.role === 'admin';
  const jobs = f.queue.jobs({}, ['pending', 'in-flight', 'held', 'dead'], 500);
  const button = (id: number, action: string) => html`<button name="action" value="${action}" form="j${id}" class="${action}">${action}</button>`;
  const body = html`<h2>Forwarding queue</h2>${message ? html`<p id="message">${message}</p>` : ''}
<table id="summary"><tr><th>Destination</th><th>State</th><th>Jobs</th><th>Retrying</th></tr>
${f.queue.summary().filter((s) => s.state !== 'done').map((s) => html`<tr><td>${s.destination}</td><td>${s.state}</td><td>${s.n}</td><td>${s.retrying}</td></tr>`)}</table>
<h3>Jobs waiting, held and dead</h3><table id="jobs"><tr><th>#</th><th>Destination</th><th>State</th><th>SOP Instance</th><th>Attempts</th><th>Last error</th><th></th></tr>
${jobs.map((j) => html`<tr class="job ${j.state}"><td>${j.id}</td><td>${j.destination}</td><td>${j.state}</td><td><code>${j.sop_uid}</code></td><td>${j.attempts}</td>
<td>${j.last_status !== null ? `0x${j.last_status.toString(16)} ` : ''}${j.last_error ?? ''}</td>
<td>${admin ? html`<form id="j${j.id}" method="post" action="/queue" style="display:inline"><input type="hidden" name="id" value="${j.id}"></form>
${j.state === 'dead' || j.state === 'pending' ? button(j.id, 'retry') : ''}${j.state === 'pending' ? button(j.id, 'hold') : ''}${j.state === 'held' ? button(j.id, 'release') : ''}${j.state !== 'in-flight' ? button(j.id, 'drop') : ''}` : ''}</td></tr>`)}</table>`;
  sendHtml(c.res, 200, page('Queue', body, c.principal));
}

async function queueAction(c: WebContext): Promise<void> {
  const f = fwd(c);
  if (!f) return queuePage(c);
  const form = await readForm(c.req);
  const ids = [Number(form.get('id'))].filter((n) => Number.isInteger(n) && n > 0);
  const action = form.get('action') ?? '';
  const sel = ids.length ? { ids } : form.get('destination') ? { destination: form.get('destination')! } : null;
  if (!sel || !['retry', 'hold', 'release', 'drop'].includes(action)) return queuePage(c, 'Nothing done: choose a job and an action.');
  const n = f.queue[action as 'retry' | 'hold' | 'release' | 'drop'](sel, Date.now());
  if (action === 'retry' || action === 'release') f.wakeAll();
  c.deps.log.info(`queue ${action} ${JSON.stringify(sel)} by ${c.principal?.name}: ${n} job(s)`);
  queuePage(c, `${action}: ${n} job(s).`);
}

export const queueRoutes: Route[] = [
  { method: 'GET', path: /^\/queue$/, need: 'viewer', kind: 'html', handler: (c) => queuePage(c) },
  { method: 'POST', path: /^\/queue$/, need: 'admin', kind: 'html', handler: queueAction },
];
