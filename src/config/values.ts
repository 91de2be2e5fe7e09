/**
 * Option value parsers, one per schema type. The statement says "leading and trailing
 * spaces are significant". We read that per type:
 *  - free text (userName, comment): kept as written, except the one blank that belongs to
 *    the `name = value` separator; a value in double quotes is taken literally without them.
 *  - AE titles: stripped, because PS3.5 6.2 (VR AE) makes leading and trailing spaces
 *    non-significant padding.
 *  - numbers, booleans, UIDs (PS3.5 9.1 has no spaces), IP addresses, abbreviations,
 *    transfer syntax names, enums and paths: stripped (a trailing blank in a path is never meant).
 */
import { isIP } from 'node:net';
import { expandAbbreviation } from '../dicom/sop-classes';
import { isTransferSyntaxArc, transferSyntaxUid } from '../dicom/transfer-syntaxes';
import type { OptionDef, ParseResult } from './schema';

const BOOLS: Record<string, boolean> = { on: true, yes: true, true: true, '1': true, off: false, no: false, false: false, '0': false };

/** A parsed `scp = ct, mr, explicitLittle` value: one UID list per class word, then the syntaxes. */
export interface ContextsValue {
  classes: { word: string; uids: string[] }[];
  transferSyntaxes: string[];
}

export function parseOptionValue(def: OptionDef, rawValue: string): ParseResult {
  const v = rawValue.trim();
  switch (def.type) {
    case 'int': return parseInt(v, def.min, def.max, def.allowZero);
    case 'bool': return parseBool(v);
    case 'text': return { value: parseText(rawValue) };
    case 'word': return v === '' ? { problem: 'empty value' } : { value: v };
    case 'path': return v === '' ? { problem: 'empty path' } : { value: v };
    case 'aeTitle': return wrap(aeTitleProblem(v), v);
    case 'uid': return wrap(uidProblem(v), v);
    case 'ip': return isIP(v) ? { value: v } : { problem: `"${v}" is not an IPv4/IPv6 address` };
    case 'enum': return parseEnum(v, def.values ?? []);
    case 'contexts': return parseContexts(v);
    case 'accept': return parseAccept(v);
    case 'trSyn': return parseTrSyn(v);
    case 'custom': return def.parse ? def.parse(rawValue) : { value: v };
  }
}

function wrap(problem: string | undefined, value: unknown): ParseResult {
  return problem ? { problem } : { value };
}

function parseInt(v: string, min = 0, max = Number.MAX_SAFE_INTEGER, allowZero = false): ParseResult {
  if (!/^[+-]?\d+$/.test(v)) return { problem: `"${v}" is not a whole number` };
  const n = Number(v);
  if (allowZero && n === 0) return { value: 0 };
  if (n < min || n > max) return { problem: `${v} is out of range ${allowZero ? '0 or ' : ''}${min}-${max}` };
  return { value: n };
}

function parseBool(v: string): ParseResult {
  const b = BOOLS[v.toLowerCase()];
  return b === undefined ? { problem: `"${v}" is not On/Off, Yes/No, true/false or 1/0` } : { value: b };
}

/** Free text: drop the separator blank of `name = value`; "..." keeps everything inside. */
export function parseText(raw: string): string {
  const s = raw.startsWith(' ') || raw.startsWith('\t') ? raw.slice(1) : raw;
  const q = s.trim();
  if (q.length >= 2 && q.startsWith('"') && q.endsWith('"')) return q.slice(1, -1);
  return s;
}

function parseEnum(v: string, values: readonly string[]): ParseResult {
  const hit = values.find((x) => x.toLowerCase() === v.toLowerCase());
  return hit ? { value: hit } : { problem: `"${v}" is not one of ${values.join(', ')}` };
}

/** PS3.5 6.2 VR AE: at most 16 characters of the default repertoire, no backslash or control characters. */
export function aeTitleProblem(ae: string): string | undefined {
  if (ae === '') return 'AE title is empty';
  if (ae.length > 16) return `AE title "${ae}" is longer than 16 characters`;
  if (/[\\]/.test(ae)) return `AE title "${ae}" contains a backslash`;
  if (!/^[\x20-\x7e]+$/.test(ae)) return `AE title "${ae}" contains control or non-ASCII characters`;
  return undefined;
}

/** PS3.5 9.1: digits and dots, no empty or leading-zero components, at most 64 characters. */
export function uidProblem(uid: string): string | undefined {
  if (uid.length === 0 || uid.length > 64) return `bad UID syntax "${uid}" (1-64 characters)`;
  if (!/^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/.test(uid)) return `bad UID syntax "${uid}"`;
  return undefined;
}

function split(v: string): string[] {
  return v.split(',').map((t) => t.trim());
}

function looksLikeUid(word: string): boolean {
  return /^[\d.]+$/.test(word);
}

function transferSyntaxOf(word: string): { uid?: string; problem?: string; isTs: boolean } {
  const uid = transferSyntaxUid(word);
  if (uid) return { uid, isTs: true };
  if (looksLikeUid(word) && !uidProblem(word) && isTransferSyntaxArc(word)) {
    return { isTs: true, problem: `unsupported transfer syntax ${word}` };
  }
  return { isTs: false };
}

/**
 * `SOP-CLASS[, SOP-CLASS...][, TRANSFER-SYNTAX...]`: classes (abbreviations or dotted UIDs)
 * come first, each gets the syntaxes listed after them (none = the section's default list).
 */
export function parseContexts(v: string): ParseResult {
  const out: ContextsValue = { classes: [], transferSyntaxes: [] };
  const problems: string[] = [];
  for (const word of split(v)) {
    const ts = transferSyntaxOf(word);
    if (ts.isTs) {
      if (ts.problem) problems.push(ts.problem);
      else if (!out.transferSyntaxes.includes(ts.uid!)) out.transferSyntaxes.push(ts.uid!);
      continue;
    }
    const uids = classUids(word, problems);
    if (!uids) continue;
    if (out.transferSyntaxes.length > 0) problems.push(`SOP class "${word}" after a transfer syntax (write classes first)`);
    else out.classes.push({ word, uids });
  }
  if (problems.length === 0 && out.classes.length === 0) problems.push('no SOP class given');
  return problems.length ? { problem: problems.join('; ') } : { value: out };
}

function classUids(word: string, problems: string[]): string[] | undefined {
  if (word === '') {
    problems.push('empty item in comma list');
    return undefined;
  }
  const expanded = expandAbbreviation(word);
  if (expanded) return expanded;
  if (looksLikeUid(word)) {
    const p = uidProblem(word);
    if (p) problems.push(p);
    return p ? undefined : [word];
  }
  problems.push(`unknown SOP class abbreviation or transfer syntax "${word}"`);
  return undefined;
}

export function parseTrSyn(v: string): ParseResult {
  const uids: string[] = [];
  const problems: string[] = [];
  for (const word of split(v)) {
    const uid = transferSyntaxUid(word);
    if (uid) {
      if (!uids.includes(uid)) uids.push(uid);
    } else if (word === '') problems.push('empty item in comma list');
    else if (looksLikeUid(word) && uidProblem(word)) problems.push(uidProblem(word)!);
    else problems.push(`unknown transfer syntax "${word}" (implicitLittle, explicitLittle, explicitBig or their UIDs)`);
  }
  return problems.length ? { problem: problems.join('; ') } : { value: uids };
}

/** `AE_TITLE, IP[, AE_TITLE, IP...]`; IP may be `*` for any address (ours). */
export function parseAccept(v: string): ParseResult {
  const words = split(v);
  if (words.length % 2 !== 0) return { problem: `expected AE_TITLE, IP_ADDRESS pairs, got "${v}"` };
  const out: { aeTitle: string; ip: string }[] = [];
  const problems: string[] = [];
  for (let i = 0; i < words.length; i += 2) {
    const [aeTitle, ip] = [words[i], words[i + 1]];
    const p = aeTitleProblem(aeTitle);
    if (p) problems.push(p);
    if (ip !== '*' && !isIP(ip)) problems.push(`"${ip}" is not an IPv4/IPv6 address or *`);
    out.push({ aeTitle, ip });
  }
  return problems.length ? { problem: problems.join('; ') } : { value: out };
}
