/**
 * Worklist matching on items held in memory (local files, cache, upstream answers) with
 * the C-FIND rules of src/store/query-match.ts (PS3.4 C.2.2.2: single value, list of UIDs,
 * universal, wildcard, range, sequence matching; PN case-insensitive). Scheduled Procedure
 * Step Start Date and Time given as ranges are one date-time range (Table K.6-1, remark on
 * (0040,0003): "the date range July 5 to July 7 and the time range 10am to 6pm specifies
 * the time period starting on July 5, 10am until July 7, 6pm"; C.2.2.2.5.4), with no
 * extended negotiation: K.5.1.1 notes that date-time matching "is already required by the
 * worklist information models" (its byte 2 is reserved, always 1). Then the response
 * of PS3.4 K.6.1.2.2 / C.2.2.3: exactly the requested keys, sequences reduced to the
 * requested item keys, Type 1 return keys never empty (an item lacking one is skipped).
 */
import { get, type IdElement, type Identifier } from '../dicom/identifier';
import { QueryError, QUERY_STATUS } from '../store/query';
import { responseCharset, returnValue } from '../store/query-files';
import { combinedPairs, isUniversal, matchesItem } from '../store/query-match';
import { MWL_TAG, TYPE1_SPS, TYPE1_TOP } from './keys';

const SKIP_MATCH = new Set([MWL_TAG.SpecificCharacterSet, 0x00080052]);

const DA_VALUE = /^(\d{8})?(-(\d{8})?)?$/;
const TM_PART = '\\d{2}(:?\\d{2}(:?\\d{2}(\\.\\d{1,6})?)?)?';
const TM_VALUE = new RegExp(`^(${TM_PART})?(-(${TM_PART})?)?$`);
const DT_VALUE = /^(\d{4,14}(\.\d{1,6})?([+-]\d{4})?)?(-(\d{4,14}(\.\d{1,6})?([+-]\d{4})?)?)?$/;

function bad(comment: string, tag: number): QueryError {
  return new QueryError(QUERY_STATUS.identifierDoesNotMatch, comment, [tag]);
}

/**
 * Refuses identifiers that cannot be matched (PS3.4 C.4.1.1.4 A900 "Identifier does not
 * match SOP Class"): a sequence key with more than one item (C.2.2.2.6: a single item), a
 * date or time that is neither a value nor a range (C.2.2.2.5).
 */
export function validateQuery(query: Identifier, depth = 0): void {
  for (const q of query) {
    const v = q.value;
    if (q.vr === 'SQ') {
      const items = v as Identifier[];
      if (items.length > 1) throw bad(`sequence key ${hex(q.tag)} has ${items.length} items (one allowed)`, q.tag);
      if (items[0] && depth < 4) validateQuery(items[0], depth + 1);
      continue;
    }
    if (typeof v !== 'string' || isUniversal(v.trim())) continue;
    const re = q.vr === 'DA' ? DA_VALUE : q.vr === 'TM' ? TM_VALUE : q.vr === 'DT' ? DT_VALUE : undefined;
    if (re && !v.split('\\').every((x) => re.test(x.trim()))) throw bad(`${q.vr} key ${hex(q.tag)} "${v.slice(0, 20)}" is not a value or range`, q.tag);
  }
}

function hex(tag: number): string {
  const h = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}

/** Does the item match every matching key of the query (date/time pairs combined, see above)? */
export function itemMatches(query: Identifier, item: Identifier): boolean {
  const keys = query.filter((q) => !SKIP_MATCH.has(q.tag) && q.tag >>> 16 !== 0);
  return matchesItem(keys, item, { combinedDateTime: true });
}

export type Answer =
  | { kind: 'match'; response: Identifier }
  | { kind: 'no-match' }
  /** Matches, but a requested Type 1 key has no value in the item: skipped and logged. */
  | { kind: 'incomplete'; missing: string };

const isEmpty = (e: IdElement | undefined): boolean =>
  !e || (Array.isArray(e.value) ? e.value.length === 0 : Buffer.isBuffer(e.value) ? e.value.length === 0 : e.value.trim() === '');

/** The response identifier for one item, or why there is none. */
export function answer(query: Identifier, item: Identifier): Answer {
  if (!itemMatches(query, item)) return { kind: 'no-match' };
  const out: Identifier = [];
  for (const q of query) {
    if (q.tag === MWL_TAG.SpecificCharacterSet || q.tag >>> 16 === 0) continue;
    const r = combinedForReturn(q, item);
    out.push(returnValue({ request: r.request, vr: q.vr, source: { kind: 'file' } }, [], r.stored));
  }
  const missing = missingType1(query, out);
  if (missing) return { kind: 'incomplete', missing };
  const requested = get(query, MWL_TAG.SpecificCharacterSet) || get(item, MWL_TAG.SpecificCharacterSet);
  const cs = responseCharset(out, requested);
  if (cs) out.push({ tag: MWL_TAG.SpecificCharacterSet, vr: 'CS', value: cs });
  return { kind: 'match', response: out.sort((a, b) => a.tag - b.tag) };
}

/**
 * The sequence items returned are those matching the query item (C.2.2.2.6), and the
 * response builder (store/query-files) matches their keys one by one. For a step item whose
 * start date + time form one period, it is given the items that match the period and the
 * query item without its time (the date range alone holds for them), so the period decides.
 */
function combinedForReturn(q: IdElement, item: Identifier): { request: IdElement; stored: Identifier } {
  const qItem = q.vr === 'SQ' && Array.isArray(q.value) ? (q.value as Identifier[])[0] : undefined;
  const times = new Set(qItem && Array.isArray(qItem) ? combinedPairs(qItem).map((p) => p.timeTag) : []);
  if (!qItem || times.size === 0) return { request: q, stored: item };
  const request: IdElement = { ...q, value: [qItem.map((k) => (times.has(k.tag) ? { ...k, value: '' } : k))] };
  const stored = item.map((e) => {
    if (e.tag !== q.tag || !Array.isArray(e.value)) return e;
    const steps = (e.value as Identifier[]).filter((s) => Array.isArray(s) && matchesItem(qItem, s, { combinedDateTime: true }));
    return { ...e, value: steps };
  });
  return { request, stored };
}

/** The first requested Type 1 key (Table K.6-1) without a value in the response, as a name. */
function missingType1(query: Identifier, out: Identifier): string | undefined {
  for (const q of query) {
    const got = out.find((e) => e.tag === q.tag);
    if (TYPE1_TOP.has(q.tag) && isEmpty(got)) return hex(q.tag);
    if (q.tag !== MWL_TAG.ScheduledProcedureStepSequence || !got || !Array.isArray(got.value)) continue;
    const wanted = ((q.value as Identifier[])[0] ?? []).filter((k) => TYPE1_SPS.has(k.tag));
    for (const sps of got.value as Identifier[]) {
      for (const k of wanted) if (isEmpty(sps.find((e) => e.tag === k.tag))) return `${hex(q.tag)}/${hex(k.tag)}`;
    }
  }
  return undefined;
}
