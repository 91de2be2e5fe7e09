/**
 * The agent's control socket: a Unix socket (mode 0600, so only the service user and root
 * can talk to it) in $RUNTIME_DIRECTORY (systemd's RuntimeDirectory=, /run/dicom-edge) or
 * else the data folder. `dicom-edge console` connects to it. A socket file left by a crashed
 * agent is replaced; one that answers belongs to a running agent and is left alone.
 */
import net from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { EdgeError, errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import type { ConsoleBackend } from './backend';
import { CONTROL_SOCKET_NAME, dispatch, LineSplitter, toWireError, type ControlRequest, type ControlResponse } from './control-protocol';

/** $DICOM_EDGE_CONTROL_SOCKET, else $RUNTIME_DIRECTORY/control.sock, else <data folder>/control.sock. */
export function controlSocketPath(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.DICOM_EDGE_CONTROL_SOCKET) return env.DICOM_EDGE_CONTROL_SOCKET;
  const runtime = env.RUNTIME_DIRECTORY?.split(':')[0];
  return join(runtime || dataDir, CONTROL_SOCKET_NAME);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export class ControlServer {
  private server?: net.Server;
  private readonly clients = new Set<net.Socket>();

  constructor(private readonly o: { path: string; backend: ConsoleBackend; log: Logger }) {}

  get path(): string { return this.o.path; }

  async listen(): Promise<void> {
    const path = this.o.path;
    const st = lstatOrNull(path);
    if (st) {
      if (!st.isSocket()) throw new EdgeError('CONTROL_PATH_TAKEN', `${path} exists and is not a socket`);
      if (await answers(path)) throw new EdgeError('CONTROL_IN_USE', `${path}: another agent is running`);
      unlinkSync(path);
    }
    const server = net.createServer((s) => this.onClient(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // bind() happens inside listen(), synchronously: a umask of 0177 makes the socket 0600
      // from its first moment; the chmod below is for umask-less file systems.
      const umask = process.umask(0o177);
      try {
        server.listen(path, () => { server.off('error', reject); resolve(); });
      } finally {
        process.umask(umask);
      }
    });
    chmodSync(path, 0o600);
    server.on('error', (e) => this.o.log.error(`control socket: ${e.message}`));
    this.server = server;
    this.o.log.info(`control socket ${path}`);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const c of this.clients) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    try { unlinkSync(this.o.path); } catch { /* already gone */ }
  }

  private onClient(s: net.Socket): void {
    this.clients.add(s);
    s.setEncoding('utf8');
    const split = new LineSplitter();
    s.on('close', () => this.clients.delete(s));
    s.on('error', (e) => this.o.log.debug(`control client: ${e.message}`));
    s.on('data', (chunk: string) => {
      let lines: string[];
      try {
        lines = split.push(chunk);
      } catch (e) {
        this.o.log.warn(`control client: ${errorMessage(e)}`);
        s.destroy();
        return;
      }
      for (const line of lines) void this.answer(s, line);
    });
  }

  private async answer(s: net.Socket, line: string): Promise<void> {
    let req: ControlRequest;
    try {
      req = JSON.parse(line) as ControlRequest;
      if (typeof req !== 'object' || req === null || typeof req.id !== 'number' || typeof req.method !== 'string') throw new Error('not a request');
    } catch {
      this.send(s, { id: -1, error: { code: 'CONTROL_BAD_REQUEST', message: 'expected {"id":N,"method":"…","params":{…}}' } });
      return;
    }
    let rsp: ControlResponse;
    try {
      rsp = { id: req.id, result: (await dispatch(this.o.backend, req)) ?? null };
    } catch (e) {
      rsp = { id: req.id, error: toWireError(e) };
    }
    this.send(s, rsp);
  }

  private send(s: net.Socket, rsp: ControlResponse): void {
    if (!s.destroyed) s.write(JSON.stringify(rsp) + '\n');
  }
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
