/**
 * One console session over any byte stream: a LineEditor in front, the command table
 * behind. It prints a banner and asks for the password when [Console] password is set,
 * runs one command at a time (lines typed meanwhile wait their turn), and turns every
 * failure into an "error: …" line, so nothing typed can throw into the agent.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError, errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import { packageVersion } from '../config/version';
import type { ConsoleBackend } from './backend';
import { findCommand, helpLines } from './commands';
import { restAfter, tokenize } from './command-table';
import { PendingConfig } from './pending';
import type { LineEditor, LineEvent } from './line-editor';

export const PROMPT = 'dicom-edge> ';
export const PASSWORD_PROMPT = 'password: ';

export interface SessionOptions {
  backend: ConsoleBackend;
  /** Raw output (the port, stdout). */
  write: (text: string) => void;
  /** Write "\r\n" line ends (serial lines and raw terminals). */
  crlf?: boolean;
  /** Read at each login, so a new password applies after a reload. */
  password?: () => string | undefined;
  /** Called on logout/exit; default: start over with the banner (and the password). */
  onLogout?: () => void;
  /** Pause after a wrong password (default 1000 ms). */
  failDelayMs?: number;
  log?: Logger;
  /** Where the session runs, for the log ("serial /dev/ttyS0", "stdin"). */
  label?: string;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class ConsoleSession {
  readonly pending = new PendingConfig();
  private editor?: LineEditor;
  private loggedIn = false;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly o: SessionOptions) {}

  /** Feeds the editor's events into this session. */
  attach(editor: LineEditor): this {
    this.editor = editor;
    editor.on('data', (ev: LineEvent) => this.input(ev));
    return this;
  }

  /** Banner, then the password prompt or the command prompt. */
  start(): Promise<void> {
    return this.enqueue(async () => {
      this.loggedIn = false;
      this.print([`dicom-edge ${packageVersion()} setup console${this.o.backend.offline ? ' (offline: editing the INI file)' : ''}`]);
      if (this.o.password?.()) {
        this.editor?.setSecret(true);
        this.o.write(PASSWORD_PROMPT);
        return;
      }
      this.loggedIn = true;
      this.print(['type "help" for the commands']);
      await this.loadPending();
      this.o.write(PROMPT);
    });
  }

  /** One event from the line editor; handled after the ones before it. */
  input(ev: LineEvent): Promise<void> {
    return this.enqueue(() => this.handle(ev));
  }

  /** Resolves when every queued line has been handled (tests). */
  idle(): Promise<void> {
    return this.chain;
  }

  close(): void {
    this.closed = true;
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(fn).catch((e) => {
      this.o.log?.error(`console ${this.o.label ?? ''}: ${errorMessage(e)}`);
    });
    return this.chain;
  }

  private async handle(ev: LineEvent): Promise<void> {
    if (this.closed) return;
    if (!this.loggedIn) return this.login(ev);
    if (ev.type === 'too-long') this.print([`error: line too long (at most ${ev.max} characters): ignored`]);
    else if (ev.type === 'line' && ev.text.trim() !== '') {
      const done = await this.command(ev.text);
      if (done) return;
    }
    if (!this.closed) this.o.write(PROMPT);
  }

  private async login(ev: LineEvent): Promise<void> {
    const expected = this.o.password?.();
    if (expected && (ev.type !== 'line' || ev.text === '')) {
      this.o.write(PASSWORD_PROMPT); // Enter on an empty line: a technician just plugged in
      return;
    }
    const given = ev.type === 'line' ? ev.text : '';
    if (!expected || timingSafeEqual(digest(given), digest(expected))) {
      this.editor?.setSecret(false);
      this.loggedIn = true;
      this.o.log?.info(`console ${this.o.label ?? ''}: logged in`);
      this.print(['type "help" for the commands']);
      await this.loadPending();
      this.o.write(PROMPT);
      return;
    }
    this.o.log?.warn(`console ${this.o.label ?? ''}: wrong password`);
    await new Promise((r) => setTimeout(r, this.o.failDelayMs ?? 1000));
    this.print(['wrong password']);
    this.o.write(PASSWORD_PROMPT);
  }

  /** Returns true when the session ended. */
  private async command(line: string): Promise<boolean> {
    let words: string[];
    try {
      words = tokenize(line);
    } catch (e) {
      this.print([`error: ${messageOf(e)}`]);
      return false;
    }
    const name = words[0].toLowerCase();
    if (name === 'logout' || name === 'exit' || name === 'quit') return this.logout();
    if (name === 'help' || name === '?') {
      this.print(helpLines(words[1]));
      return false;
    }
    const cmd = findCommand(name);
    if (!cmd) {
      this.print([`error: unknown command "${words[0]}": type help`]);
      return false;
    }
    try {
      if (!this.pending.loaded) await this.loadPending();
      const out = await cmd.run({ backend: this.o.backend, pending: this.pending, args: words.slice(1), rest: restAfter(line, 1) });
      this.print(out);
      if (cmd.name === 'apply' || cmd.name === 'revert') this.o.log?.info(`console ${this.o.label ?? ''}: ${line.trim()}: ${out[0] ?? ''}`);
    } catch (e) {
      this.print(errorLines(e));
    }
    return false;
  }

  private logout(): boolean {
    const n = this.pending.dirty ? this.pending.changes.length : 0;
    this.print([n ? `logged out; ${n} pending change(s) dropped` : 'logged out']);
    this.pending.reset({ path: '', text: '' });
    if (this.o.onLogout) this.o.onLogout();
    else void this.start();
    return true;
  }

  private async loadPending(): Promise<void> {
    try {
      this.pending.reset(await this.o.backend.readConfig());
    } catch (e) {
      this.print([`error: cannot read the configuration: ${messageOf(e)}`]);
    }
  }

  private print(lines: string[]): void {
    if (this.closed || lines.length === 0) return;
    const nl = this.o.crlf ? '\r\n' : '\n';
    this.o.write(lines.map((l) => l.replace(/\r?\n/g, nl)).join(nl) + nl);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function errorLines(e: unknown): string[] {
  if (e instanceof ConfigError) return ['error: refused, the configuration would have these problems:', ...e.problems.map((p) => `  ${p}`)];
  return [`error: ${messageOf(e)}`];
}
