/**
 * Where worklist answers come from: the local items, and each upstream RIS (`[RemoteAE]
 * worklist = yes`) asked with a timeout. A RIS that answers refreshes the cache; one that
 * is down, refuses or is too slow is replaced by its cached items (logged as such). Items
 * of all sources are merged; the same Accession Number + Scheduled Procedure Step ID is
 * returned once (local items first, then the remotes in file order).
 */
import type { Config, RemoteAe } from '../config/types';
import type { Identifier } from '../dicom/identifier';
import { MODALITY_WORKLIST_FIND } from '../dicom/uids';
import { findOn } from '../services/qr-scu';
import { EdgeError, errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import type { WorklistCache } from './cache-db';
import { remoteKey, worklistRemotes, worklistSettings } from './config';
import { itemKey, upstreamIdentifier } from './keys';
import { readLocalItems } from './local-items';
import { answer, validateQuery } from './match';

/** Asks one RIS; resolves with its matches or throws (network, refusal, non-Success status). */
export type UpstreamQuery = (remote: RemoteAe, identifier: Identifier, signal: AbortSignal) => Promise<Identifier[]>;

export interface WorklistProviderOptions {
  config: () => Config;
  cache: WorklistCache;
  log: Logger;
  now?: () => number;
  /** Default: C-FIND over the network (findOn). */
  upstream?: UpstreamQuery;
}

export interface SourceReport {
  source: string;
  kind: 'local' | 'upstream' | 'cache';
  items: number;
  error?: string;
}

export interface Collected {
  items: Identifier[];
  sources: SourceReport[];
}

export class WorklistProvider {
  private readonly now: () => number;
  private readonly upstream: UpstreamQuery;

  constructor(private readonly o: WorklistProviderOptions) {
    this.now = o.now ?? Date.now;
    this.upstream = o.upstream ?? ((remote, identifier, signal) => networkUpstream(o.config(), remote, identifier, signal, o.log));
  }

  /** Matching responses for a modality's query (validated first: A900 when malformed). */
  async *answers(query: Identifier, signal: AbortSignal): AsyncIterable<Identifier> {
    validateQuery(query);
    const { items } = await this.collect(query, signal);
    for (const item of items) {
      if (signal.aborted) return;
      const a = answer(query, item);
      if (a.kind === 'match') yield a.response;
      else if (a.kind === 'incomplete') this.o.log.warn(`worklist: item ${itemKey(item) ?? '(no accession/step id)'} skipped: Type 1 return key ${a.missing} has no value`);
    }
  }

  /** Candidate items of every source, merged and de-duplicated (not yet matched locally). */
  async collect(query: Identifier, signal: AbortSignal): Promise<Collected> {
    const s = worklistSettings(this.o.config());
    const sources: SourceReport[] = [];
    const local = await readLocalItems(s.path, (f, e) => this.o.log.warn(`worklist: local item ${f} unreadable: ${errorMessage(e)}`));
    sources.push({ source: s.path, kind: 'local', items: local.length });
    const remotes = worklistRemotes(this.o.config());
    const asked = await Promise.all(remotes.map((r) => this.fromRemote(r, query, signal)));
    sources.push(...asked.map((a) => a.report));
    return { items: mergeItems([local.map((l) => l.item), ...asked.map((a) => a.items)]), sources };
  }

  /** One RIS: fresh answers (then cached), else the cache. */
  private async fromRemote(remote: RemoteAe, query: Identifier, signal: AbortSignal): Promise<{ items: Identifier[]; report: SourceReport }> {
    const s = worklistSettings(this.o.config());
    const key = remoteKey(remote);
    try {
      const items = await withTimeout(s.upstreamTimeoutMs, signal, (sig) => this.upstream(remote, upstreamIdentifier(query), sig));
      this.o.cache.put(key, items, this.now());
      return { items, report: { source: key, kind: 'upstream', items: items.length } };
    } catch (e) {
      const cached = this.o.cache.get(key, this.now() - s.cacheMaxAgeMs);
      const age = cached.oldest ? `, oldest fetched ${Math.round((this.now() - cached.oldest) / 1000)} s ago` : '';
      this.o.log.warn(`worklist: RIS ${key} unavailable (${errorMessage(e)}); answering from the cache (${cached.items.length} item(s)${age})`);
      return { items: cached.items, report: { source: key, kind: 'cache', items: cached.items.length, error: errorMessage(e) } };
    }
  }

  /**
   * Prefetch: asks every RIS for the stations' steps of today ± days and caches them, then
   * drops expired cache rows. One query per station (AE title lists are not standard matching).
   */
  async prefetch(signal: AbortSignal = new AbortController().signal): Promise<SourceReport[]> {
    const s = worklistSettings(this.o.config());
    const reports: SourceReport[] = [];
    for (const remote of worklistRemotes(this.o.config())) {
      const key = remoteKey(remote);
      let n = 0;
      try {
        for (const station of s.stations.length ? s.stations : ['']) {
          const items = await withTimeout(s.upstreamTimeoutMs, signal, (sig) => this.upstream(remote, upstreamIdentifier(prefetchQuery(station, s.days, new Date(this.now()))), sig));
          this.o.cache.put(key, items, this.now());
          n += items.length;
        }
        reports.push({ source: key, kind: 'upstream', items: n });
        this.o.log.info(`worklist: prefetched ${n} item(s) from ${key}`);
      } catch (e) {
        reports.push({ source: key, kind: 'upstream', items: n, error: errorMessage(e) });
        this.o.log.warn(`worklist: prefetch from ${key} failed: ${errorMessage(e)}`);
      }
    }
    const dropped = this.o.cache.expire(this.now() - s.cacheMaxAgeMs);
    if (dropped) this.o.log.info(`worklist: ${dropped} cached item(s) expired`);
    return reports;
  }
}

/** Merges lists in order; a repeated item identity keeps its first occurrence. */
export function mergeItems(lists: Identifier[][]): Identifier[] {
  const seen = new Set<string>();
  const out: Identifier[] = [];
  for (const list of lists) {
    for (const item of list) {
      const k = itemKey(item);
      if (k !== undefined) {
        if (seen.has(k)) continue;
        seen.add(k);
      }
      out.push(item);
    }
  }
  return out;
}

const ymd = (d: Date): string => `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;

/** The prefetch query: one station (or all), Scheduled Procedure Step Start Date today ± days. */
export function prefetchQuery(station: string, days: number, today: Date): Identifier {
  const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - days);
  const to = new Date(today.getFullYear(), today.getMonth(), today.getDate() + days);
  return [{
    tag: 0x00400100, vr: 'SQ', value: [[
      { tag: 0x00400001, vr: 'AE', value: station },
      { tag: 0x00400002, vr: 'DA', value: `${ymd(from)}-${ymd(to)}` },
    ]],
  }];
}

/** Runs `fn` with a signal aborted by `outer` or after `ms`; rejects at the timeout even if `fn` lingers. */
export async function withTimeout<T>(ms: number, outer: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onOuter = (): void => ac.abort();
  outer.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new EdgeError('WORKLIST_UPSTREAM_TIMEOUT', `no answer within ${ms} ms`));
    }, ms);
  });
  const work = fn(ac.signal);
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', onOuter);
  }
}

/**
 * After the upstream timeout the query is cancelled (C-CANCEL-RQ, PS3.7 9.3.2.3); a RIS that
 * has not sent its final response this much later gets an A-ABORT, so a stuck RIS does not
 * hold an association (and a socket) until readTimeout.
 */
export const UPSTREAM_CANCEL_GRACE_MS = 1000;

/** C-FIND on the Modality Worklist model to a RIS; anything but Success is an error. */
async function networkUpstream(config: Config, remote: RemoteAe, identifier: Identifier, signal: AbortSignal, log: Logger): Promise<Identifier[]> {
  const r = await findOn({
    config, peer: { aeTitle: remote.aeTitle, host: remote.ip, port: remote.port, remote }, log,
    signal, cancelGraceMs: UPSTREAM_CANCEL_GRACE_MS, sopClassUid: MODALITY_WORKLIST_FIND, identifier,
  });
  if (r.status !== 0) throw new EdgeError('WORKLIST_UPSTREAM_STATUS', `C-FIND status 0x${r.status.toString(16).padStart(4, '0')}${r.errorComment ? `: ${r.errorComment}` : ''}`);
  return r.matches;
}
