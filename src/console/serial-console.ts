/**
 * The setup console on a serial line, 8N1 at [Console] baud. The port takes an injectable
 * binding (`@serialport/binding-mock` in tests); bytes go through the LineEditor (which
 * echoes, as terminal programs do not) to a ConsoleSession. A missing or unplugged device is
 * logged, not fatal: opening is retried every `retryMs`.
 */
import type { SerialPort } from 'serialport';
import { errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import type { ConsoleBackend } from './backend';
import { LineEditor } from './line-editor';
import { ConsoleSession } from './session';

export interface SerialConsoleOptions {
  device: string;
  baud: number;
  backend: ConsoleBackend;
  password: () => string | undefined;
  log: Logger;
  /** Default: the platform binding of the `serialport` package. */
  binding?: object;
  /** Default 5000 ms. */
  retryMs?: number;
  failDelayMs?: number;
}

export class SerialConsole {
  private port?: SerialPort;
  private session?: ConsoleSession;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private lastError = '';
  private opened?: Promise<void>;
  private markOpen?: () => void;

  constructor(private readonly o: SerialConsoleOptions) {}

  get device(): string { return this.o.device; }
  get baud(): number { return this.o.baud; }

  /** "DEVICE at BAUD 8N1: open" or "…: waiting (why)". */
  get state(): string {
    const s = this.port?.isOpen ? 'open' : `waiting${this.lastError ? ` (${this.lastError})` : ''}`;
    return `${this.o.device} at ${this.o.baud} 8N1: ${s}`;
  }

  /** Starts opening (and retrying); resolves when the port is first open (tests). */
  start(): Promise<void> {
    this.opened ??= new Promise((r) => { this.markOpen = r; });
    this.tryOpen();
    return this.opened;
  }

  /** The open port (tests reach the mock binding through it). */
  get openPort(): SerialPort | undefined { return this.port?.isOpen ? this.port : undefined; }

  /** The session on the line (tests). */
  get currentSession(): ConsoleSession | undefined { return this.session; }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.session?.close();
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
  }

  private tryOpen(): void {
    if (this.stopped) return;
    let port: SerialPort;
    try {
      // Loaded here, not at import: an agent without a console never loads the native addon.
      const { SerialPort: Port } = require('serialport') as typeof import('serialport');
      port = new Port({
        path: this.o.device, baudRate: this.o.baud, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false,
        ...(this.o.binding ? { binding: this.o.binding } : {}),
      } as ConstructorParameters<typeof Port>[0]);
    } catch (e) {
      return this.failed(e);
    }
    port.on('error', (e) => this.o.log.warn(`serial console ${this.o.device}: ${e.message}`));
    port.open((err) => (err ? this.failed(err) : this.onOpen(port)));
  }

  private failed(e: unknown): void {
    const msg = errorMessage(e);
    // One warning per distinct reason, not one every retry.
    if (msg !== this.lastError) this.o.log.warn(`serial console ${this.o.device}: ${msg}; retrying every ${(this.o.retryMs ?? 5000) / 1000} s`);
    this.lastError = msg;
    this.retry();
  }

  private retry(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tryOpen(), this.o.retryMs ?? 5000);
    this.timer.unref();
  }

  private onOpen(port: SerialPort): void {
    if (this.stopped) {
      port.close();
      return;
    }
    this.port = port;
    this.lastError = '';
    this.o.log.info(`serial console on ${this.o.device} at ${this.o.baud} 8N1`);
    const write = (s: string): void => {
      if (port.isOpen) port.write(s);
    };
    const editor = new LineEditor({ echo: write });
    const session = new ConsoleSession({
      backend: this.o.backend, write, crlf: true, password: this.o.password, log: this.o.log,
      label: `serial ${this.o.device}`, failDelayMs: this.o.failDelayMs,
    }).attach(editor);
    this.session = session;
    port.on('data', (d: Buffer) => editor.write(d));
    port.once('close', () => {
      session.close();
      if (this.stopped) return;
      this.o.log.warn(`serial console ${this.o.device} closed; reopening`);
      this.port = undefined;
      this.retry();
    });
    void session.start();
    this.markOpen?.();
  }
}
