/**
 * What the console needs from the agent. Three implementations: in the agent process
 * (agent-backend.ts), over the control socket (control-client.ts, for `dicom-edge console`)
 * and without any agent (offline-backend.ts: editing the INI file). All results are plain
 * JSON so they cross the control socket unchanged.
 */

export interface AssociationInfo {
  id: string;
  callingAe: string;
  calledAe: string;
  peer: string;
  state: string;
}

export interface QueueRow {
  destination: string;
  state: string;
  count: number;
  /** ms since the epoch */
  oldest?: number;
}

export interface DiskInfo {
  path: string;
  freeBytes: number;
  totalBytes: number;
}

export interface AgentStatus {
  version: string;
  pid: number;
  uptimeSeconds: number;
  aeTitle: string;
  /** "address:port" the DICOM server listens on; null offline. */
  listening: string | null;
  configPath: string | null;
  associations: AssociationInfo[];
  maxAssociations: number;
  /** null: no forwarding queue in this agent. */
  queueDepth: number | null;
  disk: DiskInfo | null;
  instances: number | null;
  /** Options changed by the last apply that only a restart puts into effect. */
  restartNeeded: string[];
  /** The serial console's device and state, null when none. */
  serial: string | null;
  offline: boolean;
}

export interface ConfigText {
  path: string;
  text: string;
}

export interface ApplyResult {
  path: string;
  backup: string;
  warnings: string[];
  /** true when a running agent took the new configuration. */
  reloaded: boolean;
  restartNeeded: string[];
}

export interface ConsoleBackend {
  readonly offline: boolean;
  status(): Promise<AgentStatus>;
  readConfig(): Promise<ConfigText>;
  /**
   * Validates `text`, writes it atomically (FILE.bak keeps the previous version) and reloads
   * the agent. `base` is the text the edits started from: when the file changed meanwhile
   * the apply is refused (CONSOLE_CONFLICT) rather than losing someone else's change.
   */
  applyConfig(text: string, base: string): Promise<ApplyResult>;
  /** Puts FILE.bak back (the current file becomes the new .bak) and reloads. */
  restoreBackup(): Promise<ApplyResult>;
  echo(remote: string): Promise<string>;
  /** null: there is no forwarding queue. */
  queue(): Promise<QueueRow[] | null>;
  tune(): Promise<string>;
}
