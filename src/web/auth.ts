/**
 * Who is asking: a session cookie from the login form (HttpOnly, SameSite=Strict, Secure
 * over HTTPS, expiring), or HTTP Basic (RFC 7617) for API and DICOMweb clients — refused
 * over plain HTTP unless the client is on loopback, since the password would cross the
 * network in clear. Failed logins are rate-limited per client address.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebConfig, WebRole } from './config';
import { verifyPassword } from './users';

export interface Principal {
  name: string;
  role: WebRole;
  /** How the request was authenticated. */
  via: 'session' | 'basic' | 'anonymous';
}

interface Session { name: string; role: WebRole; expires: number }

export const SESSION_COOKIE = 'edge_session';
/** Failed logins allowed per address within FAIL_WINDOW_MS before 429. */
export const MAX_FAILURES = 5;
const FAIL_WINDOW_MS = 5 * 60_000;

export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

export class Auth {
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, number[]>();

  constructor(private cfg: WebConfig, private readonly now: () => number = Date.now) {}

  reload(cfg: WebConfig): void {
    this.cfg = cfg;
    // Sessions of removed users, or users whose role changed, end now.
    for (const [token, s] of this.sessions) {
      const u = cfg.users.find((x) => x.name === s.name);
      if (!u || u.role !== s.role) this.sessions.delete(token);
    }
  }

  /** True while the address may try again (fewer than MAX_FAILURES recent failures). */
  mayTry(addr: string): boolean {
    const recent = (this.failures.get(addr) ?? []).filter((t) => t > this.now() - FAIL_WINDOW_MS);
    this.failures.set(addr, recent);
    return recent.length < MAX_FAILURES;
  }

  /** Checks a name and password; failures count against `addr`. */
  check(name: string, password: string, addr: string): { name: string; role: WebRole } | undefined {
    const u = this.cfg.users.find((x) => x.name === name);
    // Verify against a dummy hash for unknown names so timing does not reveal them.
    const ok = verifyPassword(password, u?.hash ?? DUMMY_HASH) && u !== undefined;
    if (ok) {
      this.failures.delete(addr);
      return { name: u.name, role: u.role };
    }
    this.failures.set(addr, [...(this.failures.get(addr) ?? []), this.now()]);
    return undefined;
  }

  createSession(user: { name: string; role: WebRole }): { token: string; maxAgeS: number } {
    const token = randomBytes(32).toString('base64url');
    const maxAgeS = this.cfg.sessionTimeoutMin * 60;
    this.sessions.set(token, { ...user, expires: this.now() + maxAgeS * 1000 });
    return { token, maxAgeS };
  }

  endSession(token: string | undefined): void {
    if (token) this.sessions.delete(token);
  }

  cookie(token: string, maxAgeS: number, secure: boolean): string {
    return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
  }

  /**
   * The principal of a request, or an error: 'basic-insecure' (Basic over plain HTTP from
   * another host), 'rate-limited', 'bad-credentials'; undefined principal = not logged in.
   */
  identify(req: IncomingMessage, secure: boolean): { principal?: Principal; error?: 'basic-insecure' | 'rate-limited' | 'bad-credentials' } {
    const addr = req.socket.remoteAddress ?? '';
    const authz = req.headers.authorization;
    if (authz && /^basic /i.test(authz)) {
      if (!secure && !isLoopback(addr)) return { error: 'basic-insecure' };
      if (!this.mayTry(addr)) return { error: 'rate-limited' };
      const decoded = Buffer.from(authz.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon > 0 ? this.check(decoded.slice(0, colon), decoded.slice(colon + 1), addr) : undefined;
      return user ? { principal: { ...user, via: 'basic' } } : { error: 'bad-credentials' };
    }
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    const s = token ? this.sessions.get(token) : undefined;
    if (s && s.expires > this.now()) return { principal: { name: s.name, role: s.role, via: 'session' } };
    if (s) this.sessions.delete(token!);
    if (this.cfg.anonymous === 'viewer') return { principal: { name: 'anonymous', role: 'viewer', via: 'anonymous' } };
    return {};
  }
}

/** A valid hash of a random password, checked for unknown user names. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$' + randomBytes(32).toString('base64');

export function allows(p: Principal | undefined, need: 'viewer' | 'admin'): boolean {
  if (!p) return false;
  return need === 'viewer' || p.role === 'admin';
}
