/**
 * The C-FIND matching engine and the C-MOVE/C-GET resolver over the SQLite index
 * (PS3.4 C.4.1.3.1 hierarchical search, C.2.2.2 matching, C.6 information models).
 * No network here: DIMSE services decode the identifier, call find()/resolveRetrieve()
 * and encode the results.
 */
import { join } from 'node:path';
import { EdgeError } from '../util/errors';
import { findElement, get, keywordForTag, set, tagHex, vrForTag, type IdElement, type Identifier } from '../dicom/identifier';
import type { IndexDb } from './index-db';
import { fsReadAt, readAtFromWholeFile, readStoredAttributes, StoredAttributeCache, type ReadAt, type StoredRef } from './query-files';
import {
  INDEXED_KEYS, LEVEL_FROM, LEVEL_RANK, MODEL_LEVELS, REPRESENTATIVE_SQL, TAG, UNIQUE_KEY,
  type QueryLevel, type QueryModel, type ReturnKey,
} from './query-keys';
import {
  combinedPairs, combinedSql, isSingleValue, isUniversalValue, matchesCombined, matchesValue, sqlCondition,
  type CombinedPair, type SqlCondition,
} from './query-match';
import { returnValue, responseCharset } from './query-files';

export type { QueryLevel, QueryModel, ReturnKey } from './query-keys';

/** PS3.4 C.4.1.1.4 / C.4.2.1.5: the failure statuses an identifier problem maps to. */
export const QUERY_STATUS = { identifierDoesNotMatch: 0xa900, unableToProcess: 0xc000 } as const;

/** A request the engine refuses: answer with `status` and `errorComment` (0000,0902). */
export class QueryError extends EdgeError {
  readonly status: number;
  /** At most 64 characters (LO). */
  readonly errorComment: string;
  /** Offending Element (0000,0901) candidates. */
  readonly offendingElements: number[];
  constructor(status: number, comment: string, offendingElements: number[] = [], cause?: unknown) {
    super(status === QUERY_STATUS.identifierDoesNotMatch ? 'QUERY_BAD_IDENTIFIER' : 'QUERY_FAILED', comment, { cause });
    this.name = 'QueryError';
    this.status = status;
    this.errorComment = comment.slice(0, 64);
    this.offendingElements = offendingElements;
  }
}

export interface QueryEngineOptions {
  /** Store root, to read return keys the index lacks and to give absolute paths. */
  root?: string;
  /** Reads a whole stored file by its path relative to the root (tests; overrides `root` for reading). */
  readFile?(relPath: string): Promise<Buffer>;
  /** Returned in (0008,0054) when requested. */
  retrieveAeTitle?: string;
  /** Rows fetched per SQL page (the connection stays free between pages). */
  pageSize?: number;
}

export interface FindOptions {
  /** Relational queries (extended negotiation, PS3.4 C.4.1.2.2.2): unique keys above the level optional. */
  relational?: boolean;
  /**
   * Combined date-time range matching of DA/TM pairs (PS3.4 C.2.2.2.5.4), e.g. Study Date
   * "20260101-20260102" with Study Time "1000-1200" = 2026-01-01 10:00 to 2026-01-02 12:00.
   * For C-FIND it is an extended behaviour agreed in SOP Class Extended Negotiation (Table
   * C.5-1/C.5-2 byte 2, "Date-time matching"); without that agreement "only baseline SCP
   * behavior shall be performed" (C.4.1.3.2), i.e. date and time are separate ranges. Our
   * SCP returns no extended negotiation sub-item (statement: "Ext. Neg.: None"), so the
   * DIMSE C-FIND leaves this off. QIDO-RS, which always combines, may set it.
   */
  combinedDateTime?: boolean;
}

/**
 * What a C-FIND SCU asks for in its SOP Class Extended Negotiation sub-item (PS3.7 D.3.3.5;
 * Service-class-application-information of PS3.4 Table C.5-1, bytes 2-7 optional, absent = 0).
 * We read it only to say what was asked: the SCP answers no sub-item (statement "Ext. Neg.:
 * None"), so by C.5.1.1 none of these is agreed and only baseline matching is performed.
 */
export interface FindExtendedRequest {
  relational: boolean;
  combinedDateTime: boolean;
  fuzzyPersonNames: boolean;
  timezoneAdjustment: boolean;
  enhancedMultiFrameConversion: boolean;
  emptyValueMatching: boolean;
  multipleValueMatching: boolean;
}

export function parseFindExtendedRequest(info: Buffer): FindExtendedRequest {
  const byte = (n: number): boolean => info.length >= n && info[n - 1] === 1;
  return {
    relational: byte(1), combinedDateTime: byte(2), fuzzyPersonNames: byte(3), timezoneAdjustment: byte(4),
    enhancedMultiFrameConversion: byte(5), emptyValueMatching: byte(6), multipleValueMatching: byte(7),
  };
}

export interface RetrieveInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  /** Absolute when the engine knows the store root, else relative to it. */
  path: string;
  relPath: string;
  transferSyntaxUid: string;
  dataSetOffset: number;
  size: number;
}

interface Plan {
  level: QueryLevel;
  columns: string[];
  conditions: SqlCondition[];
  returns: ReturnKey[];
  fileFilters: IdElement[];
  fileTags: Set<number>;
  /** Combined DA/TM pairs checked on the stored file (not both in the index). */
  fileCombined: CombinedPair[];
  requestedCharset: string | undefined;
}

function bad(comment: string, tags: number[] = []): QueryError {
  return new QueryError(QUERY_STATUS.identifierDoesNotMatch, comment, tags);
}

function keyName(tag: number): string {
  return keywordForTag(tag) ?? tagHex(tag);
}

/** PS3.4 C.6: (0008,0052) must name a level of the model. */
export function queryLevelOf(model: QueryModel, id: Identifier): QueryLevel {
  const raw = get(id, TAG.QueryRetrieveLevel);
  if (raw === undefined || raw.trim() === '') throw bad('Query/Retrieve Level (0008,0052) missing', [TAG.QueryRetrieveLevel]);
  const level = raw.trim().toUpperCase() as QueryLevel;
  if (!MODEL_LEVELS[model].includes(level)) throw bad(`level ${raw.trim()} not in this information model`, [TAG.QueryRetrieveLevel]);
  return level;
}

/** C.4.1.3.1.1 / C.4.2.2.1: unique keys of the levels above need one single value each. */
function checkHigherUniqueKeys(model: QueryModel, level: QueryLevel, id: Identifier, relational: boolean): void {
  for (const above of MODEL_LEVELS[model]) {
    if (LEVEL_RANK[above] >= LEVEL_RANK[level]) break;
    const tag = UNIQUE_KEY[above];
    const v = get(id, tag)?.trim();
    if (relational && (v === undefined || v === '')) continue;
    if (v === undefined || !isSingleValue(v)) throw bad(`${keyName(tag)} needs a single value at ${level} level`, [tag]);
  }
}

function isControlTag(tag: number): boolean {
  const group = tag >>> 16;
  return group < 0x0008 || (tag & 0xffff) === 0 || tag === TAG.SpecificCharacterSet || tag === TAG.QueryRetrieveLevel;
}

function textOf(el: IdElement): string | null {
  if (typeof el.value === 'string') return el.value;
  if (Array.isArray(el.value) && el.value.every((v) => typeof v === 'string')) return (el.value as string[]).join('\\');
  return null;
}

/** Turns the identifier into SQL conditions, return keys and file filters. */
export function planQuery(model: QueryModel, id: Identifier, opts: FindOptions & { retrieveAeTitle?: string } = {}): Plan {
  const level = queryLevelOf(model, id);
  checkHigherUniqueKeys(model, level, id, !!opts.relational);
  const plan: Plan = {
    level, columns: [], conditions: [], returns: [], fileFilters: [], fileTags: new Set(), fileCombined: [], requestedCharset: get(id, TAG.SpecificCharacterSet),
  };
  const pairs = opts.combinedDateTime ? combinedPairs(id) : [];
  // The time of a combined pair is not matched on its own; the date's own range stays, as a
  // necessary condition of the combined one that the index can use.
  const combinedTimes = new Set(pairs.map((p) => p.timeTag));
  for (const el of withUniqueKeys(model, level, id)) {
    if (isControlTag(el.tag)) continue;
    plan.returns.push(planKey(plan, el, opts.retrieveAeTitle, combinedTimes));
  }
  for (const p of pairs) planCombined(plan, p);
  return plan;
}

/** C.2.2.2.5.4 for one pair: in SQL when the index holds both, else on the stored file. */
function planCombined(plan: Plan, p: CombinedPair): void {
  const date = INDEXED_KEYS.get(p.dateTag);
  const time = INDEXED_KEYS.get(p.timeTag);
  if (date && time && date.level === time.level) {
    plan.conditions.push(combinedSql(date.column, time.column, p.range));
    return;
  }
  plan.fileTags.add(p.dateTag).add(p.timeTag);
  plan.fileCombined.push(p);
}

/**
 * The request's keys in tag order, plus the unique keys of the query level and the
 * levels above (empty, i.e. return keys) when the request left them out, so every
 * response names the entity it describes (C.4.1.3.1.1).
 */
function withUniqueKeys(model: QueryModel, level: QueryLevel, id: Identifier): Identifier {
  const out = [...id];
  for (const l of MODEL_LEVELS[model]) {
    if (LEVEL_RANK[l] > LEVEL_RANK[level]) break;
    if (!findElement(out, UNIQUE_KEY[l])) out.push({ tag: UNIQUE_KEY[l], vr: INDEXED_KEYS.get(UNIQUE_KEY[l])!.vr, value: '' });
  }
  return out.sort((a, b) => a.tag - b.tag);
}

function planKey(plan: Plan, el: IdElement, retrieveAeTitle: string | undefined, combinedTimes: Set<number>): ReturnKey {
  if (el.tag === TAG.RetrieveAETitle) return { request: el, vr: 'AE', source: { kind: 'const', value: retrieveAeTitle ?? '' } };
  if (el.tag === TAG.InstanceAvailability) return { request: el, vr: 'CS', source: { kind: 'const', value: 'ONLINE' } };
  const key = INDEXED_KEYS.get(el.tag);
  if (!key) {
    plan.fileTags.add(el.tag);
    if (!isUniversalValue(el.value) && !combinedTimes.has(el.tag)) plan.fileFilters.push(el);
    return { request: el, vr: el.vr === 'UN' ? vrForTag(el.tag) : el.vr, source: { kind: 'file' } };
  }
  const text = textOf(el) ?? '';
  if (LEVEL_RANK[key.level] > LEVEL_RANK[plan.level]) {
    if (!isUniversalValue(el.value)) {
      // SCUs often send Modality at STUDY level meaning Modalities in Study (C.6.1.1.3.1).
      if (el.tag !== TAG.Modality || plan.level !== 'STUDY') throw bad(`${keyName(el.tag)} is below the ${plan.level} level`, [el.tag]);
      const cond = sqlCondition(INDEXED_KEYS.get(TAG.ModalitiesInStudy)!, text);
      if (cond) plan.conditions.push(cond);
    }
    return { request: el, vr: key.vr, source: { kind: 'empty' } };
  }
  const cond = combinedTimes.has(el.tag) ? null : sqlCondition(key, text);
  if (cond) plan.conditions.push(cond);
  plan.columns.push(key.column);
  return { request: el, vr: key.vr, source: { kind: 'index', column: plan.columns.length } };
}

type Row = unknown[];

export class QueryEngine {
  private readonly readAt: ReadAt | null;
  private readonly pageSize: number;
  private readonly representative: Record<QueryLevel, { get(id: number): unknown }>;

  constructor(private readonly index: IndexDb, private readonly opts: QueryEngineOptions = {}) {
    this.readAt = opts.readFile ? readAtFromWholeFile(opts.readFile) : opts.root ? fsReadAt(opts.root) : null;
    this.pageSize = opts.pageSize ?? 256;
    const db = index.db;
    this.representative = {
      PATIENT: db.prepare(REPRESENTATIVE_SQL.PATIENT),
      STUDY: db.prepare(REPRESENTATIVE_SQL.STUDY),
      SERIES: db.prepare(REPRESENTATIVE_SQL.SERIES),
      IMAGE: db.prepare(REPRESENTATIVE_SQL.IMAGE),
    };
  }

  /**
   * C-FIND: yields one identifier per match, in index order. Throws QueryError (on the
   * first next()) for a bad identifier. Stops quietly once `signal` is aborted (C-CANCEL).
   */
  async *find(model: QueryModel, identifier: Identifier, signal?: AbortSignal, opts: FindOptions = {}): AsyncGenerator<Identifier> {
    const plan = planQuery(model, identifier, { ...opts, retrieveAeTitle: this.opts.retrieveAeTitle });
    const { alias, from } = LEVEL_FROM[plan.level];
    const where = [...plan.conditions.map((c) => c.sql), `${alias}.id > ?`].join(' AND ');
    const select = [`${alias}.id`, ...plan.columns].join(', ');
    const sql = `SELECT ${select} FROM ${from} WHERE ${where} ORDER BY ${alias}.id LIMIT ${this.pageSize}`;
    const params = plan.conditions.flatMap((c) => c.params);
    const stmt = this.sqlOrFail(() => this.index.db.prepare(sql).raw(true));
    const cache = new StoredAttributeCache();
    for (let after = 0; ;) {
      if (signal?.aborted) return;
      const rows = this.sqlOrFail(() => stmt.all(...params, after) as Row[]);
      for (const row of rows) {
        if (signal?.aborted) return;
        const result = await this.result(plan, row, cache);
        if (result) yield result;
      }
      if (rows.length < this.pageSize) return;
      after = rows[rows.length - 1][0] as number;
    }
  }

  /** Convenience: every match of find() in an array. */
  async findAll(model: QueryModel, identifier: Identifier, opts: FindOptions = {}): Promise<Identifier[]> {
    const out: Identifier[] = [];
    for await (const r of this.find(model, identifier, undefined, opts)) out.push(r);
    return out;
  }

  /**
   * C-MOVE / C-GET (PS3.4 C.4.2.2.1, C.4.3.2.1): the instances named by the unique keys
   * down to the level; the level's own key may be a list of UIDs.
   */
  async resolveRetrieve(model: QueryModel, identifier: Identifier, opts: FindOptions = {}): Promise<{ instances: RetrieveInstance[] }> {
    const level = queryLevelOf(model, identifier);
    checkHigherUniqueKeys(model, level, identifier, !!opts.relational);
    const conds: SqlCondition[] = [];
    for (const l of MODEL_LEVELS[model]) {
      if (LEVEL_RANK[l] > LEVEL_RANK[level]) break;
      const tag = UNIQUE_KEY[l];
      const v = get(identifier, tag)?.trim() ?? '';
      if (l === level && (v === '' || /[*?]/.test(v) || (l === 'PATIENT' && v.includes('\\')))) {
        throw bad(`${keyName(tag)} needs a value${l === 'PATIENT' ? '' : ' or a UID list'} to retrieve`, [tag]);
      }
      const cond = v === '' ? null : sqlCondition(INDEXED_KEYS.get(tag)!, v);
      if (cond) conds.push(cond);
    }
    const sql = `SELECT i.sop_class_uid, i.sop_uid, i.path, i.transfer_syntax, i.data_set_offset, i.size FROM ${LEVEL_FROM.IMAGE.from}
      WHERE ${conds.map((c) => c.sql).join(' AND ')} ORDER BY st.id, se.id, i.instance_number, i.id`;
    const rows = this.sqlOrFail(() => this.index.db.prepare(sql).raw(true).all(...conds.flatMap((c) => c.params)) as Row[]);
    const instances = rows.map(([sopClassUid, sopInstanceUid, relPath, transferSyntaxUid, dataSetOffset, size]) => ({
      sopClassUid: sopClassUid as string, sopInstanceUid: sopInstanceUid as string,
      path: this.opts.root ? join(this.opts.root, relPath as string) : (relPath as string), relPath: relPath as string,
      transferSyntaxUid: transferSyntaxUid as string, dataSetOffset: dataSetOffset as number, size: size as number,
    }));
    return { instances };
  }

  private sqlOrFail<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw new QueryError(QUERY_STATUS.unableToProcess, `index query failed: ${(e as Error).message}`, [], e);
    }
  }

  /** Builds one response, or null when a key matched against the stored file fails. */
  private async result(plan: Plan, row: Row, cache: StoredAttributeCache): Promise<Identifier | null> {
    const entityId = row[0] as number;
    let stored: Identifier | null = null;
    if (plan.fileTags.size) {
      stored = await cache.get(`${plan.level}:${entityId}`, () => this.loadStored(plan.level, entityId, plan.fileTags));
    }
    for (const f of plan.fileFilters) {
      if (!matchesValue(f.vr, f.value, stored ? findElement(stored, f.tag)?.value : undefined)) return null;
    }
    for (const c of plan.fileCombined) {
      if (!stored || !matchesCombined(c.range, get(stored, c.dateTag), get(stored, c.timeTag))) return null;
    }
    const out: Identifier = [];
    for (const r of plan.returns) out.push(returnValue(r, row, stored));
    set(out, TAG.QueryRetrieveLevel, plan.level, 'CS');
    const charset = responseCharset(out, plan.requestedCharset);
    if (charset !== undefined) set(out, TAG.SpecificCharacterSet, charset, 'CS');
    return out;
  }

  private async loadStored(level: QueryLevel, id: number, tags: Set<number>): Promise<Identifier | null> {
    if (!this.readAt) return null;
    const ref = this.representative[level].get(id) as StoredRef | undefined;
    if (!ref) return null;
    return readStoredAttributes(this.readAt, ref, tags);
  }
}
