/** The login form and logout (session cookie; see auth.ts). */
import type { Route, WebContext } from './server';
import { html, page, readForm, sendHtml } from './http-util';
import { parseCookies, SESSION_COOKIE } from './auth';

function safeNext(next: string | null): string {
  // Only same-site paths: never redirect to another host after login.
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function form(c: WebContext, status: number, message = ''): void {
  const next = safeNext(c.url.searchParams.get('next'));
  sendHtml(c.res, status, page('Log in', html`<h2>Log in</h2>${message ? html`<p class="err">${message}</p>` : ''}
<form method="post" action="/login?next=${encodeURIComponent(next)}">
<p><label>User <input name="user" id="user" autocomplete="username" required autofocus></label></p>
<p><label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit" id="login">Log in</button></p></form>`));
}

async function login(c: WebContext): Promise<void> {
  const addr = c.req.socket.remoteAddress ?? '';
  const { auth } = c.deps;
  if (!auth.mayTry(addr)) return form(c, 429, 'Too many failed attempts; wait a few minutes.');
  const f = await readForm(c.req);
  const user = auth.check(f.get('user') ?? '', f.get('password') ?? '', addr);
  if (!user) {
    c.deps.log.warn(`web login failed for "${f.get('user') ?? ''}" from ${addr}`);
    return form(c, 401, 'Wrong user name or password.');
  }
  const { token, maxAgeS } = auth.createSession(user);
  c.deps.log.info(`web login ${user.name} (${user.role}) from ${addr}`);
  c.res.writeHead(303, { location: safeNext(c.url.searchParams.get('next')), 'set-cookie': auth.cookie(token, maxAgeS, c.secure) });
  c.res.end();
}

async function logout(c: WebContext): Promise<void> {
  c.deps.auth.endSession(parseCookies(c.req.headers.cookie)[SESSION_COOKIE]);
  c.res.writeHead(303, { location: '/login', 'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` });
  c.res.end();
}

export const authRoutes: Route[] = [
  { method: 'GET', path: /^\/login$/, need: 'public', kind: 'html', handler: (c) => form(c, 200) },
  { method: 'POST', path: /^\/login$/, need: 'public', kind: 'html', handler: login },
  { method: 'POST', path: /^\/logout$/, need: 'public', kind: 'html', handler: logout },
];
