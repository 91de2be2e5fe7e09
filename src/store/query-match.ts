/**
 * Attribute matching of PS3.4 C.2.2.2, twice: as SQL conditions over the index columns,
 * and in JavaScript for attributes read from stored files.
 *
 *  C.2.2.2.1 single value   C.2.2.2.2 list of UIDs   C.2.2.2.3 universal (empty value)
 *  C.2.2.2.4 wildcard * ?   C.2.2.2.5 range (DA, TM, DT)   C.2.2.2.6 sequence matching
 *  C.2.2.2.5.4 combined date-time range matching of a DA/TM pair (when `combinedDateTime`)
 *
 * PN matches case-insensitively on the alphabetic group (the index keeps it upper-cased);
 * everything else is case-sensitive. A `\`-separated query value on a non-UID key is
 * taken as a list: the entity matches when any one value does.
 */
import { normalizePersonName, personNameGroups } from './charset';
import type { IdValue, Identifier } from '../dicom/identifier';
import type { IndexedKey } from './query-keys';

export interface SqlCondition {
  sql: string;
  params: Array<string | number>;
}

/** C.2.2.2.3/C.2.2.2.4: empty, or only `*`, matches everything. */
export function isUniversal(value: string): boolean {
  return /^\**$/.test(value);
}

export function hasWildcard(value: string): boolean {
  return /[*?]/.test(value);
}

/** A value that single-value matching may use on a unique key of a higher level. */
export function isSingleValue(value: string): boolean {
  return value !== '' && !hasWildcard(value) && !value.includes('\\');
}

/** DICOM wildcards → SQLite GLOB pattern; `[` is the only other GLOB metacharacter. */
export function toGlob(value: string): string {
  return value.replace(/\[/g, '[[]');
}

export interface Range {
  low: string | null;
  high: string | null;
}

/** C.2.2.2.5: `a-b`, `a-`, `-b`, or a single value (low = high). */
export function parseRange(value: string): Range {
  const dash = value.indexOf('-');
  if (dash < 0) return { low: value, high: value };
  const low = value.slice(0, dash).trim();
  const high = value.slice(dash + 1).trim();
  return { low: low || null, high: high || null };
}

/** TM (PS3.5 6.2) → HHMMSS for comparison; `upper` fills missing components with their maximum. */
export function timeBound(t: string, upper: boolean): string {
  const digits = t.replace(/:/g, '').split('.')[0];
  const fill = upper ? '235959' : '000000';
  return (digits + fill.slice(digits.length)).slice(0, 6);
}

/** DT → YYYYMMDDHHMMSS (offset and fraction ignored); `upper` fills with the maximum. */
export function dateTimeBound(dt: string, upper: boolean): string {
  const digits = dt.replace(/[+-]\d{4}$/, '').split('.')[0];
  const fill = upper ? '99991231235959' : '00000101000000';
  return (digits + fill.slice(digits.length)).slice(0, 14);
}

function split(value: string): string[] {
  return value.split('\\').map((v) => v.trim());
}

/**
 * The SQL condition for one indexed key, or null for universal matching.
 * Values are bound as parameters, never spliced into the SQL text.
 */
export function sqlCondition(key: IndexedKey, value: string): SqlCondition | null {
  if (isUniversal(value.trim())) return null;
  if (key.kind === 'exists') {
    const inner = orOf(split(value).map((v) => single(key.existsColumn!, 'text', v)));
    return { sql: key.exists!.replace('?COND?', inner.sql), params: inner.params };
  }
  const expr = key.match ?? key.column;
  if (key.kind === 'uid') {
    const uids = split(value).filter((u) => u !== '');
    if (uids.length === 1) return { sql: `${expr} = ?`, params: uids };
    return { sql: `${expr} IN (${uids.map(() => '?').join(', ')})`, params: uids };
  }
  return orOf(split(value).map((v) => single(expr, key.kind, v)));
}

function orOf(conds: SqlCondition[]): SqlCondition {
  if (conds.length === 1) return conds[0];
  return { sql: `(${conds.map((c) => c.sql).join(' OR ')})`, params: conds.flatMap((c) => c.params) };
}

function single(expr: string, kind: IndexedKey['kind'], v: string): SqlCondition {
  if (isUniversal(v)) return { sql: '1', params: [] };
  if (kind === 'date') return rangeSql(expr, parseRange(v), (b) => b);
  if (kind === 'time') {
    const r = parseRange(v);
    const norm = `substr(replace(${expr}, ':', '') || '000000', 1, 6)`;
    return rangeSql(norm, { low: r.low && timeBound(r.low, false), high: r.high && timeBound(r.high, true) }, (b) => b);
  }
  if (kind === 'pn') {
    const q = normalizePersonName(personNameGroups(v).alphabetic);
    if (isUniversal(q)) return { sql: '1', params: [] }; // e.g. only an ideographic group was given
    return hasWildcard(q) ? { sql: `${expr} GLOB ?`, params: [toGlob(q)] } : { sql: `${expr} = ?`, params: [q] };
  }
  if (kind === 'int') {
    if (hasWildcard(v)) return { sql: `CAST(${expr} AS TEXT) GLOB ?`, params: [toGlob(v)] };
    const n = Number(v);
    return Number.isFinite(n) ? { sql: `${expr} = ?`, params: [n] } : { sql: '0', params: [] };
  }
  return hasWildcard(v) ? { sql: `${expr} GLOB ?`, params: [toGlob(v)] } : { sql: `${expr} = ?`, params: [v] };
}

function rangeSql(expr: string, r: Range, f: (b: string) => string): SqlCondition {
  if (r.low !== null && r.low === r.high) return { sql: `${expr} = ?`, params: [f(r.low)] };
  const parts: string[] = [];
  const params: string[] = [];
  if (r.low !== null) {
    parts.push(`${expr} >= ?`);
    params.push(f(r.low));
  }
  if (r.high !== null) {
    parts.push(`${expr} <= ?`);
    params.push(f(r.high));
  }
  if (!parts.length) return { sql: `${expr} IS NOT NULL`, params: [] };
  return { sql: `(${parts.join(' AND ')})`, params };
}

// ----------------------------------------------------------------------------- JavaScript

function wildcardRegExp(pattern: string, flags = ''): RegExp {
  const body = Array.from(pattern, (c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, `s${flags}`);
}

/** One query value against one stored value (both single values). */
function matchOne(vr: string, q: string, stored: string): boolean {
  if (isUniversal(q)) return true;
  if (vr === 'PN') {
    const a = normalizePersonName(personNameGroups(q).alphabetic);
    const b = normalizePersonName(personNameGroups(stored).alphabetic);
    return hasWildcard(a) ? wildcardRegExp(a).test(b) : a === b;
  }
  if (vr === 'DA') {
    const r = parseRange(q);
    if (!q.includes('-')) return stored === q;
    return (r.low === null || stored >= r.low) && (r.high === null || stored <= r.high);
  }
  if (vr === 'TM' || vr === 'DT') {
    // A single time is the period it names (1010 → 10:10:00-10:10:59), as in the SQL.
    const bound = vr === 'TM' ? timeBound : dateTimeBound;
    const r = parseRange(q);
    const s = bound(stored, false);
    return (r.low === null || s >= bound(r.low, false)) && (r.high === null || s <= bound(r.high, true));
  }
  if (vr === 'UI') return stored === q;
  return hasWildcard(q) ? wildcardRegExp(q).test(stored) : stored === q;
}

/**
 * Does a stored value match the query value? Multi-valued stored attributes match when
 * any of their values does; sequences per C.2.2.2.6 (some stored item matches every
 * non-universal key of the query's item).
 */
export function matchesValue(vr: string, query: IdValue, stored: IdValue | undefined, opts: MatchOptions = {}): boolean {
  if (vr === 'SQ' || (Array.isArray(query) && query.length > 0 && Array.isArray(query[0]))) {
    return matchesSequence(query as Identifier[], stored, opts);
  }
  if (Buffer.isBuffer(query)) return true; // binary keys cannot be matched: universal
  const q = Array.isArray(query) ? (query as string[]).join('\\') : query;
  if (isUniversal(q.trim())) return true;
  if (stored === undefined || Buffer.isBuffer(stored) || (Array.isArray(stored) && stored.some((x) => typeof x !== 'string'))) return false;
  const s = Array.isArray(stored) ? (stored as string[]).join('\\') : stored;
  if (s === '') return false;
  const values = vr === 'PN' || vr === 'LT' || vr === 'ST' || vr === 'UT' ? [s] : split(s);
  return split(q).some((qv) => values.some((sv) => matchOne(vr, qv, sv)));
}

function matchesSequence(query: Identifier[], stored: IdValue | undefined, opts: MatchOptions): boolean {
  const item = query[0];
  if (!item || item.every((e) => isUniversalValue(e.value))) return true;
  if (!Array.isArray(stored)) return false;
  return (stored as Identifier[]).some((s) => Array.isArray(s) && matchesItem(item, s, opts));
}

/**
 * Does a stored data set (an entity, or one item of a sequence) match every key of `query`?
 * With `combinedDateTime`, each DA/TM pair given as ranges of the same form is matched as
 * one date-time range (C.2.2.2.5.4) instead of two independent ranges.
 */
export function matchesItem(query: Identifier, stored: Identifier, opts: MatchOptions = {}): boolean {
  const pairs = opts.combinedDateTime ? combinedPairs(query) : [];
  const times = new Set(pairs.map((p) => p.timeTag));
  for (const k of query) {
    if (times.has(k.tag)) continue; // matched with its date below
    const pair = pairs.find((p) => p.dateTag === k.tag);
    const ok = pair
      ? matchesCombined(pair.range, textValue(stored.find((e) => e.tag === pair.dateTag)?.value), textValue(stored.find((e) => e.tag === pair.timeTag)?.value))
      : matchesValue(k.vr, k.value, stored.find((e) => e.tag === k.tag)?.value, opts);
    if (!ok) return false;
  }
  return true;
}

export function isUniversalValue(v: IdValue): boolean {
  if (Buffer.isBuffer(v)) return true;
  if (typeof v === 'string') return isUniversal(v.trim());
  if (v.length === 0) return true;
  if (typeof v[0] === 'string') return isUniversal((v as string[]).join('\\').trim());
  return (v as Identifier[]).every((item) => item.every((e) => isUniversalValue(e.value)));
}

// ----------------------------------------------------------------------- combined date-time

export interface MatchOptions {
  /**
   * PS3.4 C.2.2.2.5.4: "If extended negotiation of combined datetime matching is successful,
   * then a pair of Attributes that are of VR DA and TM, both of which specify the same form
   * of Range Matching, shall have the concatenated string values of each Range Matching
   * component matched as if they were a single Attribute of VR DT." Q/R: only when negotiated
   * (Table C.5-1/C.5-2 byte 2); Modality Worklist: always (Table K.6-1, remark on (0040,0003);
   * K.5.1.1 note: "date-time matching (Byte 2) is already required by the worklist
   * information models").
   */
  combinedDateTime?: boolean;
}

/** Date attribute → its Time attribute (PS3.6), the pairs C.2.2.2.5.4 can combine. */
export const DATE_TIME_PAIRS: ReadonlyMap<number, number> = new Map([
  [0x00080012, 0x00080013], // Instance Creation Date / Time
  [0x00080020, 0x00080030], // Study Date / Time
  [0x00080021, 0x00080031], // Series Date / Time
  [0x00080022, 0x00080032], // Acquisition Date / Time
  [0x00080023, 0x00080033], // Content Date / Time
  [0x00100030, 0x00100032], // Patient's Birth Date / Time
  [0x00400002, 0x00400003], // Scheduled Procedure Step Start Date / Time
  [0x00400004, 0x00400005], // Scheduled Procedure Step End Date / Time
  [0x00400244, 0x00400245], // Performed Procedure Step Start Date / Time
  [0x00400250, 0x00400251], // Performed Procedure Step End Date / Time
]);

type RangeForm = 'closed' | 'from' | 'to';

/** C.2.2.2.5.1/2 a-c: "<1> - <2>", "<1> -" or "- <2>"; null for a single value, a list or "-". */
export function rangeForm(value: string): RangeForm | null {
  const v = value.trim();
  if (v.includes('\\') || !v.includes('-')) return null;
  const r = parseRange(v);
  if (r.low !== null && r.high !== null) return 'closed';
  if (r.low !== null) return 'from';
  return r.high !== null ? 'to' : null;
}

/**
 * The combined range of a date and a time query value, as YYYYMMDDHHMMSS bounds, or null
 * when C.2.2.2.5.4 does not apply (not both ranges, or ranges of different forms): then
 * each is matched on its own. "20260101-20260102" with "1000-1200" is 2026-01-01 10:00:00
 * up to 2026-01-02 12:00:59, not 10:00-12:00 on each day.
 */
export function combinedRange(date: string, time: string): Range | null {
  const form = rangeForm(date);
  if (form === null || form !== rangeForm(time)) return null;
  const d = parseRange(date.trim());
  const t = parseRange(time.trim());
  return {
    low: d.low === null ? null : d.low + timeBound(t.low!, false),
    high: d.high === null ? null : d.high + timeBound(t.high!, true),
  };
}

/** A stored date and time against a combined range; an unknown date or time matches nothing (K.2.2.1.1.1). */
export function matchesCombined(r: Range, date: string | undefined, time: string | undefined): boolean {
  const d = date?.trim() ?? '';
  const t = time?.trim() ?? '';
  if (!/^\d{8}$/.test(d) || t === '') return false;
  const s = d + timeBound(t, false);
  return (r.low === null || s >= r.low) && (r.high === null || s <= r.high);
}

export interface CombinedPair {
  dateTag: number;
  timeTag: number;
  range: Range;
}

/** The DA/TM pairs of one identifier level (not inside sequences) that C.2.2.2.5.4 combines. */
export function combinedPairs(query: Identifier): CombinedPair[] {
  const out: CombinedPair[] = [];
  for (const [dateTag, timeTag] of DATE_TIME_PAIRS) {
    const d = textValue(query.find((e) => e.tag === dateTag)?.value);
    const t = textValue(query.find((e) => e.tag === timeTag)?.value);
    if (d === undefined || t === undefined) continue;
    const range = combinedRange(d, t);
    if (range) out.push({ dateTag, timeTag, range });
  }
  return out;
}

/** The SQL form of a combined pair over index columns (date || HHMMSS of the time). */
export function combinedSql(dateColumn: string, timeColumn: string, r: Range): SqlCondition {
  const expr = `(${dateColumn} || substr(replace(${timeColumn}, ':', '') || '000000', 1, 6))`;
  return rangeSql(expr, r, (b) => b);
}

function textValue(v: IdValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return (v as string[]).join('\\');
  return undefined;
}
