/**
 * Configuration of store-and-forward, registered in the INI schema at module load:
 *
 *   [Route]                       ; repeated, like [RemoteAE]; no route = no forwarding
 *   name  = CT to PACS            ; optional
 *   to    = PACS, ARCHIVE         ; RemoteAE userName or aetitle, one or more
 *   match = Modality=CT, StationName=CT*   ; optional; every condition must hold (match.ts)
 *
 *   [Forward]                     ; retries (durations: 500ms, 30s, 5m, 2h, 7d; bare number = s)
 *   retryBase = 2s   retryCap = 5m   maxAttempts = 0 (no limit)   maxAge = 7d
 *   idleRelease = 5s              ; an association is released after this long without work
 *
 *   [Storage]                     ; local retention (all off by default)
 *   deleteAfterForward = Off      ; delete once every destination confirmed the instance
 *   maxAge = 30d                  ; delete instances older than this (forwarded or unrouted)
 *   highWater = 90%  | 200G       ; disk use (percent of the file system) or store size
 */
import type { Config, RemoteAe } from '../config/types';
import { findSection, registerOptions, registerSection, registerValidator, type OptionDef, type ParseResult } from '../config/schema';
import type { LoadedConfig } from '../config/load';
import { findRemote } from '../services/scu';
import { parseCondition, type MatchCondition } from './match';

export interface RouteRule {
  name: string;
  /** Destination names as written in `to`. */
  to: string[];
  conditions: MatchCondition[];
  line: number;
}

export interface RetrySettings {
  baseMs: number;
  capMs: number;
  /** 0 = no limit. */
  maxAttempts: number;
  /** 0 = no limit. */
  maxAgeMs: number;
  idleReleaseMs: number;
}

export interface HighWater { percent?: number; bytes?: number }

export interface RetentionSettings {
  deleteAfterForward: boolean;
  /** 0 = never by age. */
  maxAgeMs: number;
  highWater?: HighWater;
}

export interface ForwardSettings {
  routes: RouteRule[];
  retry: RetrySettings;
  retention: RetentionSettings;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `5m`, `2h`, `7d`, or a bare number of seconds → milliseconds. */
export function parseDuration(raw: string): ParseResult {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(raw.trim());
  if (!m) return { problem: `"${raw.trim()}" is not a duration (e.g. 30s, 5m, 2h, 7d)` };
  return { value: Math.round(Number(m[1]) * UNITS[(m[2] ?? 's').toLowerCase()]) };
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** `90%` (file system use) or `200G` / `500M` / bytes (store size); `off`/`0` = none. */
export function parseHighWater(raw: string): ParseResult {
  const v = raw.trim();
  if (/^(off|0|no|none)$/i.test(v)) return { value: undefined };
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(v);
  if (pct) {
    const p = Number(pct[1]);
    return p > 0 && p < 100 ? { value: { percent: p } } : { problem: `${v}: a percentage must be between 0 and 100` };
  }
  const size = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(v);
  if (size) return { value: { bytes: Math.round(Number(size[1]) * SIZE_UNITS[size[2].toLowerCase()]) } };
  return { problem: `"${v}" is not a percentage (90%) or a size (200G)` };
}

function parseNames(raw: string): ParseResult {
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return names.length ? { value: names } : { problem: 'no destination named' };
}

function parseConditions(raw: string): ParseResult {
  const out: MatchCondition[] = [];
  for (const part of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const c = parseCondition(part);
    if (typeof c === 'string') return { problem: c };
    out.push(c);
  }
  return out.length ? { value: out } : { problem: 'empty condition' };
}

const duration = (d: string): OptionDef => ({ type: 'custom', parse: parseDuration, default: (parseDuration(d) as { value: number }).value });

/** Registers [Route], [Forward] and the [Storage] retention keys once (idempotent). */
export function registerForwardConfig(): void {
  if (findSection('Forward')) return;
  if (!findSection('Route')) {
    registerSection('Route', {
      name: { type: 'text' },
      to: { type: 'custom', multi: true, parse: parseNames },
      match: { type: 'custom', multi: true, parse: parseConditions },
    }, { repeated: true, aliases: ['Routes'] });
  }
  registerSection('Forward', {
    retryBase: duration('2s'),
    retryCap: duration('5m'),
    maxAttempts: { type: 'int', default: 0, min: 0, max: 1_000_000 },
    maxAge: duration('7d'),
    idleRelease: duration('5s'),
  });
  // (ours) C-STOREs kept outstanding when the destination grants an Asynchronous Operations
  // Window (PS3.7 D.3.3.3); 1 = synchronous, no window proposed (the default).
  registerOptions('RemoteAE', { asyncOps: { type: 'int', default: 1, min: 1, max: 64 } });
  registerOptions('Storage', {
    deleteAfterForward: { type: 'bool', default: false },
    maxAge: { ...duration('0s') },
    highWater: { type: 'custom', parse: parseHighWater },
  });
  // [Storage] is a core section, whose values load.ts only exposes in Config.storage (path,
  // duplicates). Marking it non-core makes its values appear in LoadedConfig.sections too,
  // so the retention keys above can be read with sectionValues(). Requested properly in the report.
  findSection('Storage')!.core = false;
}
registerForwardConfig();

function values(config: Config, section: string): Array<{ line: number; values: Record<string, unknown> }> {
  return (config as LoadedConfig).sections?.[section] ?? [];
}

function first(config: Config, section: string): Record<string, unknown> {
  return values(config, section)[0]?.values ?? {};
}

function num(v: unknown, d: number): number {
  return typeof v === 'number' ? v : d;
}

/** The typed settings from a parsed configuration (defaults when sections are absent). */
export function forwardSettings(config: Config): ForwardSettings {
  const routes = values(config, 'Route').map((r, i): RouteRule => ({
    name: typeof r.values.name === 'string' && r.values.name.trim() ? r.values.name.trim() : `route ${i + 1}`,
    to: (r.values.to as string[] | undefined) ?? [],
    conditions: (r.values.match as MatchCondition[] | undefined) ?? [],
    line: r.line,
  }));
  const f = first(config, 'Forward');
  const s = first(config, 'Storage');
  return {
    routes,
    retry: {
      baseMs: num(f.retryBase, 2000), capMs: num(f.retryCap, 300_000), maxAttempts: num(f.maxAttempts, 0),
      maxAgeMs: num(f.maxAge, 7 * 86_400_000), idleReleaseMs: num(f.idleRelease, 5000),
    },
    retention: {
      deleteAfterForward: s.deleteAfterForward === true,
      maxAgeMs: num(s.maxAge, 0),
      highWater: s.highWater as HighWater | undefined,
    },
  };
}

/** `[RemoteAE] asyncOps`: outstanding C-STOREs to propose (1 = synchronous). */
export function remoteAsyncOps(r: RemoteAe | undefined): number {
  const n = Number(r?.extra.asyncOps ?? 1);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** The queue's name for a remote: its userName, else its AE title. */
export function destinationKey(r: RemoteAe): string {
  return r.userName?.trim() || r.aeTitle;
}

/** Problems that need the whole configuration (a route's destinations must be [RemoteAE]s). */
export function forwardProblems(config: Config): { line: number; message: string }[] {
  const problems: { line: number; message: string }[] = [];
  for (const r of forwardSettings(config).routes) {
    if (r.to.length === 0) problems.push({ line: r.line, message: `[Route] ${r.name} has no "to" destination` });
    for (const name of r.to) {
      if (!findRemote(config, name)) problems.push({ line: r.line, message: `[Route] ${r.name}: no [RemoteAE] named "${name}"` });
    }
  }
  return problems;
}
registerValidator(forwardProblems);

export function validateForwardConfig(config: Config): string[] {
  const label = config.file ?? '<built-in default>';
  return forwardProblems(config).map((p) => `${label}:${p.line}: ${p.message}`);
}
