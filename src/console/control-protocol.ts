/**
 * The control socket's protocol: one JSON object per line (LF), both ways.
 *   request   {"id":1,"method":"status","params":{}}
 *   response  {"id":1,"result":…}  or  {"id":1,"error":{"code":"…","message":"…","problems":[…]}}
 * Methods are the ConsoleBackend calls: status, readConfig, applyConfig {text, base},
 * restoreBackup, echo {remote}, queue, tune.
 */
import { ConfigError, EdgeError } from '../util/errors';
import type { ConsoleBackend } from './backend';

export const CONTROL_SOCKET_NAME = 'control.sock';
/** A request line carries at most the INI text twice; 4 MiB is far above any real one. */
export const MAX_LINE = 4 * 1024 * 1024;

export interface ControlRequest { id: number; method: string; params?: Record<string, unknown> }
export interface ControlError { code: string; message: string; problems?: string[] }
export type ControlResponse = { id: number; result: unknown } | { id: number; error: ControlError };

export const METHODS = ['status', 'readConfig', 'applyConfig', 'restoreBackup', 'echo', 'queue', 'tune'] as const;

function str(params: Record<string, unknown> | undefined, key: string): string {
  const v = params?.[key];
  if (typeof v !== 'string') throw new EdgeError('CONTROL_BAD_PARAMS', `parameter "${key}" must be a string`);
  return v;
}

/** Runs one request against a backend (the agent side). */
export async function dispatch(backend: ConsoleBackend, req: ControlRequest): Promise<unknown> {
  switch (req.method) {
    case 'status': return backend.status();
    case 'readConfig': return backend.readConfig();
    case 'applyConfig': return backend.applyConfig(str(req.params, 'text'), str(req.params, 'base'));
    case 'restoreBackup': return backend.restoreBackup();
    case 'echo': return backend.echo(str(req.params, 'remote'));
    case 'queue': return backend.queue();
    case 'tune': return backend.tune();
    default: throw new EdgeError('CONTROL_UNKNOWN_METHOD', `unknown method "${req.method}"`);
  }
}

export function toWireError(e: unknown): ControlError {
  if (e instanceof ConfigError) return { code: e.code, message: e.message, problems: e.problems };
  if (e instanceof EdgeError) return { code: e.code, message: e.message };
  return { code: 'CONTROL_FAILED', message: e instanceof Error ? e.message : String(e) };
}

export function fromWireError(e: ControlError): Error {
  if (e.problems) return new ConfigError(e.problems);
  return new EdgeError(e.code, e.message);
}

/** Splits a byte stream into lines, refusing one longer than `max`. */
export class LineSplitter {
  private buf = '';
  constructor(private readonly max = MAX_LINE) {}

  /** The complete lines in `chunk` (plus what was buffered); throws CONTROL_LINE_TOO_LONG. */
  push(chunk: string): string[] {
    this.buf += chunk;
    const parts = this.buf.split('\n');
    this.buf = parts.pop() ?? '';
    if (this.buf.length > this.max) throw new EdgeError('CONTROL_LINE_TOO_LONG', `control message longer than ${this.max} bytes`);
    return parts.filter((l) => l.trim() !== '');
  }
}
