/**
 * Store-and-forward: routes match each instance as it is indexed and queue one job per
 * destination in that same transaction (InstanceStore extraInTransaction), before the
 * C-STORE response; a worker per destination sends them; retention frees local copies.
 *
 *   store → onIndexed (match, enqueue) → DestinationWorker → PACS
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Config, RemoteAe } from '../config/types';
import type { ExtraInTransaction } from '../store/instance-store';
import type { IndexDb, InstanceRow } from '../store/index-db';
import { findRemote } from '../services/scu';
import { ConfigError, errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import { subjectOf } from './attributes';
import { destinationKey, forwardSettings, validateForwardConfig, type ForwardSettings } from './config';
import { matchesAll, tagsNeeded } from './match';
import { QueueDb } from './queue-db';
import { Retention } from './retention';
import { DestinationWorker, type JobKind } from './worker';

/** How often the high-water mark is checked (at most; never less often than retention runs). */
const HIGH_WATER_CHECK_MS = 5000;

export interface ForwarderOptions {
  config: Config;
  index: IndexDb;
  /** Store root (instance paths in the index are relative to it). */
  root: string;
  log: Logger;
  /** How often `dicom-edge queue` changes are looked for (ms). */
  pollMs?: number;
  /** How often retention runs (ms); it also runs shortly after deliveries. */
  retentionIntervalMs?: number;
}

export class Forwarder {
  readonly queue: QueueDb;
  /** The workers' own connection (see openWorkerDb). */
  private readonly workerQueue: QueueDb;
  private readonly workerDb?: Database.Database;
  private config: Config;
  private settings: ForwardSettings;
  private readonly workers = new Map<string, DestinationWorker>();
  private readonly kinds: JobKind[] = [];
  private readonly retention: Retention;
  private retentionTimer?: NodeJS.Timeout;
  private highWaterTimer?: NodeJS.Timeout;
  private retentionSoon?: NodeJS.Timeout;
  private started = false;
  private readonly log: Logger;

  constructor(private readonly o: ForwarderOptions) {
    const problems = validateForwardConfig(o.config);
    if (problems.length) throw new ConfigError(problems);
    this.config = o.config;
    this.settings = forwardSettings(o.config);
    this.log = o.log;
    this.queue = new QueueDb(o.index.db);
    this.workerDb = openWorkerDb(o.index);
    this.workerQueue = this.workerDb ? new QueueDb(this.workerDb) : this.queue;
    this.retention = new Retention(o.index, o.root, o.log);
  }

  /** For InstanceStore: runs inside the transaction that indexes the instance. */
  readonly onIndexed: ExtraInTransaction = (_db, row, r) => {
    if (r.duplicate === 'ignored') return;
    const targets = this.destinationsFor(row);
    const now = Date.now();
    for (const [dest, route] of targets) {
      this.queue.enqueue({ sopUid: row.sopInstanceUid, studyUid: row.studyInstanceUid, destination: dest, route, now });
    }
    if (targets.size) setImmediate(() => { for (const d of targets.keys()) this.worker(d)?.wake(); });
  };

  /** Other kinds of jobs (e.g. the MPPS relay) the destination workers send with the same retries. */
  registerJobKind(kind: JobKind): void {
    if (!this.kinds.some((k) => k.route === kind.route)) this.kinds.push(kind);
  }

  /**
   * Queues a job of a registered kind: `key` is its identity per destination (a job still
   * waiting keeps its place), `group` keeps order like a study. Call it inside the caller's
   * index transaction to make it durable with the caller's data; the worker wakes after.
   */
  enqueueJob(j: { key: string; group: string; destination: string; route: string }): boolean {
    const added = this.queue.enqueue({ sopUid: j.key, studyUid: j.group, destination: j.destination, route: j.route, now: Date.now() });
    setImmediate(() => this.worker(j.destination)?.wake());
    return added;
  }

  /** Destination key → name of the first route that sends the instance there. */
  destinationsFor(row: InstanceRow): Map<string, string> {
    const out = new Map<string, string>();
    if (!this.settings.routes.length) return out;
    const tags = this.settings.routes.flatMap((r) => tagsNeeded(r.conditions));
    const subject = subjectOf(row, join(this.o.root, row.path), tags,
      (e) => this.log.warn(`forward: reading attributes of ${row.sopInstanceUid} for routing: ${errorMessage(e)}`));
    for (const route of this.settings.routes) {
      if (!matchesAll(route.conditions, subject)) continue;
      for (const name of route.to) {
        const remote = findRemote(this.config, name);
        if (remote && !out.has(destinationKey(remote))) out.set(destinationKey(remote), route.name);
      }
    }
    return out;
  }

  /** Puts interrupted jobs back, starts a worker per destination with work or a route, and retention. */
  start(): void {
    const reset = this.queue.resetInFlight(Date.now());
    if (reset) this.log.info(`forward: ${reset} job(s) interrupted by the last stop are pending again`);
    this.started = true;
    this.ensureWorkers();
    const every = this.o.retentionIntervalMs ?? 60_000;
    this.retentionTimer = setInterval(() => this.runRetention(), every);
    this.retentionTimer.unref();
    // The high-water mark is checked more often (one statfs when under it): a disk filling
    // up is not left for a minute.
    this.highWaterTimer = setInterval(() => this.runHighWater(), Math.min(every, HIGH_WATER_CHECK_MS));
    this.highWaterTimer.unref();
    this.runRetention();
    const waiting = this.queue.summary().filter((s) => s.state === 'pending' || s.state === 'held' || s.state === 'dead');
    for (const s of waiting) this.log.info(`forward ${s.destination}: ${s.n} ${s.state} job(s)`);
  }

  /** New routes and destinations apply to instances indexed from now on. */
  reload(config: Config): void {
    const problems = validateForwardConfig(config);
    if (problems.length) {
      this.log.error(`forward: configuration not applied: ${problems.join('; ')}`);
      return;
    }
    this.config = config;
    this.settings = forwardSettings(config);
    if (this.started) this.ensureWorkers();
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.retentionTimer);
    clearInterval(this.highWaterTimer);
    clearTimeout(this.retentionSoon);
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    this.workers.clear();
    this.workerDb?.close();
  }

  /** Some destination has a batch on the wire (its worker needs the event loop to keep the PACS fed). */
  get sending(): boolean {
    for (const w of this.workers.values()) if (w.sending) return true;
    return false;
  }

  /** Wakes every worker (after an operator command in this process). */
  wakeAll(): void {
    for (const w of this.workers.values()) w.wake();
  }

  private ensureWorkers(): void {
    const names = new Set(this.queue.activeDestinations());
    for (const r of this.settings.routes) {
      for (const n of r.to) {
        const remote = findRemote(this.config, n);
        if (remote) names.add(destinationKey(remote));
      }
    }
    for (const n of names) this.worker(n);
  }

  private worker(dest: string): DestinationWorker | undefined {
    if (!this.started) return undefined;
    let w = this.workers.get(dest);
    if (!w) {
      w = new DestinationWorker({
        destination: dest, queue: this.workerQueue, root: this.o.root, log: this.log,
        remote: () => this.remoteFor(dest), config: () => this.config, retry: () => this.settings.retry, kinds: () => this.kinds,
        onRecorded: () => this.retentionAfterDelivery(), pollMs: this.o.pollMs,
      });
      this.workers.set(dest, w);
      w.start();
    }
    return w;
  }

  private remoteFor(dest: string): RemoteAe | undefined {
    return this.config.remotes.find((r) => destinationKey(r) === dest) ?? findRemote(this.config, dest);
  }

  private retentionAfterDelivery(): void {
    if (!this.settings.retention.deleteAfterForward && !this.settings.retention.highWater) return;
    if (this.retentionSoon) return;
    this.retentionSoon = setTimeout(() => {
      this.retentionSoon = undefined;
      this.runRetention();
    }, 1000);
    this.retentionSoon.unref();
  }

  private runHighWater(): void {
    if (!this.settings.retention.highWater) return;
    try {
      this.retention.runHighWater(this.settings.retention);
    } catch (e) {
      this.log.error(`retention: ${errorMessage(e)}`);
    }
  }

  private runRetention(): void {
    const s = this.settings.retention;
    if (!s.deleteAfterForward && !s.maxAgeMs && !s.highWater) return;
    try {
      this.retention.run(s);
    } catch (e) {
      this.log.error(`retention: ${errorMessage(e)}`);
    }
  }
}

/**
 * A second connection to the index for the workers' bookkeeping (in-flight, done, retry),
 * with synchronous=NORMAL: in WAL mode its commits are not fsynced, so forwarding adds no
 * disk flush per instance to the receive path's own. Losing such a commit at power loss
 * only means an instance is sent again (at least once, never lost); enqueueing stays on the
 * index's own connection, inside the indexing transaction. Transactions are synchronous and never interleave.
 */
function openWorkerDb(index: IndexDb): Database.Database | undefined {
  const path = index.db.name;
  if (!path || path === ':memory:' || index.db.memory) return undefined;
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  return db;
}
