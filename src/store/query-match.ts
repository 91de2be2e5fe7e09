/**
 * Attribute matching of PS3.4 C.2.2.2, twice: as SQL conditions over the index columns,
 * and in JavaScript for attributes read from stored files.
 *
 *  C.2.2.2.1 single value   C.2.2.2.2 list of UIDs   C.2.2.2.3 universal (empty value)
 *  C.2.2.2.4 wildcard * ?   C.2.2.2.5 range (DA, TM, DT)   C.2.2.2.6 sequence matching
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
export function matchesValue(vr: string, query: IdValue, stored: IdValue | undefined): boolean {
  if (vr === 'SQ' || (Array.isArray(query) && query.length > 0 && Array.isArray(query[0]))) {
    return matchesSequence(query as Identifier[], stored);
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

function matchesSequence(query: Identifier[], stored: IdValue | undefined): boolean {
  const item = query[0];
  if (!item || item.every((e) => isUniversalValue(e.value))) return true;
  if (!Array.isArray(stored)) return false;
  return (stored as Identifier[]).some((s) => Array.isArray(s) && item.every((k) => matchesValue(k.vr, k.value, s.find((e) => e.tag === k.tag)?.value)));
}

export function isUniversalValue(v: IdValue): boolean {
  if (Buffer.isBuffer(v)) return true;
  if (typeof v === 'string') return isUniversal(v.trim());
  if (v.length === 0) return true;
  if (typeof v[0] === 'string') return isUniversal((v as string[]).join('\\').trim());
  return (v as Identifier[]).every((item) => item.every((e) => isUniversalValue(e.value)));
}
