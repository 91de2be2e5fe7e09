/**
 * Route conditions: `key=pattern[|pattern…]`, where key is callingAe, calledAe, sopClass
 * or any top-level attribute keyword/tag, and a pattern uses the wildcards `*` (any run of
 * characters) and `?` (one character), like PS3.4 C.2.2.2.4 wildcard matching. Matching
 * ignores case and leading/trailing blanks (padding, PS3.5 6.2); a multi-valued attribute
 * matches when its whole value or any one of its values matches. Pure: no I/O.
 */
import { expandAbbreviation } from '../dicom/sop-classes';
import { parseTag, tagHex, vrForTag } from '../dicom/identifier';

export type ConditionKey = 'callingAe' | 'calledAe' | 'sopClass' | 'tag';

export interface MatchCondition {
  key: ConditionKey;
  /** For key 'tag': the attribute (e.g. 0x00080060 for Modality). */
  tag?: number;
  /** As written, for messages. */
  text: string;
  /** Alternatives; any one matching is enough. */
  patterns: string[];
}

/** What a condition is evaluated against: AE titles, SOP class, and attribute values by tag. */
export interface MatchSubject {
  callingAe: string | null;
  calledAe: string | null;
  sopClassUid: string;
  /** The attribute's value (multiple values joined by `\`), or null when absent. */
  attribute(tag: number): string | null;
}

const KEY_ALIASES: Record<string, ConditionKey> = {
  callingae: 'callingAe', callingaet: 'callingAe', calling: 'callingAe', from: 'callingAe',
  calledae: 'calledAe', calledaet: 'calledAe', called: 'calledAe',
  sopclass: 'sopClass', sopclassuid: 'sopClass',
};

/** Parses one `key=value` condition; a string is the problem. */
export function parseCondition(text: string): MatchCondition | string {
  const eq = text.indexOf('=');
  if (eq <= 0) return `condition "${text}" is not key=value`;
  const rawKey = text.slice(0, eq).trim();
  const rawValue = text.slice(eq + 1).trim();
  const alts = rawValue.split('|').map((s) => s.trim());
  if (alts.some((a) => a === '')) return `condition "${text}" has an empty value`;
  const key = KEY_ALIASES[rawKey.toLowerCase()];
  if (key === 'sopClass') {
    const patterns: string[] = [];
    for (const a of alts) {
      if (/^[0-9.*?]+$/.test(a)) patterns.push(a);
      else {
        const uids = expandAbbreviation(a);
        if (!uids) return `"${a}" is neither a SOP class abbreviation nor a UID`;
        patterns.push(...uids);
      }
    }
    return { key, text, patterns };
  }
  if (key) return { key, text, patterns: alts };
  let tag: number;
  try {
    tag = parseTag(rawKey);
  } catch {
    return `unknown attribute "${rawKey}" (use a PS3.6 keyword such as StationName, or (gggg,eeee))`;
  }
  const vr = vrForTag(tag);
  if (vr === 'SQ') return `${rawKey} ${tagHex(tag)} is a sequence: only top-level attributes can be matched`;
  return { key: 'tag', tag, text, patterns: alts };
}

/** `*`/`?` pattern → anchored, case-insensitive RegExp. */
export function wildcardRegExp(pattern: string): RegExp {
  const body = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'is');
}

export function matchesPattern(pattern: string, value: string | null): boolean {
  const v = (value ?? '').trim();
  const re = wildcardRegExp(pattern);
  if (re.test(v)) return true;
  return v.includes('\\') && v.split('\\').some((part) => re.test(part.trim()));
}

function valueOf(c: MatchCondition, s: MatchSubject): string | null {
  switch (c.key) {
    case 'callingAe': return s.callingAe;
    case 'calledAe': return s.calledAe;
    case 'sopClass': return s.sopClassUid;
    case 'tag': return s.attribute(c.tag!);
  }
}

/** True when every condition holds (no conditions: everything matches). */
export function matchesAll(conditions: readonly MatchCondition[], s: MatchSubject): boolean {
  return conditions.every((c) => {
    const v = valueOf(c, s);
    return c.patterns.some((p) => matchesPattern(p, v));
  });
}

/** Tags whose values the conditions need (for reading them from the file once). */
export function tagsNeeded(conditions: readonly MatchCondition[]): number[] {
  return [...new Set(conditions.filter((c) => c.key === 'tag').map((c) => c.tag!))];
}
