/**
 * Putting tuned values into a Config (at agent start) and into the INI text (`tune --write`).
 * Only options written as `auto` or left out (config.autoKeys, spelled as in load.ts:
 * maxpdu, socketSndBuf, socketRcvBuf, maxAssociations, dimseSize) are replaced: a value set
 * explicitly in the INI always wins. The kernel-maximum warning for explicit buffer sizes
 * is `config check`'s (load.ts addWarnings), not repeated here.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../config/types';
import { readIni } from '../config/ini-reader';
import { detectHardware, type DetectOptions, type Hardware } from './detect';
import { deriveTuning, type Tuning, type TuningInputs, type TunedKey } from './derive';

/** Tuned value ↔ INI option (autoKeys spelling) ↔ section. */
export const TUNABLE_OPTIONS: readonly { key: TunedKey; option: string; section: 'Network' | 'Memory' }[] = [
  { key: 'maxPdu', option: 'maxpdu', section: 'Network' },
  { key: 'socketSndBuf', option: 'socketSndBuf', section: 'Network' },
  { key: 'socketRcvBuf', option: 'socketRcvBuf', section: 'Network' },
  { key: 'maxAssociations', option: 'maxAssociations', section: 'Network' },
  { key: 'dimseSize', option: 'dimseSize', section: 'Memory' },
];

/** A copy of `config` with the tuned values for its autoKeys; `applied` lists the options replaced. */
export function applyTuning<C extends Config>(config: C, tuning: Pick<Tuning, 'values'>): { config: C; applied: string[] } {
  const auto = new Set(config.autoKeys.map((k) => k.toLowerCase()));
  const network = { ...config.network };
  const memory = { ...config.memory };
  const applied: string[] = [];
  for (const t of TUNABLE_OPTIONS) {
    if (!auto.has(t.option.toLowerCase())) continue;
    const v = tuning.values[t.key];
    if (t.key === 'dimseSize') memory.dimseSize = v;
    else network[t.key] = v;
    applied.push(t.option);
  }
  return { config: { ...config, network, memory }, applied };
}

export interface AutoTuneResult<C extends Config> {
  config: C;
  applied: string[];
  tuning: Tuning;
  hardware: Hardware;
}

/** Detect, derive, apply: what the agent calls at start (and on reload). Never throws. */
export async function autoTune<C extends Config>(config: C, inputs: TuningInputs = {}, detect: DetectOptions = {}): Promise<AutoTuneResult<C>> {
  const hardware = await detectHardware(detect);
  const tuning = deriveTuning(hardware, inputs);
  return { ...applyTuning(config, tuning), tuning, hardware };
}

/** One log line: "tuned maxpdu=65530 socketSndBuf=… (explicit: …)". */
export function tuningLogLine(r: { config: Config; applied: string[] }): string {
  const c = r.config;
  const value = (o: string) => (o === 'dimseSize' ? c.memory.dimseSize : c.network[TUNABLE_OPTIONS.find((t) => t.option === o)!.key as Exclude<TunedKey, 'dimseSize'>]);
  const tuned = r.applied.map((o) => `${o}=${value(o)}`).join(' ');
  const explicit = TUNABLE_OPTIONS.filter((t) => !r.applied.includes(t.option)).map((t) => `${t.option}=${value(t.option)}`).join(' ');
  return `tuned ${tuned || '(nothing: all set in the INI)'}${explicit ? `; explicit in the INI: ${explicit}` : ''}`;
}

/**
 * The INI text with `values` (option → number) written into [Network]/[Memory]: an existing
 * line is edited in place (key spelling and spaces around `=` kept), a missing one is added
 * after the section's last entry, a missing section is appended. Everything else, comments
 * included, is left byte for byte. Line endings follow the file (CRLF stays CRLF).
 */
export function iniWithValues(text: string, values: Record<string, number>): string {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const finalNewline = lines.length > 1 && lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  const doc = readIni(text);
  const inserts = new Map<number, string[]>(); // after 1-based line → new lines
  const appended: string[] = [];
  for (const t of TUNABLE_OPTIONS) {
    const v = values[t.option];
    if (v === undefined) continue;
    const secs = doc.sections.filter((s) => s.name.toLowerCase().replace(/\s+/g, '') === t.section.toLowerCase());
    const entry = secs.flatMap((s) => s.entries).find((e) => e.key.toLowerCase() === t.option.toLowerCase());
    if (entry) {
      const line = lines[entry.line - 1];
      const eq = line.indexOf('=');
      const lead = /^\s*/.exec(line.slice(eq + 1))![0];
      lines[entry.line - 1] = `${line.slice(0, eq + 1)}${lead}${v}`;
    } else if (secs.length) {
      const s = secs[0];
      const after = s.entries.length ? s.entries[s.entries.length - 1].line : s.line;
      inserts.set(after, [...(inserts.get(after) ?? []), `${t.option} = ${v}`]);
    } else {
      if (!appended.includes(`[${t.section}]`)) appended.push('', `[${t.section}]`);
      appended.push(`${t.option} = ${v}`);
    }
  }
  const out: string[] = [];
  lines.forEach((l, i) => {
    out.push(l);
    out.push(...(inserts.get(i + 1) ?? []));
  });
  out.push(...appended);
  return out.join(eol) + (finalNewline || appended.length ? eol : '');
}

/** The tuned values of the options listed in autoKeys, keyed by INI option name. */
export function valuesToWrite(autoKeys: string[], tuning: Pick<Tuning, 'values'>): Record<string, number> {
  const auto = new Set(autoKeys.map((k) => k.toLowerCase()));
  const out: Record<string, number> = {};
  for (const t of TUNABLE_OPTIONS) if (auto.has(t.option.toLowerCase())) out[t.option] = tuning.values[t.key];
  return out;
}

/**
 * Replaces FILE atomically: FILE.bak gets the old content, the new text goes to a temp file
 * in the same folder (same mode), fsync, rename over FILE, fsync the folder. The backup is
 * made the same way (a copy cut short by a crash must not leave a torn FILE.bak for a later
 * `revert` to restore). Temp files are `.<name>.<pid>.tmp`; a crash can leave one behind
 * (removed at agent start: src/console/backend-common.ts removeStaleWriteTemps).
 */
export function writeFileAtomicWithBackup(path: string, text: string): { backup: string } {
  const backup = `${path}.bak`;
  const mode = statSync(path).mode & 0o7777;
  replaceWith(backup, mode, (fd) => writeSync(fd, readFileSync(path)));
  replaceWith(path, mode, (fd) => writeSync(fd, text));
  try {
    const dfd = openSync(dirname(path), 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* some filesystems refuse fsync on a directory; the rename is done */ }
  return { backup };
}

/** `fill` writes a temp file beside `path`; fsync; rename over `path`. */
function replaceWith(path: string, mode: number, fill: (fd: number) => void): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    fill(fd);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** `tune --write`: the tuned values of FILE's auto/absent options written into FILE. */
export function writeTuning(path: string, autoKeys: string[], tuning: Pick<Tuning, 'values'>): { written: Record<string, number>; backup?: string } {
  const written = valuesToWrite(autoKeys, tuning);
  if (Object.keys(written).length === 0) return { written };
  const text = readFileSync(path, 'utf8');
  return { written, ...writeFileAtomicWithBackup(path, iniWithValues(text, written)) };
}
