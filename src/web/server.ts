/**
 * The agent's HTTP(S) server: login, pages, DICOMweb, /metrics. node:http / node:https
 * and a table of routes; each route says which role it needs. HTML pages send a browser
 * without a session to /login; API and DICOMweb answer 401 with a Basic challenge.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Config } from '../config/types';
import type { IndexDb } from '../store/index-db';
import type { InstanceStore } from '../store/instance-store';
import type { Logger } from '../util/log';
import { errorMessage } from '../util/errors';
import { ActivityLog } from './activity';
import { allows, Auth, type Principal } from './auth';
import { webConfigOf, type WebConfig } from './config';
import { HttpError, page, html, sendHtml, sendText } from './http-util';

export interface WebContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Capture groups of the route's pattern, URI-decoded. */
  params: string[];
  principal?: Principal;
  secure: boolean;
  deps: WebDeps;
}

export type Need = 'public' | 'viewer' | 'admin';
export interface Route {
  method: string | string[];
  path: RegExp;
  need: Need;
  /** 'html' → redirect to /login when not logged in; 'api' → 401 + Basic challenge. */
  kind: 'html' | 'api';
  handler: (c: WebContext) => Promise<void> | void;
}

/** What the pages need from the agent; optional parts appear as they land. */
export interface WebDeps {
  index: IndexDb;
  store: InstanceStore;
  storeRoot: string;
  config(): Config;
  activity: ActivityLog;
  log: Logger;
  auth: Auth;
  /** Applies a new configuration (config page); set by the agent. */
  reload?(config: Config): void;
  /** Extension points for the forwarding queue and Q/R SCU pages. */
  extras?: Record<string, unknown>;
}

export interface WebServerOptions {
  web: WebConfig;
  deps: Omit<WebDeps, 'auth'>;
  routes: Route[];
}

export class WebServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  readonly secure: boolean;
  readonly deps: WebDeps;

  constructor(private web: WebConfig, deps: Omit<WebDeps, 'auth'>, private readonly routes: Route[]) {
    this.deps = { ...deps, auth: new Auth(web) };
    this.secure = !!(web.certificate && web.key);
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = this.secure
      ? createHttps({ cert: readFileSync(web.certificate!), key: readFileSync(web.key!) }, handler)
      : createHttp(handler);
    this.server.on('connection', (s: Socket) => { this.sockets.add(s); s.once('close', () => this.sockets.delete(s)); });
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.web.port, this.web.bind, () => { this.server.off('error', reject); resolve(); });
    });
    return this.server.address() as AddressInfo;
  }

  get address(): AddressInfo | undefined {
    return (this.server.address() as AddressInfo | null) ?? undefined;
  }

  reload(config: Config): void {
    const w = webConfigOf(config);
    if (!w) return;
    this.web = w;
    this.deps.auth.reload(w);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.deps.activity.counters.httpRequests++;
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    try {
      await this.dispatch(req, res, url);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      if (status === 500) this.deps.log.error(`${req.method} ${url.pathname}: ${errorMessage(e)}`);
      if (!res.headersSent) sendText(res, status, `${status === 500 ? 'internal error: ' : ''}${(e as Error).message}\n`);
      else res.destroy();
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method === 'HEAD' ? 'GET' : req.method ?? 'GET';
    let allowed = false;
    for (const r of this.routes) {
      const m = r.path.exec(url.pathname);
      if (!m) continue;
      const methods = Array.isArray(r.method) ? r.method : [r.method];
      if (!methods.includes(method)) { allowed = true; continue; }
      const params = m.slice(1).map((p) => (p === undefined ? '' : decodeURIComponent(p)));
      const c: WebContext = { req, res, url, params, secure: this.secure, deps: this.deps };
      if (r.need !== 'public' && !this.authorize(c, r)) return;
      return void (await r.handler(c));
    }
    if (allowed) throw new HttpError(405, 'method not allowed');
    sendHtml(res, 404, page('Not found', html`<p>No page at <code>${url.pathname}</code>.</p>`));
  }

  /** Sets c.principal or answers (redirect, 401, 403, 429) and returns false. */
  private authorize(c: WebContext, r: Route): boolean {
    const { principal, error } = this.deps.auth.identify(c.req, this.secure);
    if (error === 'basic-insecure') throw new HttpError(403, 'HTTP Basic authentication is refused over plain HTTP except from loopback: use HTTPS');
    if (error === 'rate-limited') throw new HttpError(429, 'too many failed logins; try again later');
    if (!principal) {
      if (r.kind === 'html' && !error) {
        c.res.writeHead(303, { location: `/login?next=${encodeURIComponent(c.url.pathname + c.url.search)}` });
        c.res.end();
      } else {
        c.res.writeHead(401, { 'www-authenticate': 'Basic realm="dicom-edge", charset="UTF-8"', 'content-type': 'text/plain' });
        c.res.end('authentication required\n');
      }
      return false;
    }
    if (!allows(principal, r.need as 'viewer' | 'admin')) throw new HttpError(403, `${principal.name} (${principal.role}) may not do this`);
    c.principal = principal;
    return true;
  }
}

export { ActivityLog };
