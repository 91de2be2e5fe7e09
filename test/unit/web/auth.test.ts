import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { hashPassword, iniWithUser, parseUserValue, verifyPassword } from '../../../src/web/users';
import { allows, Auth, isLoopback, MAX_FAILURES, SESSION_COOKIE } from '../../../src/web/auth';
import type { WebConfig } from '../../../src/web/config';
import { parseConfig, sectionValues } from '../../../src/config/load';
import { webConfigOf } from '../../../src/web/config';

const alice = { name: 'alice', role: 'admin' as const, hash: hashPassword('correct horse') };
const bob = { name: 'bob', role: 'viewer' as const, hash: hashPassword('battery staple') };
const cfg = (o: Partial<WebConfig> = {}): WebConfig => ({ port: 0, bind: '127.0.0.1', anonymous: 'none', sessionTimeoutMin: 10, users: [alice, bob], ...o });

function req(headers: Record<string, string>, addr = '127.0.0.1'): IncomingMessage {
  return { headers, socket: { remoteAddress: addr } } as unknown as IncomingMessage;
}
const basicHeader = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

test('scrypt hashes: salted (two hashes of one password differ), verify right and wrong', () => {
  const h1 = hashPassword('pw-123456');
  const h2 = hashPassword('pw-123456');
  assert.notEqual(h1, h2);
  assert.match(h1, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
  assert.ok(verifyPassword('pw-123456', h1));
  assert.ok(!verifyPassword('pw-123457', h1));
  assert.ok(!verifyPassword('pw-123456', 'plain'));
});

test('user lines: parsed, bad ones explained; [Web] section typed through the schema', () => {
  assert.deepEqual(parseUserValue(` alice, admin, ${alice.hash}`), { value: alice });
  assert.match((parseUserValue('alice, root, x') as { problem: string }).problem, /role "root"/);
  assert.match((parseUserValue('alice, admin') as { problem: string }).problem, /expected/);
  const r = parseConfig(`[Network]\nport = 104\n[Local AE]\naeTitle = EDGE\n[Storage]\npath = /tmp/x\n[Web]\nport = 8443\nanonymous = viewer\nuser = ${alice.name}, admin, ${alice.hash}\nuser = ${bob.name}, viewer, ${bob.hash}\n`, 'w.ini');
  assert.deepEqual(r.problems, []);
  const w = webConfigOf(r.config!)!;
  assert.equal(w.port, 8443);
  assert.equal(w.anonymous, 'viewer');
  assert.deepEqual(w.users.map((u) => u.name), ['alice', 'bob']);
  assert.equal(sectionValues(r.config!, 'Web').bind, '0.0.0.0');
  const bad = parseConfig('[Local AE]\naeTitle = EDGE\n[Web]\nuser = x, boss, y\n', 'w.ini');
  assert.match(bad.problems.join('\n'), /w\.ini:4: .*role "boss"/);
});

test('iniWithUser: replaces the line of that user, else adds after the last [Web] entry, else appends [Web]; comments kept', () => {
  const u = { name: 'carol', role: 'viewer' as const, hash: alice.hash };
  const line = `user = carol, viewer, ${alice.hash}`;
  assert.equal(iniWithUser('; c\n[Web]\nport = 1\n\n[Other]\nx = 1\n', u), `; c\n[Web]\nport = 1\n${line}\n\n[Other]\nx = 1\n`);
  assert.equal(iniWithUser('[Web]\r\nuser = carol, admin, old\r\n', u), `[Web]\r\n${line}\r\n`);
  assert.equal(iniWithUser('[Network]\nport = 1\n', u), `[Network]\nport = 1\n\n[Web]\n${line}\n`);
  assert.throws(() => iniWithUser('', { ...u, name: 'bad name' }), { code: 'WEB_BAD_USER' });
});

test('Basic: loopback over HTTP ok, other hosts only over HTTPS; wrong password fails', () => {
  const a = new Auth(cfg());
  assert.equal(a.identify(req(basicHeader('alice', 'correct horse')), false).principal?.role, 'admin');
  assert.equal(a.identify(req(basicHeader('alice', 'correct horse'), '10.0.0.5'), false).error, 'basic-insecure');
  assert.equal(a.identify(req(basicHeader('alice', 'correct horse'), '10.0.0.5'), true).principal?.name, 'alice');
  assert.equal(a.identify(req(basicHeader('alice', 'nope')), false).error, 'bad-credentials');
  assert.equal(a.identify(req(basicHeader('nobody', 'correct horse')), false).error, 'bad-credentials');
  assert.ok(isLoopback('::ffff:127.0.0.1'));
  assert.ok(!isLoopback('192.168.1.1'));
});

test('sessions expire; anonymous viewer only when configured; roles', () => {
  let now = 1_000_000;
  const a = new Auth(cfg(), () => now);
  const { token, maxAgeS } = a.createSession({ name: 'bob', role: 'viewer' });
  assert.equal(maxAgeS, 600);
  const cookie = { cookie: `x=1; ${SESSION_COOKIE}=${token}` };
  assert.equal(a.identify(req(cookie), false).principal?.name, 'bob');
  now += 600_001;
  assert.equal(a.identify(req(cookie), false).principal, undefined);
  const anon = new Auth(cfg({ anonymous: 'viewer' }));
  const p = anon.identify(req({}), false).principal!;
  assert.equal(p.via, 'anonymous');
  assert.ok(allows(p, 'viewer'));
  assert.ok(!allows(p, 'admin'));
  assert.match(a.cookie('t', 60, true), /^edge_session=t; Path=\/; HttpOnly; SameSite=Strict; Max-Age=60; Secure$/);
});

test('rate limit: after MAX_FAILURES failures the address must wait; others are unaffected', () => {
  let now = 0;
  const a = new Auth(cfg(), () => now);
  for (let i = 0; i < MAX_FAILURES; i++) assert.equal(a.check('alice', 'x', '10.1.1.1'), undefined);
  assert.ok(!a.mayTry('10.1.1.1'));
  assert.ok(a.mayTry('10.1.1.2'));
  assert.equal(a.identify(req(basicHeader('alice', 'correct horse'), '10.1.1.1'), true).error, 'rate-limited');
  now += 5 * 60_000 + 1;
  assert.ok(a.mayTry('10.1.1.1'));
});

test('reload ends sessions of removed users and changed roles', () => {
  const a = new Auth(cfg());
  const s1 = a.createSession({ name: 'bob', role: 'viewer' }).token;
  const s2 = a.createSession({ name: 'alice', role: 'admin' }).token;
  a.reload(cfg({ users: [{ ...alice, role: 'viewer' }] }));
  assert.equal(a.identify(req({ cookie: `${SESSION_COOKIE}=${s1}` }), false).principal, undefined);
  assert.equal(a.identify(req({ cookie: `${SESSION_COOKIE}=${s2}` }), false).principal, undefined);
});
