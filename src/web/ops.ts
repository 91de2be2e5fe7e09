/**
 * Operations: Prometheus /metrics (text exposition format 0.0.4), the operations page
 * (recent associations, disk use, buffer values), the configuration (admin: edit with the
 * same validation as `config check`, saved atomically with FILE.bak, applied like a reload).
 */
import { readFileSync, statfsSync } from 'node:fs';
import { parseConfig, readKernelBufferLimits } from '../config/load';
import { writeFileAtomicWithBackup } from '../tune/apply';
import type { Route, WebContext } from './server';
import { html, HttpError, page, readForm, sendHtml, sendText } from './http-util';

/** Queue depth per destination and state, when the forwarder is there. */
export type QueueSummary = () => Array<{ destination: string; state: string; n: number }>;

function metrics(c: WebContext): void {
  const k = c.deps.activity.counters;
  const lines: string[] = [];
  const m = (name: string, type: string, help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map(([labels, v]) => `${name}${labels} ${v}`));
  };
  m('dicom_edge_associations_open', 'gauge', 'DICOM associations open now.', [['', c.deps.activity.open]]);
  m('dicom_edge_associations_total', 'counter', 'DICOM associations accepted or attempted.', [['', k.associationsTotal]]);
  m('dicom_edge_associations_failed_total', 'counter', 'Associations that ended other than by release.', [['', k.associationsRejectedOrAborted]]);
  m('dicom_edge_instances_received_total', 'counter', 'Instances stored (C-STORE and STOW-RS).', [['{via="dimse"}', k.instancesReceived - k.stowInstances], ['{via="stow"}', k.stowInstances]]);
  m('dicom_edge_instances_failed_total', 'counter', 'Instances refused by the store (STOW-RS).', [['', k.instancesFailed]]);
  m('dicom_edge_bytes_received_total', 'counter', 'Bytes of stored instance files.', [['', k.bytesReceived]]);
  m('dicom_edge_instances_stored', 'gauge', 'Instances in the local index.', [['', c.deps.index.countInstances()]]);
  m('dicom_edge_http_requests_total', 'counter', 'HTTP requests served.', [['', k.httpRequests]]);
  const q = c.deps.extras?.queueSummary as QueueSummary | undefined;
  if (q) {
    const esc = (s: string) => s.replace(/["\\\n]/g, (x) => (x === '\n' ? '\\n' : `\\${x}`));
    m('dicom_edge_forward_jobs', 'gauge', 'Forwarding jobs by destination and state.', q().map((r) => [`{destination="${esc(r.destination)}",state="${r.state}"}`, r.n]));
  }
  const disk = diskUse(c.deps.storeRoot);
  if (disk) m('dicom_edge_disk_free_bytes', 'gauge', 'Free bytes on the store file system.', [['', disk.free]]);
  sendText(c.res, 200, lines.join('\n') + '\n', 'text/plain; version=0.0.4; charset=utf-8');
}

function diskUse(root: string): { total: number; free: number } | undefined {
  try {
    const s = statfsSync(root);
    return { total: s.blocks * s.bsize, free: s.bavail * s.bsize };
  } catch { return undefined; }
}

const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;

function opsPage(c: WebContext, message = ''): void {
  const cfg = c.deps.config();
  const disk = diskUse(c.deps.storeRoot);
  const n = cfg.network;
  const isAdmin = c.principal?.role === 'admin';
  let text = '';
  try { text = cfg.file ? readFileSync(cfg.file, 'utf8') : '(embedded default configuration)'; } catch (e) { text = `(cannot read ${cfg.file}: ${(e as Error).message})`; }
  const body = html`<h2>Operations</h2>${message ? html`<p class="err" id="message">${message}</p>` : ''}
<p>Store <code>${c.deps.storeRoot}</code>: ${c.deps.index.countInstances()} instances${disk ? `, ${gib(disk.free)} free of ${gib(disk.total)} (${Math.round(100 * (1 - disk.free / disk.total))}% used)` : ''}.</p>
<h3>Network and buffers</h3><table id="buffers"><tr><th>maxPdu</th><th>socketSndBuf</th><th>socketRcvBuf</th><th>dimseSize</th><th>maxAssociations</th><th>tuned (auto)</th></tr>
<tr><td>${n.maxPdu}</td><td>${n.socketSndBuf}</td><td>${n.socketRcvBuf}</td><td>${cfg.memory.dimseSize}</td><td>${n.maxAssociations}</td><td>${cfg.autoKeys.join(', ') || '—'}</td></tr></table>
<h3>Recent associations</h3><table id="associations"><tr><th>Started</th><th>Peer AE</th><th>Address</th><th>Called</th><th>Requests</th><th>End</th><th>Errors</th></tr>
${c.deps.activity.recent().slice(0, 100).map((r) => html`<tr><td>${r.startedAt}</td><td>${r.peerAe}</td><td>${r.peerAddress}</td><td>${r.calledAe}</td>
<td>${Object.entries(r.services).map(([s, k]) => `${s} ${k}`).join(', ')}</td><td>${r.endedAt ? r.end : 'open'}</td><td class="err">${r.errors.join('; ')}</td></tr>`)}</table>
<h3>Configuration ${cfg.file ? html`<code>${cfg.file}</code>` : ''}</h3>
${isAdmin && cfg.file ? html`<form method="post" action="/ops/config"><textarea name="ini" id="ini" rows="30" cols="100" spellcheck="false">${text}</textarea>
<p><button id="save-config">Check and save</button> <span class="muted">Checked like <code>config check</code>; saved with a .bak; network settings apply to new associations.</span></p></form>`
    : html`<pre id="ini">${text}</pre>`}`;
  sendHtml(c.res, 200, page('Operations', body, c.principal));
}

async function saveConfig(c: WebContext): Promise<void> {
  const file = c.deps.config().file;
  if (!file) throw new HttpError(409, 'running on the embedded default: there is no file to edit');
  const text = ((await readForm(c.req)).get('ini') ?? '').replace(/\r\n/g, '\n');
  const r = parseConfig(text, file, { kernelLimits: readKernelBufferLimits() });
  if (!r.config) return opsPage(c, `Not saved: ${r.problems.join(' | ')}`);
  writeFileAtomicWithBackup(file, text);
  c.deps.reload?.(r.config);
  c.deps.log.info(`configuration edited on the web page by ${c.principal?.name}`);
  opsPage(c, `Saved${r.warnings.length ? ` with warnings: ${r.warnings.join(' | ')}` : ''}; applied.`);
}

export const opsRoutes: Route[] = [
  { method: 'GET', path: /^\/metrics$/, need: 'viewer', kind: 'api', handler: metrics },
  { method: 'GET', path: /^\/ops$/, need: 'viewer', kind: 'html', handler: (c) => opsPage(c) },
  { method: 'POST', path: /^\/ops\/config$/, need: 'admin', kind: 'html', handler: saveConfig },
];
