/**
 * Return keys the index does not hold are read from a stored file that stands for the
 * entity (PS3.4 C.4.1.2.1: every requested key is returned). Only the data set before
 * Pixel Data is decoded, from a growing prefix of the file, and only the wanted tags kept.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeDataSet } from '../dicom/identifier-codec';
import type { IdElement, IdValue, Identifier } from '../dicom/identifier';
import { parseCharsetTerms } from './charset';
import { isUniversalValue, matchesValue } from './query-match';
import { TAG, type ReturnKey } from './query-keys';

/** Reads `length` bytes of a stored file (path relative to the store root) at `offset`. */
export type ReadAt = (relPath: string, offset: number, length: number) => Promise<Buffer>;

export interface StoredRef {
  path: string;
  ts: string;
  offset: number;
}

const FIRST_READ = 64 * 1024;
const MAX_READ = 64 * 1024 * 1024;

/** A ReadAt over files under `root`. */
export function fsReadAt(root: string): ReadAt {
  return async (relPath, offset, length) => {
    const fh = await open(join(root, relPath), 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  };
}

/** A ReadAt over a whole-file reader (QueryEngineOptions.readFile). */
export function readAtFromWholeFile(readFile: (relPath: string) => Promise<Buffer>): ReadAt {
  return async (relPath, offset, length) => (await readFile(relPath)).subarray(offset, offset + length);
}

/**
 * The top-level elements of `ref` whose tags are in `wanted` (plus Specific Character
 * Set), decoded up to Pixel Data.
 */
export async function readStoredAttributes(readAt: ReadAt, ref: StoredRef, wanted: Set<number>): Promise<Identifier> {
  const keep = (tag: number): boolean => wanted.has(tag);
  for (let want = FIRST_READ; ; want *= 4) {
    const bytes = await readAt(ref.path, ref.offset, want);
    const eof = bytes.length < want;
    const r = decodeDataSet(bytes, ref.ts, { stopAtTag: TAG.PixelData, keep, allowTruncated: !eof });
    if (r.stopped || eof) return r.identifier;
    if (want >= MAX_READ) return r.identifier;
  }
}

/** A small per-request cache: entity → its stored attributes (or null when unreadable). */
export class StoredAttributeCache {
  private readonly map = new Map<string, Promise<Identifier | null>>();
  constructor(private readonly limit = 256) {}

  get(key: string, load: () => Promise<Identifier | null>): Promise<Identifier | null> {
    let p = this.map.get(key);
    if (!p) {
      p = load().catch(() => null);
      this.map.set(key, p);
      if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as string);
    }
    return p;
  }
}

function emptyValue(vr: string): IdValue {
  return vr === 'SQ' ? [] : '';
}

/** The response element for one requested key (C.4.1.2.1: present even when empty). */
export function returnValue(key: ReturnKey, row: unknown[], stored: Identifier | null): IdElement {
  const { request, vr, source } = key;
  if (source.kind === 'const') return { tag: request.tag, vr, value: source.value };
  if (source.kind === 'empty') return { tag: request.tag, vr, value: emptyValue(vr) };
  if (source.kind === 'index') {
    const v = row[source.column];
    return { tag: request.tag, vr, value: v === null || v === undefined ? '' : String(v) };
  }
  const found = stored?.find((e) => e.tag === request.tag);
  if (!found) return { tag: request.tag, vr, value: emptyValue(vr) };
  if (found.vr === 'SQ' && Array.isArray(request.value)) return { ...found, value: sequenceReturn(request.value as Identifier[], found.value as Identifier[]) };
  return found;
}

/**
 * C.2.2.2.6: an empty sequence key (or one empty item) returns the stored items whole;
 * otherwise the items that match, each reduced to the requested keys.
 */
function sequenceReturn(query: Identifier[], stored: Identifier[]): Identifier[] {
  const item = query[0];
  if (!item || item.length === 0) return stored;
  const matching = isUniversalValue(query) ? stored : stored.filter((s) => matchesValue('SQ', [item], [s]));
  return matching.map((s) =>
    item.map((k) => {
      const sub = s.find((e) => e.tag === k.tag);
      if (!sub) return { tag: k.tag, vr: k.vr, value: emptyValue(k.vr) };
      return sub.vr === 'SQ' && Array.isArray(k.value) ? { ...sub, value: sequenceReturn(k.value as Identifier[], sub.value as Identifier[]) } : sub;
    }),
  );
}

function maxCodePoint(id: Identifier): number {
  let max = 0;
  for (const el of id) {
    if (typeof el.value === 'string') {
      for (const c of el.value) max = Math.max(max, c.codePointAt(0)!);
    } else if (el.vr === 'SQ' && Array.isArray(el.value)) {
      for (const item of el.value as Identifier[]) max = Math.max(max, maxCodePoint(item));
    }
  }
  return max;
}

/**
 * (0008,0005) of a response: ASCII text keeps what the request said (or nothing);
 * Latin-1 text stays ISO_IR 100 when the request used it; anything else is ISO_IR 192.
 */
export function responseCharset(out: Identifier, requested: string | undefined): string | undefined {
  const max = maxCodePoint(out);
  if (max < 0x80) return requested || undefined;
  if (max <= 0xff && parseCharsetTerms(requested)[0] === 'ISO_IR 100') return 'ISO_IR 100';
  return 'ISO_IR 192';
}
