/**
 * WARM_UP_NOTE: the start-up warm-up ([Options] warmUp, on by default). V8 runs a function
 * on its interpreter until it has run a while, then compiles it (TurboFan) on helper threads
 * of the same two cores that take in the study: the first study after every start cost
 * ~150 ms more of the agent's CPU than the next (forward benchmark: 780–980 ms against
 * 580–770 ms per 300 CT images) — after a power cut, exactly the study that most needs to
 * get through. So once listening, the agent sends a small synthetic study (warm-up-study.ts)
 * with its own `store` SCU code to a scratch agent that receives, stores, indexes and
 * forwards it to a second scratch agent. They are the same classes as the real agent, so
 * the optimised code and the type feedback they leave serve the real traffic.
 *
 * Nothing of it touches the real store, index, queue or activity: the scratch agents keep
 * their data in <data>/warm-up (removed after, and at the next start if the process died
 * meanwhile), listen on 127.0.0.1 on ports the kernel picks, and log nothing but the
 * outcome. It yields to real work: before each image it checks busy() (an association or a
 * forward batch of the real agent, or a mere TCP connection to its port) and waits until the
 * real agent is idle again; it gives up at its time limit, and stop() ends it at once.
 */
import { mkdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../config/load';
import type { Config } from '../config/types';
import type { DimseChannel } from '../dimse/channel';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../dicom/uids';
import { openChannel } from '../services/scu';
import { sendInstance, storageContexts, type SendableInstance } from '../services/store-scu';
import { errorMessage } from '../util/errors';
import { silentLogger, type Logger } from '../util/log';
import { Agent } from './agent';
import { studyBytes, writeWarmUpStudy, type StudyShape } from './warm-up-study';

/**
 * 96 small images (per-message code) and 24 CT slices (per-PDU code). Measured (README,
 * Benchmarks): first forwarded CT study 1.20–1.36× direct, median 1.28× over 13 runs, against
 * 1.20–1.41×, median 1.33×, without. 200 small images alone did about as well in two runs and left the same peak
 * memory in a CT study after it (~20 MiB above an agent without warm-up until V8's memory
 * reducer runs, ~25 s after start).
 */
export const WARM_UP_SHAPE: StudyShape = { small: 96, smallRows: 64, large: 24, largeRows: 512 };

const SINK_AE = 'WARMUP_SINK';
const RELAY_AE = 'WARMUP_EDGE';
const POLL_MS = 20;
/** Free space kept on top of the warm-up's own (three copies of its study, for a moment). */
const SPACE_MARGIN = 256 * 2 ** 20;
const IDLE_POLL_MS = 100;

export interface WarmUpOptions {
  base: Config;
  log: Logger;
  /** True while the real agent has work: the warm-up waits meanwhile. */
  busy: () => boolean;
  shape?: StudyShape;
  /** The whole warm-up, at most (it stops there, whatever is left). */
  timeoutMs?: number;
  /** Free bytes for the data folder (statfs; replaced in tests). */
  freeBytes?: (path: string) => Promise<number>;
}

export interface WarmUpReport {
  images: number;
  /** Accepted by the scratch agent. */
  sent: number;
  /** Stored by the second scratch agent, through the first one's forwarder. */
  forwarded: number;
  ms: number;
  /** stop() or the time limit ended it before every image went through. */
  stoppedEarly: boolean;
  /** Time spent waiting for the real agent to be idle. */
  waitedMs: number;
  /** Why it did not run (too little free space). */
  skipped?: string;
}

export function warmUpDir(storageRoot: string): string {
  return join(storageRoot, 'warm-up');
}

export class WarmUp {
  /** The report, or undefined when it failed (logged as a warning; the agent runs on). */
  readonly done: Promise<WarmUpReport | undefined>;
  private stopping = false;
  private readonly agents: Agent[] = [];
  private readonly dir: string;
  private readonly deadline: number;
  private waitedMs = 0;

  constructor(private readonly o: WarmUpOptions) {
    this.dir = warmUpDir(o.base.storage.path);
    this.deadline = Date.now() + (o.timeoutMs ?? 30_000);
    this.done = this.run().then((r) => {
      if (r.skipped) {
        o.log.info(`warm-up skipped: ${r.skipped}`);
        return r;
      }
      const waited = r.waitedMs >= IDLE_POLL_MS ? `, ${r.waitedMs} ms of it waiting for real work to end` : '';
      o.log.info(`warm-up: ${r.forwarded}/${r.images} synthetic images received, stored, indexed and forwarded in ${r.ms} ms${waited}${r.stoppedEarly ? ' (stopped early: time limit or stop)' : ''}; scratch folder removed`);
      return r;
    }, (e: unknown) => {
      o.log.warn(`warm-up failed (the agent runs on; only its first study is slower): ${errorMessage(e)}`);
      return undefined;
    });
  }

  /** Ends it now (sending stops after the image on the wire) and waits for the cleanup. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }

  private get cut(): boolean {
    return this.stopping || Date.now() > this.deadline;
  }

  /** Waits while the real agent is busy; false when stopped or out of time. */
  private async quiet(): Promise<boolean> {
    const t0 = Date.now();
    while (!this.cut && this.o.busy()) await sleep(IDLE_POLL_MS);
    this.waitedMs += Date.now() - t0;
    return !this.cut;
  }

  private async run(): Promise<WarmUpReport> {
    const t0 = Date.now();
    try {
      await rm(this.dir, { recursive: true, force: true }); // a warm-up the process died in
      const none = (why?: string): WarmUpReport => ({ images: 0, sent: 0, forwarded: 0, ms: Date.now() - t0, stoppedEarly: !why, waitedMs: this.waitedMs, skipped: why });
      if (!(await this.quiet())) return none();
      const shape = this.o.shape ?? WARM_UP_SHAPE;
      // Never the warm-up that fills the disk a real reception needs.
      const need = 3 * studyBytes(shape);
      const free = await (this.o.freeBytes ?? freeBytes)(this.o.base.storage.path);
      if (free < need + SPACE_MARGIN) return none(`${mib(free)} MiB free on the data folder's disk; it needs ${mib(need)} MiB for a moment and leaves ${mib(SPACE_MARGIN)} MiB to real receptions`);
      await mkdir(join(this.dir, 'study'), { recursive: true, mode: 0o700 });
      const images = await writeWarmUpStudy(join(this.dir, 'study'), shape);
      const sink = await this.startScratch(SINK_AE, 'sink', images.length, '');
      const relay = await this.startScratch(RELAY_AE, 'relay', images.length,
        `[RemoteAE]\nuserName = SINK\naetitle = ${SINK_AE}\nip = 127.0.0.1\nport = ${sink.port}\n\n[Route]\nto = SINK\n`);
      await this.until(() => this.agents.every((a) => a.store.spareFilesReady >= images.length));
      const sent = await this.send(images, relay.port);
      await this.until(() => sink.agent.index.countInstances() >= sent);
      const forwarded = sink.agent.index.countInstances();
      return { images: images.length, sent, forwarded, ms: Date.now() - t0, stoppedEarly: forwarded < images.length, waitedMs: this.waitedMs };
    } finally {
      for (const a of this.agents.splice(0).reverse()) await a.stop(500).catch(() => undefined);
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  /** A scratch agent on 127.0.0.1 and a port the kernel picks, with the real agent's network and memory settings. */
  private async startScratch(aeTitle: string, name: string, spareFiles: number, tail: string): Promise<{ agent: Agent; port: number }> {
    const config = scratchConfig(this.o.base, aeTitle, join(this.dir, name), spareFiles, tail);
    const agent = new Agent({ config, log: silentLogger });
    this.agents.push(agent);
    const addr: AddressInfo = await agent.start();
    return { agent, port: addr.port };
  }

  /** Sends until done, stopped or out of time; returns how many the relay accepted. */
  private async send(images: SendableInstance[], port: number): Promise<number> {
    if (!(await this.quiet())) return 0;
    const base = this.o.base;
    const channel: DimseChannel = await openChannel({
      config: base, peer: { aeTitle: RELAY_AE, host: '127.0.0.1', port }, callingAe: 'WARMUP_SCU', log: silentLogger,
      contexts: storageContexts(images, () => [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN]),
    });
    let sent = 0;
    try {
      for (const image of images) {
        if (!(await this.quiet())) break;
        const r = await sendInstance(channel, image);
        if (r.outcome === 'failure') throw new Error(`the scratch agent answered ${r.status.toString(16).padStart(4, '0')} ${r.error ?? ''}`);
        sent++;
      }
    } finally {
      if (channel.assoc.established) await channel.assoc.release().catch(() => undefined);
    }
    return sent;
  }

  /** Polls `ready` until it holds, or the warm-up is stopped or out of time. */
  private async until(ready: () => boolean): Promise<void> {
    while (!ready() && !this.cut) await sleep(POLL_MS);
  }
}

async function freeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

/** The scratch agents' configuration: the real one's PDU, socket and DIMSE sizes; CT storage; loopback only. */
export function scratchConfig(base: Config, aeTitle: string, path: string, spareFiles: number, tail: string): Config {
  const n = base.network;
  const ini = [
    '[Network]', 'port = 104', 'bind = 127.0.0.1', `maxpdu = ${n.maxPdu}`, `socketSndBuf = ${n.socketSndBuf}`, `socketRcvBuf = ${n.socketRcvBuf}`,
    `readTimeout = ${n.readTimeout}`, 'idleTimeout = 30', 'maxAssociations = 4',
    '[Memory]', `dimseSize = ${base.memory.dimseSize}`,
    '[Local AE]', `aeTitle = ${aeTitle}`,
    '[Options]', 'verifyRemoteAe = Off', 'verifyIPAddr = Off', 'warmUp = Off',
    '[Server]', 'scp = ct',
    '[Storage]', `path = ${path}`, `spareFiles = ${spareFiles}`,
    tail,
  ].join('\n');
  const r = parseConfig(ini, 'warm-up', { baseDir: path });
  if (!r.config) throw new Error(`scratch configuration refused: ${r.problems.join('; ')}`);
  r.config.network.port = 0; // the kernel picks (the INI needs a port of 1 or more)
  return r.config;
}
