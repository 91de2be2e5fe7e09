/**
 * Minimal structured-enough logger: one line per event, ISO time, level, component.
 * `debug` lines are only written when enabled ([Options] debug); `debugFile`
 * redirects them (and everything else) to a file.
 */
import { appendFileSync } from 'node:fs';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(component: string): Logger;
  readonly debugEnabled: boolean;
}

interface Sink { debug: boolean; file?: string; quiet: boolean; write?: (line: string) => void }

class LineLogger implements Logger {
  constructor(private readonly sink: Sink, private readonly component: string) {}
  get debugEnabled(): boolean { return this.sink.debug; }
  private out(level: Level, msg: string): void {
    if (level === 'debug' && !this.sink.debug) return;
    if (this.sink.quiet && level !== 'error' && level !== 'warn') return;
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${this.component}] ${msg}`;
    if (this.sink.write) return this.sink.write(line);
    if (this.sink.file) {
      try { appendFileSync(this.sink.file, line + '\n'); return; } catch { /* fall back to stderr */ }
    }
    process.stderr.write(line + '\n');
  }
  debug(msg: string): void { this.out('debug', msg); }
  info(msg: string): void { this.out('info', msg); }
  warn(msg: string): void { this.out('warn', msg); }
  error(msg: string): void { this.out('error', msg); }
  child(component: string): Logger { return new LineLogger(this.sink, component); }
}

export function createLogger(opts: { debug?: boolean; file?: string; quiet?: boolean; write?: (line: string) => void } = {}, component = 'edge'): Logger {
  return new LineLogger({ debug: !!opts.debug, file: opts.file, quiet: !!opts.quiet, write: opts.write }, component);
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = createLogger({ write: () => undefined });
