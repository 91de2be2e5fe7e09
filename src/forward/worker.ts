/**
 * One worker per destination, so a PACS that is down or slow never holds up another.
 * It takes due jobs in arrival order, sends them over one association kept open for the
 * burst (released after `idleRelease` without work), and records each outcome:
 * delivered, retry later (per-job back-off), dead letter, or — on a network failure or
 * A7xx — the whole destination backs off (forward_destinations.down_until). Only a failure
 * while this job was on the wire counts as its attempt (an instance that breaks every
 * association must not block the queue for ever); no association or an A7xx is the
 * destination's state, and the waiting job keeps its attempts (its maximum age still applies).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, RemoteAe } from '../config/types';
import type { DimseChannel } from '../dimse/channel';
import { openChannel } from '../services/scu';
import { pickContext, preloadDataset, sendInstance, storageContexts, type SendableInstance } from '../services/store-scu';
import { errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import { remoteAsyncOps, type RetrySettings } from './config';
import { backoffMs, isOutOfResources, limitReached, verdictOf } from './policy';
import type { DueJob, JobOutcome, QueueDb } from './queue-db';
import { Waker } from '../util/waker';
import { hostPort } from '../util/address';

/**
 * Jobs that are not stored instances, sent by the same workers with the same retries and
 * back-off (e.g. the MPPS relay): recognised by forward_jobs.route.
 */
export interface JobKind {
  route: string;
  /**
   * Delivers one job to the remote. Throws only when the remote cannot be reached or the
   * association fails (the whole destination backs off, as for instances).
   */
  deliver(job: DueJob, remote: RemoteAe, config: Config): Promise<{ verdict: 'delivered' | 'retry' | 'dead'; status: number | null; error?: string }>;
}

export interface WorkerOptions {
  /** Other job kinds (looked up per job, so kinds registered later apply). */
  kinds?: () => readonly JobKind[];
  destination: string;
  remote: () => RemoteAe | undefined;
  queue: QueueDb;
  config: () => Config;
  retry: () => RetrySettings;
  /** Store root: job paths are relative to it. */
  root: string;
  log: Logger;
  /** Called after outcomes were recorded (retention listens). */
  onRecorded?: (delivered: number) => void;
  /** Poll interval for changes made by `dicom-edge queue` from another process. */
  pollMs?: number;
  now?: () => number;
  random?: () => number;
}

const BATCH = 32;
const FLUSH_EVERY = 16;

/** What prepare() found for a job: the instance and its read-ahead bytes, or its missing file. */
interface Prepared {
  inst?: SendableInstance;
  body?: Buffer;
  missing?: string;
}

/** Raised for failures that concern the destination, not one instance. */
class DestinationDown extends Error {
  constructor(message: string, readonly status: number | null = null, /** The job was on the wire: counts as its attempt. */ readonly jobAttempt = false) { super(message); }
}

export class DestinationWorker {
  readonly destination: string;
  private channel?: DimseChannel;
  private proposed = new Set<string>();
  private lastUse = 0;
  private stopped = false;
  private loop?: Promise<void>;
  private readonly waker = new Waker();
  private readonly now: () => number;

  constructor(private readonly o: WorkerOptions) {
    this.destination = o.destination;
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** New work (enqueue, operator command): look at the queue now. */
  wake(): void {
    this.waker.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!(await this.step())) await this.idle();
      } catch (e) {
        this.o.log.error(`forward ${this.destination}: ${errorMessage(e)}`);
        await this.idle();
      }
    }
    await this.closeChannel();
  }

  /** A batch is being sent (the store then keeps its fsyncs off the event loop). */
  get sending(): boolean {
    return this.inBatch;
  }
  private inBatch = false;

  /** Sends one batch; false when there was nothing to do. */
  private async step(): Promise<boolean> {
    this.waker.consume();
    const q = this.o.queue;
    const dest = q.destination(this.destination);
    if (dest && dest.down_until > this.now()) return false;
    const jobs = q.due(this.destination, this.now(), BATCH);
    if (!jobs.length) return false;
    q.markInFlight(jobs.map((j) => j.id), this.now());
    this.inBatch = true;
    const outcomes: JobOutcome[] = [];
    const blocked = new Set<string>();
    let delivered = 0;
    const flush = (): void => {
      q.record(outcomes.splice(0), this.now());
      if (delivered) this.o.onRecorded?.(delivered);
      delivered = 0;
    };
    // The next job's file is read while the current one is on the wire (never rejects).
    let next: Promise<Prepared> | undefined = this.prepare(jobs[0]);
    let down: DestinationDown | undefined;
    // Jobs on the wire: one at a time, or up to the asynchronous operations window the
    // destination granted ([RemoteAE] asyncOps); responses may then come in any order.
    const onWire = new Set<Promise<void>>();
    const settle = (job: DueJob, sent: Promise<JobOutcome>): Promise<void> => sent.then((out) => {
      if (out.kind === 'done') delivered++;
      if (out.kind === 'retry') blocked.add(job.studyUid); // later instances of the study wait for it
      outcomes.push(out);
    }, (e: unknown) => {
      if (!(e instanceof DestinationDown)) throw e;
      down ??= e;
      // Not on the wire yet (no association, A7xx): it waits with its status, no attempt counted.
      outcomes.push(e.jobAttempt ? this.failure(job, e.status, e.message, true) : { id: job.id, kind: 'wait', status: e.status, error: e.message });
    });
    try {
      for (const [i, job] of jobs.entries()) {
        if (down) { // the rest waits for the destination's back-off, unread
          for (const rest of jobs.slice(i)) outcomes.push({ id: rest.id, kind: 'unclaim' });
          break;
        }
        const prepared = await next!;
        next = i + 1 < jobs.length ? this.prepare(jobs[i + 1]) : undefined;
        // A job that needs a new association (or another kind's own) goes once nothing is on the wire.
        if (onWire.size && !this.canPipeline(job)) await Promise.all(onWire);
        if (down || this.stopped || blocked.has(job.studyUid)) {
          outcomes.push({ id: job.id, kind: 'unclaim' });
          continue;
        }
        const p: Promise<void> = settle(job, this.sendOne(job, prepared)).finally(() => onWire.delete(p));
        onWire.add(p);
        while (onWire.size >= this.window) await Promise.race(onWire);
        if (outcomes.length >= FLUSH_EVERY) flush();
      }
      await Promise.all(onWire);
    } finally {
      flush();
      this.inBatch = false;
    }
    if (down) {
      this.destinationDown(down.message, down.status !== null);
      this.expireOld(down.message);
    }
    const d = q.destination(this.destination);
    if (d && d.failures > 0 && d.down_until <= this.now()) q.setDestination(this.destination, 0, 0, null, this.now());
    return true;
  }

  /** Requests that may be on the wire together: 1 unless [RemoteAE] asyncOps asked for more and the open association granted a window. */
  private get window(): number {
    return this.channel ? this.channel.assoc.ourOpsWindow(remoteAsyncOps(this.o.remote())) : 1;
  }

  /** The job can join the ones on the wire: an instance whose class the open association proposed. */
  private canPipeline(job: DueJob): boolean {
    return this.channel !== undefined && !this.kindOf(job) && job.sopClassUid !== null && this.proposed.has(job.sopClassUid);
  }

  /** A failed attempt: dead letter past the limits, else retry (a destination-level failure leaves the wait to the destination's back-off, so this job stays first). */
  private failure(job: DueJob, status: number | null, error: string, destinationLevel = false): JobOutcome {
    const r = this.o.retry();
    const attempts = job.attempts + 1;
    if (limitReached(attempts, job.createdAt, this.now(), r.maxAttempts, r.maxAgeMs)) {
      const why = r.maxAttempts > 0 && attempts >= r.maxAttempts ? `${attempts} attempts` : 'maximum age';
      this.o.log.warn(`forward ${this.destination}: ${job.sopUid} is a dead letter after ${why}: ${error}`);
      return { id: job.id, kind: 'dead', status, error: `gave up after ${why}: ${error}` };
    }
    const next = destinationLevel ? 0 : this.now() + backoffMs(attempts, r.baseMs, r.capMs, this.o.random);
    return { id: job.id, kind: 'retry', status, error, nextAttemptAt: next };
  }

  /** While the destination is down, waiting jobs past their maximum age die together (not one per back-off). */
  private expireOld(error: string): void {
    const maxAgeMs = this.o.retry().maxAgeMs;
    if (maxAgeMs <= 0) return;
    const expired = this.o.queue.expireWaiting(this.destination, this.now() - maxAgeMs, `gave up after maximum age: ${error}`, this.now());
    if (expired) this.o.log.warn(`forward ${this.destination}: ${expired} waiting job(s) past their maximum age are dead letters: ${error}`);
  }

  /** The destination backs off; an association that answered (A7xx) is released, a broken one aborted. */
  private destinationDown(error: string, answered = false): void {
    const q = this.o.queue;
    const failures = (q.destination(this.destination)?.failures ?? 0) + 1;
    const r = this.o.retry();
    const wait = backoffMs(failures, r.baseMs, r.capMs, this.o.random);
    q.setDestination(this.destination, this.now() + wait, failures, error, this.now());
    this.o.log.warn(`forward ${this.destination}: ${error}; next attempt in ${(wait / 1000).toFixed(1)} s (failure ${failures})`);
    void this.closeChannel(!answered);
  }

  private kindOf(job: DueJob): JobKind | undefined {
    return job.route === null ? undefined : this.o.kinds?.().find((k) => k.route === job.route);
  }

  /** A stored instance job's file, located and (when small) read ahead; other kinds pass through. */
  private async prepare(job: DueJob): Promise<Prepared> {
    if (this.kindOf(job) || job.path === null || job.sopClassUid === null) return {};
    const abs = join(this.o.root, job.path);
    const st = await stat(abs).catch(() => null);
    if (!st) return { missing: abs };
    const inst: SendableInstance = {
      path: abs, sopClassUid: job.sopClassUid, sopInstanceUid: job.sopUid, transferSyntaxUid: job.transferSyntaxUid!,
      datasetOffset: job.dataSetOffset!, size: st.size - job.dataSetOffset!,
    };
    // A failed read ahead is left to sendInstance, which reads again and reports the error.
    return { inst, body: await preloadDataset(inst).catch(() => undefined) };
  }

  private async sendOne(job: DueJob, prepared: Prepared): Promise<JobOutcome> {
    const kind = this.kindOf(job);
    if (kind) return this.sendOther(kind, job);
    if (job.path === null || job.sopClassUid === null) return { id: job.id, kind: 'dead', status: null, error: 'instance no longer in the store' };
    if (prepared.missing || !prepared.inst) return { id: job.id, kind: 'dead', status: null, error: `stored file missing: ${prepared.missing ?? job.path}` };
    const inst = prepared.inst;
    let channel = await this.channelFor(inst);
    if (!pickContext(channel, inst)) {
      if (this.proposed.has(inst.sopClassUid)) {
        // storageContexts() proposed the class in its own syntax and in every allowed one: all refused.
        return { id: job.id, kind: 'dead', status: 0x0122, error: `${this.destination} refused every presentation context for ${inst.sopClassUid}` };
      }
      await this.closeChannel();
      channel = await this.channelFor(inst);
      if (!pickContext(channel, inst)) return { id: job.id, kind: 'dead', status: 0x0122, error: `${this.destination} refused every presentation context for ${inst.sopClassUid}` };
    }
    let res;
    try {
      res = await sendInstance(channel, inst, {}, prepared.body);
    } catch (e) {
      throw new DestinationDown(`sending ${inst.sopInstanceUid}: ${errorMessage(e)}`, null, true);
    } finally {
      this.lastUse = this.now();
    }
    const verdict = verdictOf(res.status);
    const hex = `0x${res.status.toString(16).padStart(4, '0')}`;
    if (verdict === 'delivered') return { id: job.id, kind: 'done', status: res.status };
    if (isOutOfResources(res.status)) throw new DestinationDown(`status ${hex} (out of resources)${res.error ? `: ${res.error}` : ''}`, res.status);
    const error = `status ${hex}${res.error ? `: ${res.error}` : ''}`;
    if (verdict === 'dead') {
      this.o.log.warn(`forward ${this.destination}: ${inst.sopInstanceUid} is a dead letter: ${error}`);
      return { id: job.id, kind: 'dead', status: res.status, error };
    }
    return this.failure(job, res.status, error);
  }

  /** A job of another kind: its own association and verdict; the outcome rules are the instances'. */
  private async sendOther(kind: JobKind, job: DueJob): Promise<JobOutcome> {
    const remote = this.o.remote();
    if (!remote) throw new DestinationDown(`no [RemoteAE] named ${this.destination} in the configuration`);
    let r: Awaited<ReturnType<JobKind['deliver']>>;
    try {
      r = await kind.deliver(job, remote, this.o.config());
    } catch (e) {
      throw new DestinationDown(`${kind.route} ${job.sopUid}: ${errorMessage(e)}`);
    } finally {
      this.lastUse = this.now();
    }
    const error = r.error ?? `status 0x${(r.status ?? 0xffff).toString(16).padStart(4, '0')}`;
    if (r.verdict === 'delivered') return { id: job.id, kind: 'done', status: r.status ?? 0 };
    if (r.verdict === 'dead') {
      this.o.log.warn(`forward ${this.destination}: ${kind.route} ${job.sopUid} is a dead letter: ${error}`);
      return { id: job.id, kind: 'dead', status: r.status, error };
    }
    return this.failure(job, r.status, error);
  }

  /** The open association if it proposed this class, else a new one for every waiting class. */
  private async channelFor(inst: SendableInstance): Promise<DimseChannel> {
    if (this.channel && this.proposed.has(inst.sopClassUid)) return this.channel;
    await this.closeChannel();
    const remote = this.o.remote();
    if (!remote) throw new DestinationDown(`no [RemoteAE] named ${this.destination} in the configuration`);
    const config = this.o.config();
    const waiting = this.o.queue.waitingClasses(this.destination).map((w, i) => ({
      path: '', sopInstanceUid: String(i), datasetOffset: 0, size: 0, ...w,
    }));
    const wanted = [inst, ...waiting];
    const allowed = remote.transferSyntaxes.length ? remote.transferSyntaxes : config.transferSyntaxes;
    const contexts = storageContexts(wanted, () => allowed);
    let channel: DimseChannel;
    try {
      channel = await openChannel({ config, peer: { aeTitle: remote.aeTitle, host: remote.ip, port: remote.port, remote }, contexts, log: this.o.log, asyncOps: remoteAsyncOps(remote) });
    } catch (e) {
      throw new DestinationDown(`association with ${remote.aeTitle}@${hostPort(remote.ip, remote.port)}: ${errorMessage(e)}`);
    }
    this.channel = channel;
    this.proposed = new Set(contexts.map((c) => c.abstractSyntax));
    this.lastUse = this.now();
    channel.assoc.once('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    return channel;
  }

  private async closeChannel(abort = false): Promise<void> {
    const ch = this.channel;
    this.channel = undefined;
    if (!ch) return;
    try {
      if (abort) ch.assoc.abort('forwarding failed');
      else await ch.assoc.release();
    } catch (e) {
      this.o.log.debug(`forward ${this.destination}: release: ${errorMessage(e)}`);
    }
  }

  /** Waits for a wake-up, the poll interval, the end of a back-off, or the idle release. */
  private async idle(): Promise<void> {
    if (this.stopped || this.waker.pending) return;
    const now = this.now();
    const idleLeft = this.o.retry().idleReleaseMs - (now - this.lastUse);
    if (this.channel && idleLeft <= 0) await this.closeChannel();
    let wait = this.o.pollMs ?? 1000;
    if (this.channel) wait = Math.min(wait, Math.max(10, idleLeft));
    const down = this.o.queue.destination(this.destination)?.down_until ?? 0;
    if (down > now) wait = Math.min(wait, down - now);
    await this.waker.sleep(wait);
  }
}
