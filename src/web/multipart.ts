/**
 * multipart/related (RFC 2387) as DICOMweb uses it (PS3.18 8.6.1.2): writing parts to a
 * response as they are read, and splitting a request body (STOW-RS) into parts.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { HttpError } from './http-util';

export class MultipartWriter {
  readonly boundary = `edge-${randomBytes(12).toString('hex')}`;
  constructor(private readonly res: ServerResponse) {}

  contentType(type: string, extra = ''): string {
    return `multipart/related; type="${type}"; boundary=${this.boundary}${extra}`;
  }

  async part(type: string, body: Buffer, headers: Record<string, string> = {}): Promise<void> {
    const h = Object.entries({ 'Content-Type': type, ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    await this.write(Buffer.from(`\r\n--${this.boundary}\r\n${h}\r\n`, 'latin1'));
    await this.write(body);
  }

  async end(): Promise<void> {
    await this.write(Buffer.from(`\r\n--${this.boundary}--\r\n`, 'latin1'));
    this.res.end();
  }

  private write(b: Buffer): Promise<void> {
    if (this.res.write(b)) return Promise.resolve();
    return new Promise((resolve) => this.res.once('drain', resolve));
  }
}

/** The boundary (and type) parameters of a multipart Content-Type. */
export function multipartParams(contentType: string | undefined): { boundary: string; type?: string } {
  const ct = contentType ?? '';
  if (!/^multipart\/related/i.test(ct.trim())) throw new HttpError(415, 'STOW-RS needs Content-Type multipart/related');
  const param = (name: string) => new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(ct);
  const b = param('boundary');
  const t = param('type');
  const boundary = b ? (b[1] ?? b[2]) : '';
  if (!boundary) throw new HttpError(400, 'multipart Content-Type without boundary');
  return { boundary, type: t ? (t[1] ?? t[2]) : undefined };
}

export interface Part { headers: Record<string, string>; body: Buffer }

/** Splits a whole multipart body into parts (headers lower-cased). */
export function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const parts: Part[] = [];
  let pos = body.indexOf(delim);
  if (pos < 0) throw new HttpError(400, 'multipart body without its boundary');
  for (;;) {
    pos += delim.length;
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') break; // close delimiter
    pos = skipLine(body, pos);
    const headerEnd = body.indexOf('\r\n\r\n', pos - 2, 'latin1');
    if (headerEnd < 0) throw new HttpError(400, 'multipart part without header end');
    const headers: Record<string, string> = {};
    const headerText = body.subarray(pos, headerEnd).toString('latin1');
    for (const line of headerText.split('\r\n')) {
      const c = line.indexOf(':');
      if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
    }
    const start = headerEnd + 4;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n', 'latin1'), delim]), start - 2);
    if (next < 0) throw new HttpError(400, 'multipart body ends inside a part');
    parts.push({ headers, body: body.subarray(start, Math.max(start, next)) });
    pos = next + 2;
  }
  return parts;
}

function skipLine(b: Buffer, pos: number): number {
  const eol = b.indexOf('\r\n', pos, 'latin1');
  return eol < 0 ? b.length : eol + 2;
}
