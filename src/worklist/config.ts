/**
 * Configuration of the worklist proxy and the MPPS relay, registered on import (idempotent):
 *
 *   [Worklist]                  ; (ours) Modality Worklist SCP / proxy
 *   path = worklist             ; local items: one DICOM file per item (console `worklist add` writes here too)
 *   prefetch = 5m               ; how often the upstream RIS is asked for the stations' schedule; 0 = never
 *   days = 1                    ; the prefetch covers today ± this many days
 *   stations = CT1, MR1         ; Scheduled Station AE Titles to prefetch (default: the [Server] accept AE titles, else all)
 *   cacheMaxAge = 2d            ; cached upstream items older than this are dropped
 *   upstreamTimeout = 10s       ; an upstream C-FIND that takes longer is cancelled: the cache answers
 *
 *   [RemoteAE] worklist = yes    ; an upstream RIS (MWL SCP) the proxy asks
 *   [RemoteAE] mpps = yes       ; MPPS N-CREATE/N-SET received are relayed there
 *   [Server] scp = mpps         ; abbreviation of the MPPS SOP class 1.2.840.10008.3.1.2.3.3
 */
import { join, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load';
import { findSection, registerOptions, registerSection, type OptionDef, type ParseResult } from '../config/schema';
import type { Config, RemoteAe } from '../config/types';
import { parseDuration } from '../forward/config';
import { registerSopClasses } from '../dicom/sop-classes';
import { MPPS_SOP_CLASS } from '../mpps/rules';

export interface WorklistSettings {
  /** Absolute folder of local items. */
  path: string;
  /** 0 = no prefetch. */
  prefetchMs: number;
  days: number;
  /** Empty = every station (universal matching). */
  stations: string[];
  cacheMaxAgeMs: number;
  upstreamTimeoutMs: number;
}

const duration = (d: string): OptionDef => ({ type: 'custom', parse: parseDuration, default: (parseDuration(d) as { value: number }).value });

function parseAeList(raw: string): ParseResult {
  const list = raw.split(/[,\\]/).map((s) => s.trim()).filter((s) => s !== '');
  const bad = list.find((s) => s.length > 16 || /[\\\x00-\x1f]/.test(s));
  return bad !== undefined ? { problem: `"${bad}" is not an AE title` } : { value: list };
}

/** Registers [Worklist] and the RemoteAE keys worklist/mpps once. */
export function registerWorklistConfig(): void {
  if (findSection('Worklist')) return;
  registerSection('Worklist', {
    path: { type: 'path' },
    prefetch: duration('5m'),
    days: { type: 'int', default: 1, min: 0, max: 366 },
    stations: { type: 'custom', multi: true, parse: parseAeList },
    cacheMaxAge: duration('2d'),
    upstreamTimeout: duration('10s'),
  });
  registerOptions('RemoteAE', {
    worklist: { type: 'bool', default: false },
    mpps: { type: 'bool', default: false },
  });
  // `scp = mpps` in [Server] (ours): MPPS is not in the statement's table. It belongs to the
  // worklist's domain (PS3.4 F), hence that category.
  registerSopClasses([{ uid: MPPS_SOP_CLASS, name: 'Modality Performed Procedure Step SOP Class', category: 'worklist', abbreviation: 'mpps' }]);
}
registerWorklistConfig();

function sectionOf(config: Config): Record<string, unknown> {
  return (config as LoadedConfig).sections?.Worklist?.[0]?.values ?? {};
}

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

/** Typed [Worklist] settings; defaults when the section is absent. */
export function worklistSettings(config: Config): WorklistSettings {
  const v = sectionOf(config);
  const given = typeof v.path === 'string' && v.path.trim() ? v.path : undefined;
  const stations = Array.isArray(v.stations) && v.stations.length
    ? (v.stations as string[])
    : [...new Set(config.server.accept.map((a) => a.aeTitle).filter((a) => a && a !== '*'))];
  return {
    path: given ? resolve(given) : join(config.storage.path, 'worklist'),
    prefetchMs: num(v.prefetch, 300_000),
    days: num(v.days, 1),
    stations,
    cacheMaxAgeMs: num(v.cacheMaxAge, 2 * 86_400_000),
    upstreamTimeoutMs: num(v.upstreamTimeout, 10_000),
  };
}

/** A RemoteAE option registered here (raw text in remote.extra, since load.ts keeps extras as text). */
function remoteFlag(r: RemoteAe, key: string): boolean {
  const raw = Object.entries(r.extra).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  return raw !== undefined && ['yes', 'on', 'true', '1'].includes(raw.trim().toLowerCase());
}

/** `[RemoteAE] worklist = yes`: the upstream RIS, in file order. */
export function worklistRemotes(config: Config): RemoteAe[] {
  return config.remotes.filter((r) => remoteFlag(r, 'worklist'));
}

/** `[RemoteAE] mpps = yes`: where MPPS messages are relayed. */
export function mppsRemotes(config: Config): RemoteAe[] {
  return config.remotes.filter((r) => remoteFlag(r, 'mpps'));
}

/** The name a remote goes by in logs and the queue: userName, else AE title (as the forwarder). */
export function remoteKey(r: RemoteAe): string {
  return r.userName?.trim() || r.aeTitle;
}
