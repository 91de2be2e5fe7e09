/**
 * INI text → typed Config, reporting every problem at once with FILE:LINE: prefixes.
 * Where the config comes from: `--config FILE`, else $DICOM_CONFIG_FILE (the statement: "You
 * must set the environment variable DICOM_CONFIG_FILE to point to the configuration file"),
 * else the embedded default (default-ini.ts) — see resolveConfigPath().
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { AcceptEntry, Config, ContextSpec, RemoteAe, Role } from './types';
import { ConfigError } from '../util/errors';
import { readIni } from './ini-reader';
import { configValidators, findSection, REMOTE_CORE_OPTIONS, typeSections, type TypedSection, type TypedValue } from './schema';
import type { ContextsValue } from './values';
import { defaultIniText } from './default-ini';
import { implementationVersionName } from './version';
import { DEFAULT_TRANSFER_SYNTAXES } from '../dicom/transfer-syntaxes';
import { MODALITY_WORKLIST_FIND, VERIFICATION_SOP_CLASS } from '../dicom/uids';
import { sopClassesOfCategory, STATEMENT_STORAGE_UIDS } from '../dicom/sop-classes';

/** One instance of a section registered by another feature, with defaults filled in. */
export interface SectionInstance {
  line: number;
  values: Record<string, unknown>;
}

/**
 * Config plus the parsed values of sections other features registered ([Route], [Web] …).
 * Proposed as a field of Config in types.ts; until then it lives on this extension type.
 */
export interface LoadedConfig extends Config {
  /** Canonical section name → instances (absent section: no key). */
  sections: Record<string, SectionInstance[]>;
}

export interface KernelBufferLimits {
  /** /proc/sys/net/core/wmem_max: cap for SO_SNDBUF. */
  wmemMax?: number;
  /** /proc/sys/net/core/rmem_max: cap for SO_RCVBUF. */
  rmemMax?: number;
}

export interface ParseOptions {
  /** Folder relative paths resolve against (default: the file's folder, else the cwd). */
  baseDir?: string;
  kernelLimits?: KernelBufferLimits;
}

export interface ParseResultSet {
  config?: LoadedConfig;
  problems: string[];
  warnings: string[];
}

export const EMBEDDED_LABEL = '<built-in default>';

export function resolveConfigPath(cliPath?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (cliPath) return resolve(cliPath);
  const fromEnv = env.DICOM_CONFIG_FILE;
  return fromEnv ? resolve(fromEnv) : undefined;
}

/** /proc/sys/net/core by default; DICOM_EDGE_PROC_NET_CORE or `procDir` point elsewhere (tests). */
export function readKernelBufferLimits(procDir = process.env.DICOM_EDGE_PROC_NET_CORE ?? '/proc/sys/net/core'): KernelBufferLimits {
  const read = (name: string): number | undefined => {
    try {
      const n = Number(readFileSync(join(procDir, name), 'utf8').trim());
      return Number.isFinite(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };
  return { wmemMax: read('wmem_max'), rmemMax: read('rmem_max') };
}

/**
 * Loads FILE, or the embedded default when `path` is undefined (it then behaves as if it were
 * ./var/dicom-edge.ini: its `[Storage] path = .` is ./var under the cwd). Callers wanting the
 * statement's lookup order use loadConfig(resolveConfigPath(cliArg)). Throws ConfigError with
 * every problem.
 */
export function loadConfig(path?: string, opts: { procDir?: string } = {}): LoadedConfig {
  const kernelLimits = readKernelBufferLimits(opts.procDir);
  let r: ParseResultSet;
  if (path === undefined) {
    r = parseConfig(defaultIniText(), undefined, { baseDir: resolve('var'), kernelLimits });
  } else {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError([`${path}: cannot read: ${(e as Error).message}`]);
    }
    r = parseConfig(text, path, { kernelLimits });
  }
  if (!r.config) throw new ConfigError(r.problems);
  return r.config;
}

interface Note {
  line: number;
  message: string;
}

/** Builder state shared by the section builders below. */
interface Ctx {
  typed: TypedSection[];
  baseDir: string;
  eofLine: number;
  problem(line: number, message: string): void;
  warn(line: number, message: string): void;
}

/** Pure: no I/O. `config` is undefined when there is any problem. */
export function parseConfig(text: string, file?: string, opts: ParseOptions = {}): ParseResultSet {
  const label = file ?? EMBEDDED_LABEL;
  const problems: Note[] = [];
  const warnings: Note[] = [];
  const doc = readIni(text);
  for (const p of doc.problems) problems.push(p);
  const ctx: Ctx = {
    typed: [],
    baseDir: opts.baseDir ?? (file ? dirname(resolve(file)) : process.cwd()),
    eofLine: Math.max(1, doc.lineCount),
    problem: (line, message) => problems.push({ line, message }),
    warn: (line, message) => warnings.push({ line, message }),
  };
  ctx.typed = typeSections(doc, ctx.problem);
  const config = build(ctx, opts.kernelLimits ?? {});
  if (problems.length === 0) {
    config.file = file;
    for (const v of configValidators()) for (const p of v(config)) problems.push(p);
  }
  const fmt = (notes: Note[], tag: string): string[] =>
    notes.sort((a, b) => a.line - b.line).map((n) => `${label}:${n.line}: ${tag}${n.message}`);
  const out = { problems: fmt(problems, ''), warnings: fmt(warnings, 'warning: ') };
  config.file = file;
  config.warnings = out.warnings;
  return { config: out.problems.length ? undefined : config, ...out };
}

// ---- value access ----

function sectionsNamed(ctx: Ctx, name: string): TypedSection[] {
  const def = findSection(name);
  return ctx.typed.filter((s) => s.def === def);
}

function entries(sec: TypedSection | undefined, opt: string): TypedValue[] {
  return sec?.values.get(opt) ?? [];
}

/** The option's value, or its schema default. */
function get<T>(ctx: Ctx, sectionName: string, opt: string): T {
  const v = entries(sectionsNamed(ctx, sectionName)[0], opt)[0];
  if (v) return v.value as T;
  return findSection(sectionName)!.options.get(opt.toLowerCase())!.def.default as T;
}

function lineOf(ctx: Ctx, sectionName: string, opt?: string): number {
  const sec = sectionsNamed(ctx, sectionName)[0];
  return (opt ? entries(sec, opt)[0]?.line : undefined) ?? sec?.line ?? ctx.eofLine;
}

function absPath(ctx: Ctx, p: string): string {
  return isAbsolute(p) ? p : resolve(ctx.baseDir, p);
}

// ---- building ----

const TUNABLES: [string, string][] = [
  ['Network', 'maxpdu'], ['Network', 'socketSndBuf'], ['Network', 'socketRcvBuf'],
  ['Network', 'maxAssociations'], ['Memory', 'dimseSize'],
];

function build(ctx: Ctx, limits: KernelBufferLimits): LoadedConfig {
  const storagePath = absPath(ctx, get<string | undefined>(ctx, 'Storage', 'path') ?? 'var');
  const dumpDir = get<string | undefined>(ctx, 'Options', 'dumpDir');
  const debugFile = get<string | undefined>(ctx, 'Options', 'debugFile');
  const config: LoadedConfig = {
    network: {
      port: get(ctx, 'Network', 'port'),
      bind: get(ctx, 'Network', 'bind'),
      maxPdu: get(ctx, 'Network', 'maxpdu'),
      readTimeout: get(ctx, 'Network', 'readTimeout'),
      idleTimeout: get(ctx, 'Network', 'idleTimeout'),
      socketSndBuf: get(ctx, 'Network', 'socketSndBuf'),
      socketRcvBuf: get(ctx, 'Network', 'socketRcvBuf'),
      maxAssociations: get(ctx, 'Network', 'maxAssociations'),
      maxAsyncOps: get(ctx, 'Network', 'maxAsyncOps'),
    },
    memory: { dimseSize: get(ctx, 'Memory', 'dimseSize') },
    localAe: {
      aeTitle: localAeTitle(ctx),
      implementationClassUid: get(ctx, 'Local AE', 'implementationClassUid'),
      implementationVersionName: implementationVersionName(),
    },
    options: {
      debug: get(ctx, 'Options', 'debug'),
      debugFile: debugFile === undefined ? undefined : absPath(ctx, debugFile),
      pduDump: get(ctx, 'Options', 'pduDump'),
      dimseDump: get(ctx, 'Options', 'dimseDump'),
      dumpDir: dumpDir === undefined ? join(storagePath, 'dumps') : absPath(ctx, dumpDir),
      verifyProtocol: get(ctx, 'Options', 'verifyProtocol'),
      verifyLocalAe: get(ctx, 'Options', 'verifyLocalAe'),
      verifyRemoteAe: get(ctx, 'Options', 'verifyRemoteAe'),
      verifyAppContext: get(ctx, 'Options', 'verifyAppContext'),
      verifyIPAddr: get(ctx, 'Options', 'verifyIPAddr'),
      warmUp: get(ctx, 'Options', 'warmUp'),
    },
    transferSyntaxes: trSynList(entries(sectionsNamed(ctx, 'Transfer Syntax')[0], 'trSyn')),
    server: buildServer(ctx),
    remotes: buildRemotes(ctx),
    storage: { path: storagePath, duplicates: get(ctx, 'Storage', 'duplicates'), spareFiles: get(ctx, 'Storage', 'spareFiles') },
    autoKeys: TUNABLES.filter(([s, o]) => isAuto(ctx, s, o)).map(([, o]) => o),
    warnings: [],
    sections: extraSections(ctx),
  };
  if (config.transferSyntaxes.length === 0) config.transferSyntaxes = [...DEFAULT_TRANSFER_SYNTAXES];
  addWarnings(ctx, config, limits);
  return config;
}

function isAuto(ctx: Ctx, sectionName: string, opt: string): boolean {
  const v = entries(sectionsNamed(ctx, sectionName)[0], opt)[0];
  return !v || v.auto === true;
}

function localAeTitle(ctx: Ctx): string {
  const ae = get<string | undefined>(ctx, 'Local AE', 'aeTitle');
  const written = sectionsNamed(ctx, 'Local AE')[0]?.seen.has('aeTitle');
  if (ae === undefined && !written) ctx.problem(lineOf(ctx, 'Local AE'), 'missing [Local AE] aeTitle (the AE title of this server)');
  return ae ?? '';
}

function trSynList(values: TypedValue[]): string[] {
  const out: string[] = [];
  for (const v of values) for (const uid of v.value as string[]) if (!out.includes(uid)) out.push(uid);
  return out;
}

function contextSpecs(sec: TypedSection | undefined): ContextSpec[] {
  const specs: ContextSpec[] = [];
  for (const role of ['scu', 'scp', 'scuscp'] as Role[]) {
    for (const v of entries(sec, role)) {
      const cv = v.value as ContextsValue;
      for (const c of cv.classes) specs.push({ role, sopClassUids: c.uids, transferSyntaxes: cv.transferSyntaxes, line: v.line });
    }
  }
  return specs.sort((a, b) => a.line - b.line);
}

/** With no scu/scp/scuscp in [Server]: SCP for echo, the statement's storage classes, Q/R and worklist. */
export function defaultServerContexts(): ContextSpec[] {
  const qr = [...sopClassesOfCategory('qr-find'), ...sopClassesOfCategory('qr-move'), ...sopClassesOfCategory('qr-get')]
    .filter((c) => c.inStatement).map((c) => c.uid);
  const uids = [VERIFICATION_SOP_CLASS, ...STATEMENT_STORAGE_UIDS, ...qr, MODALITY_WORKLIST_FIND];
  return [{ role: 'scp', sopClassUids: uids, transferSyntaxes: [], line: 0 }];
}

function buildServer(ctx: Ctx): Config['server'] {
  const sec = sectionsNamed(ctx, 'Server')[0];
  let contexts = contextSpecs(sec);
  if (contexts.length === 0) {
    contexts = defaultServerContexts();
    ctx.warn(sec?.line ?? ctx.eofLine, '[Server] has no scu/scp/scuscp lines: acting as SCP for echo, every storage class, Q/R FIND/MOVE/GET and worklist');
  }
  const accept: AcceptEntry[] = [];
  for (const v of entries(sec, 'accept')) {
    for (const a of v.value as { aeTitle: string; ip: string }[]) accept.push({ ...a, line: v.line });
  }
  return {
    contexts,
    accept,
    trSynOrder: get(ctx, 'Server', 'trSynOrder'),
    transferSyntaxes: trSynList(entries(sec, 'trSyn')),
  };
}

function buildRemotes(ctx: Ctx): RemoteAe[] {
  const remotes: RemoteAe[] = [];
  for (const sec of sectionsNamed(ctx, 'RemoteAE')) {
    const one = <T>(opt: string): T | undefined => entries(sec, opt)[0]?.value as T | undefined;
    const missing = ['aetitle', 'ip', 'port'].filter((o) => !sec.seen.has(o));
    for (const o of missing) ctx.problem(sec.line, `[${sec.def.name}] has no ${o}`);
    const remote: RemoteAe = {
      userName: one<string>('userName'),
      aeTitle: one<string>('aetitle') ?? '',
      ip: one<string>('ip') ?? '',
      port: one<number>('port') ?? 0,
      contexts: contextSpecs(sec),
      transferSyntaxes: trSynList(entries(sec, 'trSyn')),
      comment: one<string>('comment'),
      extra: remoteExtra(sec),
      line: sec.line,
    };
    checkDuplicate(ctx, remotes, remote, sec);
    remotes.push(remote);
  }
  return remotes;
}

function checkDuplicate(ctx: Ctx, seen: RemoteAe[], r: RemoteAe, sec: TypedSection): void {
  const ae = seen.find((o) => r.aeTitle !== '' && o.aeTitle === r.aeTitle);
  if (ae) ctx.problem(entries(sec, 'aetitle')[0].line, `duplicate remote AE title "${r.aeTitle}" (also at line ${ae.line})`);
  const key = (n?: string) => n?.trim().toLowerCase();
  const un = seen.find((o) => r.userName !== undefined && key(o.userName) === key(r.userName));
  if (un) ctx.problem(entries(sec, 'userName')[0].line, `duplicate remote userName "${r.userName}" (also at line ${un.line})`);
}

function remoteExtra(sec: TypedSection): Record<string, string> {
  const extra: Record<string, string> = {};
  for (const [name, list] of sec.values) {
    if (!REMOTE_CORE_OPTIONS.has(name)) extra[name] = list.map((v) => v.raw).join(', ');
  }
  return extra;
}

function extraSections(ctx: Ctx): Record<string, SectionInstance[]> {
  const out: Record<string, SectionInstance[]> = {};
  for (const sec of ctx.typed.filter((s) => !s.def.core)) {
    const values: Record<string, unknown> = {};
    for (const { name, def } of new Set(sec.def.options.values())) {
      const list = entries(sec, name);
      if (def.multi) values[name] = list.flatMap((v) => (Array.isArray(v.value) ? v.value : [v.value]));
      else values[name] = list.length ? list[0].value : def.default;
    }
    (out[sec.def.name] ??= []).push({ line: sec.line, values });
  }
  return out;
}

function addWarnings(ctx: Ctx, c: Config, limits: KernelBufferLimits): void {
  const open = 'anyone may connect: keep it On in a clinical (production) environment';
  if (!c.options.verifyRemoteAe) ctx.warn(lineOf(ctx, 'Options', 'verifyRemoteAe'), `verifyRemoteAe is Off: ${open}`);
  if (!c.options.verifyIPAddr) ctx.warn(lineOf(ctx, 'Options', 'verifyIPAddr'), `verifyIPAddr is Off: ${open}`);
  else if (c.server.accept.length === 0 && c.remotes.length === 0) {
    // A [RemoteAE] also admits its AE title from its address (ul/negotiation.ts peerAllowed).
    ctx.warn(lineOf(ctx, 'Server'), 'verifyIPAddr is On but there are no [Server] accept lines and no [RemoteAE] sections: every association will be refused');
  }
  const check = (opt: 'socketSndBuf' | 'socketRcvBuf', max: number | undefined, file: string) => {
    if (max === undefined || isAuto(ctx, 'Network', opt) || c.network[opt] <= max) return;
    ctx.warn(lineOf(ctx, 'Network', opt), `${opt} ${c.network[opt]} is above the kernel maximum ${max} (${file}): Linux silently caps it, and setting it disables autotuning`);
  };
  check('socketSndBuf', limits.wmemMax, 'net.core.wmem_max');
  check('socketRcvBuf', limits.rmemMax, 'net.core.rmem_max');
}

/** Values of a section another feature registered: the first instance, or its defaults when absent. */
export function sectionValues(config: LoadedConfig, name: string): Record<string, unknown> {
  const def = findSection(name);
  if (!def) return {};
  const found = config.sections[def.name]?.[0];
  if (found) return found.values;
  const values: Record<string, unknown> = {};
  for (const { name: opt, def: o } of new Set(def.options.values())) values[opt] = o.multi ? [] : o.default;
  return values;
}
