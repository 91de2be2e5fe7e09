/** The console's side of the control socket: a ConsoleBackend whose calls go to the agent. */
import net from 'node:net';
import { EdgeError } from '../util/errors';
import type { AgentStatus, ApplyResult, ConfigText, ConsoleBackend, QueueRow } from './backend';
import { fromWireError, LineSplitter, type ControlResponse } from './control-protocol';

export class ControlClient implements ConsoleBackend {
  readonly offline = false;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  private constructor(private readonly socket: net.Socket) {
    const split = new LineSplitter();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      for (const line of split.push(chunk)) this.onResponse(JSON.parse(line) as ControlResponse);
    });
    socket.on('close', () => this.failAll(new EdgeError('CONTROL_CLOSED', 'the agent closed the control connection')));
    socket.on('error', () => undefined);
  }

  /** Connects to the agent's socket; rejects (CONTROL_UNREACHABLE) when nobody answers. */
  static connect(path: string): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(path);
      s.once('connect', () => { s.removeAllListeners('error'); resolve(new ControlClient(s)); });
      s.once('error', (e) => reject(new EdgeError('CONTROL_UNREACHABLE', `no agent at ${path}: ${e.message}`)));
    });
  }

  close(): void {
    this.socket.end();
  }

  status(): Promise<AgentStatus> { return this.call('status') as Promise<AgentStatus>; }
  readConfig(): Promise<ConfigText> { return this.call('readConfig') as Promise<ConfigText>; }
  applyConfig(text: string, base: string): Promise<ApplyResult> { return this.call('applyConfig', { text, base }) as Promise<ApplyResult>; }
  restoreBackup(): Promise<ApplyResult> { return this.call('restoreBackup') as Promise<ApplyResult>; }
  echo(remote: string): Promise<string> { return this.call('echo', { remote }) as Promise<string>; }
  queue(): Promise<QueueRow[] | null> { return this.call('queue') as Promise<QueueRow[] | null>; }
  tune(): Promise<string> { return this.call('tune') as Promise<string>; }

  private call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    if (this.socket.destroyed) return Promise.reject(new EdgeError('CONTROL_CLOSED', 'not connected to the agent'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.socket.write(JSON.stringify({ id, method, params }) + '\n');
    });
  }

  private onResponse(rsp: ControlResponse): void {
    const w = this.waiting.get(rsp.id);
    if (!w) return;
    this.waiting.delete(rsp.id);
    if ('error' in rsp) w.reject(fromWireError(rsp.error));
    else w.resolve(rsp.result);
  }

  private failAll(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }
}
