/**
 * Shell helpers for the tests that make their own network namespaces (tune-netns,
 * ipv6-netns): run a command and get its output, or fail with its stderr.
 */
import { spawnSync } from 'node:child_process';

export function sh(args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

export function must(args: string[]): string {
  const r = sh(args);
  if (!r.ok) throw new Error(`${args.join(' ')}: ${r.err.trim()}`);
  return r.out;
}
