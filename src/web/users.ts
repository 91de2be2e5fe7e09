/**
 * Web accounts: `user = NAME, ROLE, scrypt$N$r$p$SALT$HASH` lines of [Web] (salt and hash
 * base64, 16 and 32 bytes; RFC 7914 scrypt via node:crypto). `dicom-edge user add` edits
 * the INI text in place: an existing line for NAME is replaced, else the line goes after
 * the last entry of [Web] (a [Web] section is appended when there is none); comments and
 * every other line are kept byte for byte.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { readIni } from '../config/ini-reader';
import type { ParseResult } from '../config/schema';
import { EdgeError } from '../util/errors';

export interface WebUser {
  name: string;
  role: 'admin' | 'viewer';
  hash: string;
}

const SCRYPT = { N: 16384, r: 8, p: 1 };
const NAME_RE = /^[A-Za-z0-9._@-]{1,64}$/;

export function hashPassword(password: string, salt: Buffer = randomBytes(16)): string {
  const key = scryptSync(password.normalize('NFC'), salt, 32, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const want = Buffer.from(m[5], 'base64');
  if (N > 1 << 20 || r > 32 || p > 16 || want.length < 16) return false;
  const got = scryptSync(password.normalize('NFC'), Buffer.from(m[4], 'base64'), want.length, { N, r, p, maxmem: 256 * 1024 * 1024 });
  return timingSafeEqual(got, want);
}

export function parseUserValue(raw: string): ParseResult {
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length !== 3) return { problem: 'expected "NAME, admin|viewer, scrypt$..." (use dicom-edge user add)' };
  const [name, role, hash] = parts;
  if (!NAME_RE.test(name)) return { problem: `user name "${name}" must be 1-64 of A-Z a-z 0-9 . _ @ -` };
  if (role !== 'admin' && role !== 'viewer') return { problem: `role "${role}" is not admin or viewer` };
  if (!/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(hash)) return { problem: `user ${name}: the password hash is not scrypt$N$r$p$salt$hash` };
  return { value: { name, role, hash } satisfies WebUser };
}

export function userLine(u: WebUser): string {
  return `user = ${u.name}, ${u.role}, ${u.hash}`;
}

/** The INI text with NAME's account added or replaced (see the file comment). */
export function iniWithUser(text: string, u: WebUser): string {
  if (!NAME_RE.test(u.name)) throw new EdgeError('WEB_BAD_USER', `user name "${u.name}" must be 1-64 of A-Z a-z 0-9 . _ @ -`);
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const finalNewline = lines.length > 1 && lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  const web = readIni(text).sections.filter((s) => s.name.replace(/\s+/g, '').toLowerCase() === 'web');
  const existing = web.flatMap((s) => s.entries).find((e) => e.key.toLowerCase() === 'user' && e.value.split(',')[0].trim() === u.name);
  if (existing) {
    lines[existing.line - 1] = userLine(u);
  } else if (web.length) {
    const s = web[web.length - 1];
    const after = s.entries.length ? s.entries[s.entries.length - 1].line : s.line;
    lines.splice(after, 0, userLine(u));
  } else {
    if (lines.length && lines[lines.length - 1].trim() !== '') lines.push('');
    lines.push('[Web]', userLine(u));
    return lines.join(eol) + eol;
  }
  return lines.join(eol) + (finalNewline ? eol : '');
}
