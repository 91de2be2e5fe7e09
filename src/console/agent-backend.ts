/**
 * The console backend inside the agent process: status from the running Agent, `apply`
 * writes the INI and goes through the same reload as SIGHUP (`reload` from run.ts), which
 * swaps the configuration for new associations and leaves open ones alone.
 */
import type { Agent } from '../agent/agent';
import type { Config } from '../config/types';
import { packageVersion } from '../config/version';
import type { Logger } from '../util/log';
import type { AgentStatus, ApplyResult, ConfigText, ConsoleBackend, QueueRow } from './backend';
import { diskInfo, echoRemote, readConfigFile, restartNeeded, restoreConfigBackup, tuneReport, writeConfigFile } from './backend-common';
import { hostPort } from '../util/address';

/** What a forwarder attached to the agent may offer (looked up, not required). */
interface QueueSource { summary(): Array<{ destination: string; state: string; n: number; oldest?: number | null }> }

export interface AgentBackendOptions {
  agent: Agent;
  /** The INI the agent runs from. */
  configPath: string;
  /** The configuration in effect now (changes on reload). */
  config: () => Config;
  /** Reloads from configPath like SIGHUP; rejects with ConfigError when the file is invalid. */
  reload: () => Promise<void>;
  log: Logger;
  /** "address:port" of the DICOM listener. */
  listening?: string;
  /** The serial console's state line, when there is one. */
  serial?: () => string | null;
  /** The forwarding queue; default: the agent's forwarder queue when it has one. */
  queue?: () => QueueSource | undefined;
}

export class AgentBackend implements ConsoleBackend {
  readonly offline = false;
  private readonly started: Config;
  /** apply/revert one at a time, whoever asks (serial line, control socket). */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: AgentBackendOptions) {
    this.started = o.config();
  }

  async status(): Promise<AgentStatus> {
    const c = this.o.config();
    const q = this.queueSource();
    return {
      version: packageVersion(), pid: process.pid, uptimeSeconds: process.uptime(), aeTitle: c.localAe.aeTitle,
      listening: this.o.listening ?? hostPort(c.network.bind, c.network.port), configPath: this.o.configPath,
      associations: [...this.o.agent.associations].map((a) => ({
        id: a.id, callingAe: a.callingAe, calledAe: a.calledAe, peer: a.peerAddress, state: a.state,
      })),
      maxAssociations: c.network.maxAssociations,
      queueDepth: q ? sumWaiting(q.summary()) : null,
      disk: diskInfo(c.storage.path),
      instances: safe(() => this.o.agent.index.countInstances()),
      restartNeeded: restartNeeded(this.started, c),
      serial: this.o.serial?.() ?? null,
      offline: false,
    };
  }

  async readConfig(): Promise<ConfigText> {
    return { path: this.o.configPath, text: readConfigFile(this.o.configPath) };
  }

  applyConfig(text: string, base: string): Promise<ApplyResult> {
    return this.serialized(async () => {
      const w = writeConfigFile(this.o.configPath, text, base);
      this.o.log.info(`console: wrote ${this.o.configPath} (backup ${w.backup}); reloading`);
      await this.o.reload();
      return { path: this.o.configPath, backup: w.backup, warnings: w.warnings, reloaded: true, restartNeeded: restartNeeded(this.started, this.o.config()) };
    });
  }

  restoreBackup(): Promise<ApplyResult> {
    return this.serialized(async () => {
      const w = restoreConfigBackup(this.o.configPath);
      this.o.log.info(`console: restored ${this.o.configPath} from its backup; reloading`);
      await this.o.reload();
      return { path: this.o.configPath, backup: w.backup, warnings: w.warnings, reloaded: true, restartNeeded: restartNeeded(this.started, this.o.config()) };
    });
  }

  echo(remote: string): Promise<string> {
    return echoRemote(this.o.config(), remote, this.o.log.child('console-echo'));
  }

  async queue(): Promise<QueueRow[] | null> {
    const q = this.queueSource();
    if (!q) return null;
    return q.summary().map((r) => ({ destination: r.destination, state: r.state, count: r.n, oldest: r.oldest ?? undefined }));
  }

  tune(): Promise<string> {
    return tuneReport(this.o.config());
  }

  private queueSource(): QueueSource | undefined {
    if (this.o.queue) return this.o.queue();
    // The forwarder (src/forward) keeps its QueueDb at agent.forwarder.queue.
    const a = this.o.agent as unknown as { forwarder?: { queue?: unknown } };
    for (const q of [a.forwarder?.queue, a.forwarder] as Partial<QueueSource>[]) {
      if (q && typeof q.summary === 'function') return q as QueueSource;
    }
    return undefined;
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.writing.then(fn, fn);
    this.writing = next.catch(() => undefined);
    return next;
  }
}

function sumWaiting(rows: Array<{ state: string; n: number }>): number {
  return rows.filter((r) => r.state !== 'done' && r.state !== 'dead').reduce((s, r) => s + r.n, 0);
}

function safe<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

