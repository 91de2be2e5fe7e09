/**
 * What `run` starts besides the DICOM server: the control socket (for `dicom-edge console`)
 * and the serial setup console, both on one AgentBackend. Neither is fatal: a taken socket
 * path or a missing serial device is logged and the agent runs on.
 */
import type { Agent } from '../agent/agent';
import type { Config } from '../config/types';
import { errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import { AgentBackend } from './agent-backend';
import { removeStaleWriteTemps } from './backend-common';
import { resolveConsoleDevice, type ConsoleDevice } from './board';
import { consoleSettings } from './config-section';
import { ControlServer, controlSocketPath } from './control-server';
import { SerialConsole } from './serial-console';

export interface ApplianceOptions {
  agent: Agent;
  configPath: string;
  config: () => Config;
  reload: () => Promise<void>;
  log: Logger;
  listening?: string;
  env?: NodeJS.ProcessEnv;
  /** Tests: a fake board root, hw folder or serial binding. */
  hwDir?: string;
  root?: string;
  serialBinding?: object;
  retryMs?: number;
}

export class ConsoleServices {
  readonly backend: AgentBackend;
  control?: ControlServer;
  serial?: SerialConsole;
  private device: ConsoleDevice | null = null;

  constructor(private readonly o: ApplianceOptions) {
    this.backend = new AgentBackend({
      agent: o.agent, configPath: o.configPath, config: o.config, log: o.log.child('console'), listening: o.listening,
      reload: async () => {
        await o.reload();
        await this.reconfigure();
      },
      serial: () => this.serial?.state ?? null,
    });
  }

  async start(): Promise<void> {
    const stale = removeStaleWriteTemps(this.o.configPath);
    if (stale.length) this.o.log.warn(`removed ${stale.length} temp file(s) of a configuration write cut short: ${stale.join(', ')}`);
    const control = new ControlServer({ path: controlSocketPath(this.o.config().storage.path, this.o.env), backend: this.backend, log: this.o.log.child('control') });
    try {
      await control.listen();
      this.control = control;
    } catch (e) {
      this.o.log.warn(`control socket not started: ${errorMessage(e)}`);
    }
    await this.reconfigure();
  }

  /** (Re)opens the serial console when its device or baud changed (at start and after a reload). */
  async reconfigure(): Promise<void> {
    let next: ConsoleDevice | null = null;
    try {
      next = resolveConsoleDevice(consoleSettings(this.o.config()), { hwDir: this.o.hwDir, root: this.o.root, env: this.o.env });
    } catch (e) {
      this.o.log.warn(`serial console: ${errorMessage(e)}`);
    }
    const same = next?.device === this.device?.device && next?.baud === this.device?.baud;
    if (same && (this.serial || !next)) return;
    // Reopened after the answer to `apply` has gone out on the old line.
    await new Promise((r) => setImmediate(r));
    await this.serial?.close();
    this.serial = undefined;
    this.device = next;
    if (!next) {
      this.o.log.info('no serial console (set [Console] device, or plug in a known USB-serial adapter)');
      return;
    }
    this.o.log.info(`serial console: ${next.device} at ${next.baud} (${next.source})`);
    this.serial = new SerialConsole({
      device: next.device, baud: next.baud, backend: this.backend, log: this.o.log.child('console'),
      password: () => consoleSettings(this.o.config()).password, binding: this.o.serialBinding, retryMs: this.o.retryMs,
    });
    void this.serial.start();
  }

  async close(): Promise<void> {
    await this.serial?.close();
    await this.control?.close();
  }
}

export async function startConsoleServices(o: ApplianceOptions): Promise<ConsoleServices> {
  const s = new ConsoleServices(o);
  await s.start();
  return s;
}
