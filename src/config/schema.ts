/**
 * The INI schema as a table: section → option → { type, default, multi }. Other features add
 * their sections ([Route], [Worklist], [Web], [Console], [TLS]) with registerSection() and
 * RemoteAE keys (worklist, printer, mpps, tls, printAs) with registerOptions('RemoteAE', …)
 * before the config is parsed (balena-supervisor's typed schema habit).
 *
 * Names match case-insensitively (the statement writes both aeTitle and aetitle); section
 * names also ignore blanks, so [Remote AE] = [RemoteAE] and [LocalAE] = [Local AE].
 */
import { EdgeError } from '../util/errors';
import { parseOptionValue } from './values';
import type { IniDocument } from './ini-reader';
import type { Config } from './types';

export type OptionType =
  | 'int' | 'bool' | 'text' | 'word' | 'path' | 'aeTitle' | 'uid' | 'ip' | 'enum'
  | 'contexts' | 'accept' | 'trSyn' | 'custom';

export type ParseResult = { value: unknown } | { problem: string };

export interface OptionDef {
  type: OptionType;
  /** Typed default (also what `auto` stands for until a tuner replaces it). */
  default?: unknown;
  /** Repeated keys and comma lists accumulate instead of being a problem. */
  multi?: boolean;
  /** Integer range (inclusive). */
  min?: number;
  max?: number;
  /** 0 is allowed besides min..max (maxpdu: 0 = no limit). */
  allowZero?: boolean;
  /** Allowed words for 'enum' (matched case-insensitively, returned as written here). */
  values?: readonly string[];
  /** May be the word `auto` (tunable: listed in config.autoKeys). */
  auto?: boolean;
  /** Other spellings, e.g. scuscpc for scuscp. */
  aliases?: readonly string[];
  /** For type 'custom': raw value → typed value or problem. */
  parse?: (raw: string) => ParseResult;
}

export interface SectionDef {
  /** Canonical spelling, e.g. 'Local AE'. */
  name: string;
  /** Each header starts a new instance ([RemoteAE]); otherwise repeated headers merge. */
  repeated: boolean;
  /** Registered by this module (the statement's sections and our [Storage]). */
  core: boolean;
  /** lower-case option name or alias → canonical name and definition */
  options: Map<string, { name: string; def: OptionDef }>;
}

export interface SectionOptions {
  repeated?: boolean;
  aliases?: readonly string[];
}

const sections = new Map<string, SectionDef>();

function sectionKey(name: string): string {
  return name.toLowerCase().replace(/\s+/g, '');
}

export function findSection(name: string): SectionDef | undefined {
  return sections.get(sectionKey(name));
}

export function findOption(section: SectionDef, key: string): { name: string; def: OptionDef } | undefined {
  return section.options.get(key.trim().toLowerCase());
}

/** Adds a section; throws CONFIG_SCHEMA when its name (or an alias) is taken. */
export function registerSection(name: string, options: Record<string, OptionDef>, opts: SectionOptions = {}): void {
  addSection(name, options, opts, false);
}

function addSection(name: string, options: Record<string, OptionDef>, opts: SectionOptions, core: boolean): void {
  const keys = [name, ...(opts.aliases ?? [])].map(sectionKey);
  if (keys.some((k) => sections.has(k))) throw new EdgeError('CONFIG_SCHEMA', `section [${name}] is already registered`);
  const def: SectionDef = { name, repeated: opts.repeated ?? false, core, options: new Map() };
  for (const k of keys) sections.set(k, def);
  registerOptions(name, options);
}

/** Adds options to a registered section (e.g. RemoteAE worklist = yes). */
export function registerOptions(sectionName: string, options: Record<string, OptionDef>): void {
  const section = findSection(sectionName);
  if (!section) throw new EdgeError('CONFIG_SCHEMA', `unknown section [${sectionName}]`);
  for (const [name, def] of Object.entries(options)) {
    for (const spelling of [name, ...(def.aliases ?? [])]) {
      const k = spelling.toLowerCase();
      if (section.options.has(k)) throw new EdgeError('CONFIG_SCHEMA', `option ${spelling} of [${section.name}] is already registered`);
      section.options.set(k, { name, def });
    }
  }
}

/** Registered sections, each once. */
export function registeredSections(): SectionDef[] {
  return [...new Set(sections.values())];
}

// ---- the statement's sections (+ our additions, marked) ----

const U32 = 2 ** 32 - 1;
const I31 = 2 ** 31 - 1;
/** setTimeout takes at most 2^31-1 ms, so timeouts stop at 2147483 s (24.8 days). */
const MAX_TIMEOUT_S = Math.floor(I31 / 1000);
const contexts = (aliases?: string[]): OptionDef => ({ type: 'contexts', multi: true, aliases });
const trSyn: OptionDef = { type: 'trSyn', multi: true };
const flag = (d: boolean): OptionDef => ({ type: 'bool', default: d });

addSection('Network', {
  port: { type: 'int', default: 104, min: 1, max: 65535 },
  // PS3.8 9.3.1: Maximum Length 0 means "no limit"; otherwise we ask for at least 4096
  // (DCMTK's ASC_MINIMUMPDUSIZE) and at most what the 4-byte field holds.
  maxpdu: { type: 'int', default: 65530, min: 4096, max: U32, allowZero: true, auto: true },
  readTimeout: { type: 'int', default: 60, min: 0, max: MAX_TIMEOUT_S },
  idleTimeout: { type: 'int', default: 300, min: 0, max: MAX_TIMEOUT_S },
  // 0 = leave the kernel's autotuned buffer alone (ours).
  socketSndBuf: { type: 'int', default: 16384, min: 0, max: I31, auto: true },
  socketRcvBuf: { type: 'int', default: 131072, min: 0, max: I31, auto: true },
  bind: { type: 'ip', default: '0.0.0.0' }, // ours
  maxAssociations: { type: 'int', default: 32, min: 1, max: 65535, auto: true }, // ours
  // Asynchronous Operations Window (PS3.7 D.3.3.3) granted to a peer that proposes one (ours).
  maxAsyncOps: { type: 'int', default: 16, min: 1, max: 65535 },
}, {}, true);

addSection('Memory', {
  dimseSize: { type: 'int', default: 1048576, min: 1024, max: I31, auto: true },
}, {}, true);

addSection('Local AE', {
  aeTitle: { type: 'aeTitle' },
  implementationClassUid: { type: 'uid', default: '1.2.840.114093.1.1' }, // ours
}, {}, true);

addSection('Options', {
  debug: flag(false),
  debugFile: { type: 'path' },
  pduDump: flag(false),
  dimseDump: flag(false),
  dumpDir: { type: 'path' }, // ours; default <storage path>/dumps
  verifyProtocol: flag(true),
  verifyLocalAe: flag(true),
  verifyRemoteAe: flag(true),
  verifyAppContext: flag(true),
  verifyIPAddr: flag(true),
  // ours: run a synthetic study through receive, store and forward at start (src/agent/warm-up.ts)
  warmUp: flag(true),
}, {}, true);

addSection('Transfer Syntax', { trSyn }, {}, true);

addSection('Server', {
  scu: contexts(),
  scp: contexts(),
  // The statement's Server table spells it scuscpc, its abbreviation note scuscp.
  scuscp: contexts(['scuscpc']),
  accept: { type: 'accept', multi: true },
  trSynOrder: { type: 'enum', values: ['server', 'client'], default: 'server' },
  trSyn,
}, {}, true);

addSection('RemoteAE', {
  userName: { type: 'text' },
  aetitle: { type: 'aeTitle' },
  ip: { type: 'ip' },
  port: { type: 'int', min: 1, max: 65535 },
  scu: contexts(),
  scp: contexts(),
  scuscp: contexts(['scuscpc']),
  comment: { type: 'text' },
  trSyn,
}, { repeated: true }, true);

addSection('Storage', { // ours
  path: { type: 'path' },
  duplicates: { type: 'enum', values: ['overwrite', 'ignore', 'reject'], default: 'overwrite' },
  spareFiles: { type: 'int', default: 4096, min: 0, max: 1_000_000 },
}, {}, true);

/** The RemoteAE options of the statement; any other registered key goes to remote.extra. */
export const REMOTE_CORE_OPTIONS: ReadonlySet<string> = new Set(
  ['userName', 'aetitle', 'ip', 'port', 'scu', 'scp', 'scuscp', 'comment', 'trSyn'],
);

// ---- typing an IniDocument against the table ----

export interface TypedValue {
  value: unknown;
  /** The value text as written (for remote.extra). */
  raw: string;
  line: number;
  /** Written as `auto`. */
  auto?: boolean;
}

export interface TypedSection {
  def: SectionDef;
  line: number;
  /** canonical option name → every valid occurrence (one unless the option is multi) */
  values: Map<string, TypedValue[]>;
  /** Options written at all, valid or not (so a bad value is not also reported as missing). */
  seen: Set<string>;
}

export type ProblemSink = (line: number, message: string) => void;

/** Types every entry; unknown sections/options and bad values go to `problem`. */
export function typeSections(doc: IniDocument, problem: ProblemSink): TypedSection[] {
  const out: TypedSection[] = [];
  for (const raw of doc.sections) {
    const def = findSection(raw.name);
    if (!def) {
      problem(raw.line, `unknown section [${raw.name}]`);
      continue;
    }
    let target = def.repeated ? undefined : out.find((s) => s.def === def);
    if (!target) {
      target = { def, line: raw.line, values: new Map(), seen: new Set() };
      out.push(target);
    }
    for (const entry of raw.entries) typeEntry(target, entry, problem);
  }
  return out;
}

function typeEntry(section: TypedSection, entry: { key: string; value: string; line: number }, problem: ProblemSink): void {
  const where = `[${section.def.name}] ${entry.key}`;
  const opt = findOption(section.def, entry.key);
  if (!opt) {
    problem(entry.line, `unknown option "${entry.key}" in [${section.def.name}]`);
    return;
  }
  const list = section.values.get(opt.name) ?? [];
  if (section.seen.has(opt.name) && !opt.def.multi) {
    const first = list[0] ? ` (first at line ${list[0].line})` : '';
    problem(entry.line, `${where}: given more than once${first}`);
    return;
  }
  section.seen.add(opt.name);
  const raw = entry.value.trim();
  if (opt.def.auto && raw.toLowerCase() === 'auto') {
    list.push({ value: opt.def.default, raw, line: entry.line, auto: true });
  } else {
    const r = parseOptionValue(opt.def, entry.value);
    if ('problem' in r) {
      problem(entry.line, `${where}: ${r.problem}`);
      return;
    }
    list.push({ value: r.value, raw, line: entry.line });
  }
  section.values.set(opt.name, list);
}

/** A check that needs the whole configuration (e.g. a route naming an unknown [RemoteAE]). */
export type ConfigValidator = (config: Config) => { line: number; message: string }[];

const validators: ConfigValidator[] = [];

/** Features add whole-configuration checks; parseConfig runs them, so `config check` reports them too. */
export function registerValidator(v: ConfigValidator): void {
  if (!validators.includes(v)) validators.push(v);
}

export function configValidators(): readonly ConfigValidator[] {
  return validators;
}
