/**
 * Loopback port helpers for tests: pick a free port, wait until a peer listens.
 * Everything stays on 127.0.0.1 (or the host given, which tests keep on loopback).
 */
import { spawnSync } from 'node:child_process';
import net from 'node:net';

/** Asks the kernel for a free TCP port on 127.0.0.1 (listen on port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('freePort: no port assigned'))));
    });
  });
}

/** One connection attempt; resolves true when something accepted it. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until `port` accepts a TCP connection, at most `timeoutMs` overall.
 * `giveUp`, when given, is checked between attempts: a returned Error (for example
 * "the peer process exited") stops the wait at once with that error.
 */
export async function waitForPort(
  port: number,
  host = '127.0.0.1',
  timeoutMs = 10000,
  giveUp?: () => Error | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const early = giveUp?.();
    if (early) throw early;
    if (await canConnect(port, host, Math.min(1000, Math.max(50, deadline - Date.now())))) return;
    const again = giveUp?.();
    if (again) throw again;
    if (Date.now() >= deadline) {
      throw new Error(`waitForPort: nothing listening on ${host}:${port} after ${timeoutMs} ms (${attempt + 1} attempts)`);
    }
    await sleep(Math.min(100, 10 * (attempt + 1)));
  }
}

/**
 * Local addresses listening on TCP `port`, as `ss -Hltn` prints them
 * ("127.0.0.1:4242", "[::1]:4242", "0.0.0.0:4242"). Needs iproute2.
 */
export function listenAddresses(port: number): string[] {
  const r = spawnSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ss failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/)[3]);
}
