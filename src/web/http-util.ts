/** Small helpers for node:http handlers: HTML escaping, the page layout, replies, bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EdgeError } from '../util/errors';
import type { Principal } from './auth';

export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Tagged template: interpolated values are escaped unless wrapped with raw(). */
export class Raw { constructor(readonly html: string) {} }
export const raw = (html: string): Raw => new Raw(html);
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0];
  values.forEach((v, i) => {
    const one = (x: unknown): string => (x instanceof Raw ? x.html : Array.isArray(x) ? x.map(one).join('') : esc(x));
    out += one(v) + strings[i + 1];
  });
  return new Raw(out);
}

const CSS = `body{font:14px system-ui,sans-serif;margin:0;color:#222}header{background:#234;color:#fff;padding:6px 12px;display:flex;gap:14px;align-items:center}
header a{color:#cde;text-decoration:none}main{padding:12px}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}
th{background:#f3f3f3}form.search input{width:9em}.err{color:#b00}.muted{color:#777}img.thumb{max-width:96px;max-height:96px;background:#000}
.pager a{margin:0 6px}code{background:#f4f4f4}`;

export function page(title: string, body: Raw, p?: Principal): string {
  const nav = p ? html`<a href="/">Studies</a><a href="/remote">Remote AEs</a><a href="/queue">Queue</a><a href="/ops">Operations</a>
    <span style="flex:1"></span><span>${p.name} (${p.role})</span>${p.via === 'session' ? raw('<form method="post" action="/logout" style="margin:0"><button>Log out</button></form>') : ''}` : raw('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${esc(title)} — dicom-edge</title><style>${CSS}</style></head><body><header><b>dicom-edge</b>${nav.html}</header><main>${body.html}</main></body></html>`;
}

export function sendHtml(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export class HttpError extends EdgeError {
  constructor(readonly status: number, message: string) {
    super(`HTTP_${status}`, message);
  }
}

/** Reads the request body up to `max` bytes (413 beyond). */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > max) throw new HttpError(413, `request body over ${max} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req, 1024 * 1024)).toString('utf8'));
}

/** DICOM dates YYYYMMDD → YYYY-MM-DD for display. */
export function fmtDate(d: unknown): string {
  const s = String(d ?? '');
  return /^\d{8}$/.test(s) ? `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6)}` : s;
}

/** PN for display: components joined by spaces (Family^Given → Family, Given). */
export function fmtName(n: unknown): string {
  const s = String(n ?? '').split('=')[0];
  const [family, given, ...rest] = s.split('^');
  return [family, [given, ...rest].filter(Boolean).join(' ')].filter(Boolean).join(', ');
}
