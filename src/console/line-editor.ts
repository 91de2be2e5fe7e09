/**
 * Bytes from a terminal → whole lines, as a small Transform kept apart from the port
 * (zigbee-herdsman's parser habit). Terminal programs (minicom, screen, PuTTY) send each key
 * as typed and do not echo locally, so with `echo` set we echo what was accepted:
 *  - printable characters (UTF-8, split multi-byte sequences are fine) are appended;
 *  - BS (0x08) and DEL (0x7f) erase one character (echo "\b \b"), Ctrl-U the whole line;
 *  - CR, LF and CRLF end a line (the LF of a CRLF is not a second, empty line);
 *  - Ctrl-C drops the line (an `interrupt` event);
 *  - ANSI escape sequences (arrow keys: ESC [ A, ESC O P, …) and other control bytes are
 *    ignored, so they never reach a command;
 *  - a line longer than `maxLength` rings the bell and ends as a `too-long` event, never
 *    as a truncated command.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export type LineEvent =
  | { type: 'line'; text: string }
  | { type: 'too-long'; max: number }
  | { type: 'interrupt' };

export interface LineEditorOptions {
  /** Where echoed characters go; absent: no echo (pipes, or a terminal that echoes itself). */
  echo?: (text: string) => void;
  /** Default 512 characters. */
  maxLength?: number;
}

const BS = '\b';
const DEL = '\x7f';
const ESC = '\x1b';
const CTRL_C = '\x03';
const CTRL_U = '\x15';
const BEL = '\x07';

type EscState = 'none' | 'esc' | 'csi' | 'ss3';

export class LineEditor extends Transform {
  readonly maxLength: number;
  private readonly echoFn?: (text: string) => void;
  private readonly decoder = new StringDecoder('utf8');
  private chars: string[] = [];
  private overflow = false;
  private lastWasCr = false;
  private esc: EscState = 'none';
  private secret = false;

  constructor(o: LineEditorOptions = {}) {
    super({ readableObjectMode: true });
    this.echoFn = o.echo;
    this.maxLength = o.maxLength ?? 512;
  }

  /** Secret input (a password): each character echoes as `*`. */
  setSecret(on: boolean): void {
    this.secret = on;
  }

  /** The line typed so far (for tests and redisplay). */
  get pending(): string {
    return this.chars.join('');
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    for (const ch of text) this.feed(ch);
    done();
  }

  override _flush(done: TransformCallback): void {
    for (const ch of this.decoder.end()) this.feed(ch);
    if (this.chars.length > 0 && !this.overflow) this.push({ type: 'line', text: this.takeLine() });
    done();
  }

  private feed(ch: string): void {
    if (this.esc !== 'none') return this.escape(ch);
    const wasCr = this.lastWasCr;
    this.lastWasCr = ch === '\r';
    if (ch === '\n' && wasCr) return;
    if (ch === '\r' || ch === '\n') return this.endLine();
    if (ch === BS || ch === DEL) return this.erase(1);
    if (ch === CTRL_U) return this.erase(this.chars.length);
    if (ch === CTRL_C) return this.interrupt();
    if (ch === ESC) {
      this.esc = 'esc';
      return;
    }
    if (ch === '\t') return this.add(' ');
    if (isControl(ch)) return;
    this.add(ch);
  }

  /** ECMA-48 5.4: CSI parameters/intermediates 0x20-0x3f, final byte 0x40-0x7e; SS3 takes one. */
  private escape(ch: string): void {
    const c = ch.codePointAt(0)!;
    if (this.esc === 'esc') this.esc = ch === '[' ? 'csi' : ch === 'O' ? 'ss3' : 'none';
    else if (this.esc === 'ss3') this.esc = 'none';
    else if (c >= 0x40 && c <= 0x7e) this.esc = 'none';
    else if (c < 0x20 || c > 0x7e) this.esc = 'none'; // malformed: give up on the sequence
  }

  private add(ch: string): void {
    if (this.chars.length >= this.maxLength) {
      this.overflow = true;
      this.out(BEL);
      return;
    }
    this.chars.push(ch);
    this.out(this.secret ? '*' : ch);
  }

  private erase(n: number): void {
    const k = Math.min(n, this.chars.length);
    if (k === 0) return;
    this.chars.splice(this.chars.length - k, k);
    this.out('\b \b'.repeat(k));
  }

  private endLine(): void {
    this.out('\r\n');
    if (this.overflow) {
      this.chars = [];
      this.overflow = false;
      this.push({ type: 'too-long', max: this.maxLength });
      return;
    }
    this.push({ type: 'line', text: this.takeLine() });
  }

  private interrupt(): void {
    this.out('^C\r\n');
    this.chars = [];
    this.overflow = false;
    this.push({ type: 'interrupt' });
  }

  private takeLine(): string {
    const s = this.chars.join('');
    this.chars = [];
    return s;
  }

  private out(s: string): void {
    this.echoFn?.(s);
  }
}

function isControl(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return c < 0x20 || (c >= 0x7f && c < 0xa0);
}
