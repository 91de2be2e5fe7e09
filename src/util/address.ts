/**
 * IP address text: one canonical form for comparisons (an IPv6 address has many spellings:
 * `fd42:DE::2`, `fd42:00de:0:0:0:0:0:2`; Node reports the compressed lower-case one, a
 * technician may type any), and `host:port` with brackets around an IPv6 literal (RFC 3986).
 */
import { isIPv4, isIPv6 } from 'node:net';

/**
 * The canonical text of an address: IPv4 as is, IPv4-mapped IPv6 (`::ffff:a.b.c.d`,
 * `::ffff:7f00:1`) as its IPv4, any other IPv6 as eight lower-case hex groups without
 * leading zeros (`fd42:de:0:0:0:0:0:2`) and without a zone (`%eth0`). Anything else is
 * returned unchanged (so `*` and host names still compare as text).
 */
export function canonicalIp(ip: string): string {
  const bare = ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip;
  if (!isIPv6(bare)) return ip;
  const groups = ipv6Groups(bare);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  return groups.map((g) => g.toString(16)).join(':');
}

/** The eight 16-bit groups of a valid IPv6 literal (an embedded dotted IPv4 gives the last two). */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase();
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (isIPv4(last)) {
    const [a, b, c, d] = last.split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, lastColon + 1) + '0'; // placeholder group, dropped below
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (s: string | undefined): number[] => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  let left = parse(head);
  let right = parse(rest);
  if (tail.length) (rest !== undefined ? right : left).pop();
  if (rest === undefined) return [...left, ...tail];
  const fill = 8 - left.length - right.length - tail.length;
  left = [...left, ...new Array<number>(fill).fill(0)];
  right = [...right, ...tail];
  return [...left, ...right];
}

/** True when both name the same address (canonical forms equal). */
export function sameIp(a: string, b: string): boolean {
  return canonicalIp(a) === canonicalIp(b);
}

/** `host:port`, or `[host]:port` for an IPv6 literal, for messages and URLs. */
export function hostPort(host: string | undefined, port: number | string | undefined): string {
  const h = host ?? '?';
  return isIPv6(h.includes('%') ? h.slice(0, h.indexOf('%')) : h) ? `[${h}]:${port ?? '?'}` : `${h}:${port ?? '?'}`;
}
