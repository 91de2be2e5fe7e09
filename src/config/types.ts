/**
 * The typed configuration every other module reads. Produced by src/config/load.ts
 * from the INI described in the conformance statement (+ our documented additions).
 * All UIDs are resolved (abbreviations expanded); AE titles have padding removed.
 */

export type Role = 'scu' | 'scp' | 'scuscp';

/** One `scp = ct, explicitLittle` style line (or one element of a comma list). */
export interface ContextSpec {
  role: Role;
  /** Abbreviations expand to one or more UIDs (usmf, nm, us include the retired class). */
  sopClassUids: string[];
  /** Transfer syntax UIDs named on the line; empty = use the section/default list. */
  transferSyntaxes: string[];
  /** 1-based line in the INI (0 for built-in defaults). */
  line: number;
}

export interface AcceptEntry {
  aeTitle: string;
  /** Dotted IPv4/IPv6 literal, or '*' for any address. */
  ip: string;
  line: number;
}

export interface RemoteAe {
  userName?: string;
  aeTitle: string;
  ip: string;
  port: number;
  contexts: ContextSpec[];
  /** Transfer syntax UIDs from this section's trSyn (empty = [Transfer Syntax] list). */
  transferSyntaxes: string[];
  comment?: string;
  /** Options later features add (worklist=yes, printer=yes, tls=yes, ...), raw text. */
  extra: Record<string, string>;
  line: number;
}

export interface NetworkConfig {
  port: number;
  bind: string;
  maxPdu: number;
  /** Seconds; 0 disables. */
  readTimeout: number;
  /** Seconds; 0 disables; server side only. */
  idleTimeout: number;
  socketSndBuf: number;
  socketRcvBuf: number;
  maxAssociations: number;
  /**
   * Outstanding requests a peer may invoke on one association when it proposes an
   * Asynchronous Operations Window (ours; the statement has none); 1 = synchronous.
   */
  maxAsyncOps: number;
}

export interface OptionsConfig {
  debug: boolean;
  debugFile?: string;
  pduDump: boolean;
  dimseDump: boolean;
  dumpDir: string;
  verifyProtocol: boolean;
  verifyLocalAe: boolean;
  verifyRemoteAe: boolean;
  verifyAppContext: boolean;
  verifyIPAddr: boolean;
  /** Ours: at start, a synthetic study through the agent's own code (src/agent/warm-up.ts WARM_UP_NOTE). */
  warmUp: boolean;
}

export interface Config {
  network: NetworkConfig;
  memory: { dimseSize: number };
  localAe: { aeTitle: string; implementationClassUid: string; implementationVersionName: string };
  options: OptionsConfig;
  /** [Transfer Syntax] trSyn as UIDs, in order; default implicit, explicit LE, explicit BE. */
  transferSyntaxes: string[];
  server: {
    contexts: ContextSpec[];
    accept: AcceptEntry[];
    trSynOrder: 'server' | 'client';
    /** [Server] trSyn as UIDs (empty = [Transfer Syntax] list). */
    transferSyntaxes: string[];
  };
  remotes: RemoteAe[];
  storage: { path: string; duplicates: 'overwrite' | 'ignore' | 'reject'; /** Empty files kept ready for bursts (0 = none). */ spareFiles: number };
  /** Options written as `auto` or left out that a tuner may set (socketSndBuf, dimseSize...). */
  autoKeys: string[];
  /** Path of the INI file, or undefined for the embedded default. */
  file?: string;
  warnings: string[];
}
