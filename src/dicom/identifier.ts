/**
 * C-FIND / C-MOVE / C-GET Identifiers (PS3.4 C.4) as an ordered list of elements,
 * plus the keyword ↔ tag lookup and the `-k key=value` syntax of DCMTK's findscu.
 *
 * Value model (decoded by identifier-codec.ts):
 *  - SQ: the items, each an Identifier (`[]` is a zero-length sequence);
 *  - text VRs (AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT): one string with the
 *    multiple values still joined by `\`, padding removed, decoded per (0008,0005);
 *  - US SS UL SL FL FD SV UV: decimal numbers joined by `\`; AT: `GGGGEEEE` joined by `\`;
 *  - OB OW OF OD OL OV UN: the raw bytes (little endian).
 * `string[]` is accepted on encode and joined with `\`.
 */
import { EdgeError } from '../util/errors';
import { implicitVr } from './vr-dictionary';

export type IdValue = string | string[] | Identifier[] | Buffer;
export interface IdElement {
  tag: number;
  vr: string;
  value: IdValue;
}
export type Identifier = IdElement[];

export { decodeIdentifier, decodeDataSet, encodeIdentifier } from './identifier-codec';

export const TAG_SPECIFIC_CHARACTER_SET = 0x00080005;
export const TAG_QUERY_RETRIEVE_LEVEL = 0x00080052;

interface DictEntry { tag: string; vr: string; name: string }
let byKeyword: Map<string, number> | undefined;
let byTag: Map<number, string> | undefined;

function loadKeywords(): void {
  // dcmjs has no types; nameMap is keyword → { tag: "(GGGG,EEEE)", vr, name }.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dcmjs = require('dcmjs') as { data: { DicomMetaDictionary: { nameMap: Record<string, DictEntry> } } };
  byKeyword = new Map();
  byTag = new Map();
  for (const [keyword, entry] of Object.entries(dcmjs.data.DicomMetaDictionary.nameMap)) {
    const m = /^\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)$/.exec(entry.tag);
    if (!m || keyword.startsWith('RETIRED_')) continue;
    const tag = parseInt(m[1] + m[2], 16) >>> 0;
    byKeyword.set(keyword, tag);
    if (!byTag.has(tag)) byTag.set(tag, keyword);
  }
}

/** PS3.6 keyword → tag (`PatientName` → 0x00100010), or undefined. */
export function tagForKeyword(keyword: string): number | undefined {
  if (!byKeyword) loadKeywords();
  return byKeyword!.get(keyword);
}

/** Tag → PS3.6 keyword, or undefined (private and unknown tags). */
export function keywordForTag(tag: number): string | undefined {
  if (!byTag) loadKeywords();
  return byTag!.get(tag >>> 0);
}

/** The VR to use for a tag when none is given (dictionary; US for US/SS, OW for OB/OW). */
export function vrForTag(tag: number): string {
  return implicitVr(tag >>> 0);
}

export function tagHex(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

export function findElement(id: Identifier, tag: number): IdElement | undefined {
  return id.find((e) => e.tag === tag >>> 0);
}

/** The value of `tag` as text (arrays joined by `\`), or undefined when absent or not text. */
export function get(id: Identifier, tag: number): string | undefined {
  const el = findElement(id, tag);
  const v = el?.value;
  if (el?.vr === 'SQ') return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return (v as string[]).join('\\');
  return undefined;
}

/** Sets (replaces or inserts in ascending tag order) an element; VR from the dictionary if omitted. */
export function set(id: Identifier, tag: number, value: IdValue, vr?: string): IdElement {
  const t = tag >>> 0;
  const el: IdElement = { tag: t, vr: vr ?? vrForTag(t), value };
  const at = id.findIndex((e) => e.tag >= t);
  if (at < 0) id.push(el);
  else if (id[at].tag === t) id[at] = el;
  else id.splice(at, 0, el);
  return el;
}

export function remove(id: Identifier, tag: number): boolean {
  const at = id.findIndex((e) => e.tag === tag >>> 0);
  if (at >= 0) id.splice(at, 1);
  return at >= 0;
}

/** One step of a key path: a tag, and for sequences the item index that follows. */
export interface KeyStep {
  tag: number;
  item?: number;
}

/** Parses one path component: `PatientName`, `(0010,0010)`, `0010,0010` or `00100010`. */
export function parseTag(text: string): number {
  const s = text.trim();
  const m = /^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$/.exec(s);
  if (m) return parseInt(m[1] + m[2], 16) >>> 0;
  const tag = /^[A-Za-z][A-Za-z0-9]*$/.test(s) ? tagForKeyword(s) : undefined;
  if (tag === undefined) throw new EdgeError('IDENTIFIER_BAD_KEY', `unknown attribute ${JSON.stringify(s)}`);
  return tag;
}

/**
 * Parses a findscu-style key path: `ScheduledProcedureStepSequence[0].Modality`,
 * `(0040,0100)[0].(0008,0060)`. Every step but the last must be a sequence with an item.
 */
export function parseKeyPath(path: string): KeyStep[] {
  const parts = path.trim().split('.');
  const steps = parts.map((part, i): KeyStep => {
    const m = /^(.*?)(?:\[(\d+)\])?$/.exec(part.trim())!;
    const step: KeyStep = { tag: parseTag(m[1]) };
    if (m[2] !== undefined) step.item = Number(m[2]);
    if (i < parts.length - 1 && step.item === undefined) {
      throw new EdgeError('IDENTIFIER_BAD_KEY', `${JSON.stringify(part)} in ${JSON.stringify(path)} needs an item index like [0]`);
    }
    return step;
  });
  if (!steps.length) throw new EdgeError('IDENTIFIER_BAD_KEY', 'empty key');
  return steps;
}

/**
 * Applies `key=value` or `key` (empty value: a return key) like findscu `-k`. A last
 * step with an item index (`Seq[0]`) makes that item exist, empty.
 */
export function applyKey(id: Identifier, spec: string): Identifier {
  const eq = spec.indexOf('=');
  const path = parseKeyPath(eq < 0 ? spec : spec.slice(0, eq));
  const value = eq < 0 ? '' : spec.slice(eq + 1);
  let target = id;
  for (const [i, step] of path.entries()) {
    const last = i === path.length - 1;
    if (last && step.item === undefined) {
      const vr = vrForTag(step.tag);
      if (vr === 'SQ' && value !== '') throw new EdgeError('IDENTIFIER_BAD_KEY', `${tagHex(step.tag)} is a sequence: give an item, e.g. [0].Keyword=value`);
      set(target, step.tag, vr === 'SQ' ? [] : value, vr);
      break;
    }
    target = itemOf(target, step.tag, step.item!);
  }
  return id;
}

/** The item `index` of sequence `tag` in `id`, creating the sequence and empty items as needed. */
function itemOf(id: Identifier, tag: number, index: number): Identifier {
  let el = findElement(id, tag);
  if (!el || !Array.isArray(el.value) || el.vr !== 'SQ') el = set(id, tag, [], 'SQ');
  const items = el.value as Identifier[];
  while (items.length <= index) items.push([]);
  return items[index];
}

/** Builds an identifier from several `-k` specs. */
export function identifierFromKeys(specs: string[]): Identifier {
  const id: Identifier = [];
  for (const s of specs) applyKey(id, s);
  return id;
}
