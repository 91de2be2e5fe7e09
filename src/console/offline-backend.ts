/**
 * The console backend when no agent runs (`dicom-edge console --config FILE` with no
 * control socket): the same editing, `apply` writes the file (with FILE.bak) and the change
 * takes effect when the agent starts or reloads. `echo` and `tune` run from this process.
 */
import { packageVersion } from '../config/version';
import { createLogger, type Logger } from '../util/log';
import type { AgentStatus, ApplyResult, ConfigText, ConsoleBackend, QueueRow } from './backend';
import { diskInfo, echoRemote, readConfigFile, restoreConfigBackup, tuneReport, validateConfigText, writeConfigFile } from './backend-common';

export class OfflineBackend implements ConsoleBackend {
  readonly offline = true;

  constructor(private readonly path: string, private readonly log: Logger = createLogger({ quiet: true })) {}

  private current() {
    return validateConfigText(readConfigFile(this.path), this.path).config;
  }

  async status(): Promise<AgentStatus> {
    let ae = '?';
    let disk = null;
    try {
      const c = this.current();
      ae = c.localAe.aeTitle;
      disk = diskInfo(c.storage.path);
    } catch { /* an invalid file: status still answers */ }
    return {
      version: packageVersion(), pid: process.pid, uptimeSeconds: 0, aeTitle: ae, listening: null, configPath: this.path,
      associations: [], maxAssociations: 0, queueDepth: null, disk, instances: null, restartNeeded: [], serial: null, offline: true,
    };
  }

  async readConfig(): Promise<ConfigText> {
    return { path: this.path, text: readConfigFile(this.path) };
  }

  async applyConfig(text: string, base: string): Promise<ApplyResult> {
    const w = writeConfigFile(this.path, text, base);
    return { path: this.path, backup: w.backup, warnings: w.warnings, reloaded: false, restartNeeded: [] };
  }

  async restoreBackup(): Promise<ApplyResult> {
    const w = restoreConfigBackup(this.path);
    return { path: this.path, backup: w.backup, warnings: w.warnings, reloaded: false, restartNeeded: [] };
  }

  echo(remote: string): Promise<string> {
    return echoRemote(this.current(), remote, this.log);
  }

  async queue(): Promise<QueueRow[] | null> {
    return null;
  }

  tune(): Promise<string> {
    return tuneReport(this.current());
  }
}
