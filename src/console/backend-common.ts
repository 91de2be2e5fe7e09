/**
 * Pieces both the agent and the offline backend use: validating and writing the INI,
 * restoring its backup, C-ECHO to a configured remote, the tuning report, disk space.
 */
import { readdirSync, readFileSync, statfsSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../config/types';
import { parseConfig, readKernelBufferLimits, type LoadedConfig } from '../config/load';
import { ConfigError, EdgeError } from '../util/errors';
import type { Logger } from '../util/log';
import { writeFileAtomicWithBackup } from '../tune/apply';
import { detectHardware } from '../tune/detect';
import { deriveTuning } from '../tune/derive';
import { formatReport } from '../tune/report';
import { findRemote, openChannel } from '../services/scu';
import { echo } from '../services/echo';
import { VERIFICATION_SOP_CLASS } from '../dicom/uids';
import type { DiskInfo } from './backend';
import './config-section';
import { hostPort } from '../util/address';

/** The same parse as `config check`; throws ConfigError with every problem. */
export function validateConfigText(text: string, path: string): { config: LoadedConfig; warnings: string[] } {
  const r = parseConfig(text, path, { kernelLimits: readKernelBufferLimits() });
  if (!r.config) throw new ConfigError(r.problems);
  return { config: r.config, warnings: r.warnings };
}

function readText(path: string, what = 'configuration'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'CONSOLE_NO_FILE' : 'CONSOLE_READ';
    throw new EdgeError(code, `cannot read the ${what} ${path}: ${(e as Error).message}`);
  }
}

export function readConfigFile(path: string): string {
  return readText(path);
}

/** Validate, refuse when FILE changed since `base` was read, write atomically with FILE.bak. */
export function writeConfigFile(path: string, text: string, base: string): { backup: string; warnings: string[]; config: LoadedConfig } {
  const v = validateConfigText(text, path);
  if (readText(path) !== base) {
    throw new EdgeError('CONSOLE_CONFLICT', `${path} changed on disk since these edits started: type "revert" and make them again`);
  }
  const { backup } = writeFileAtomicWithBackup(path, text);
  return { backup, ...v };
}

/**
 * Temp files of INI writes cut short by a crash: writeFileAtomicWithBackup (src/tune/apply.ts)
 * writes `.<name>.<pid>.tmp` (and `.<name>.bak.<pid>.tmp` for the backup) beside FILE and
 * renames it into place; killed before the rename, the temp file stays. Removed at agent start when their writer is gone (a live pid, e.g. a
 * `tune --write` running now, is left alone). Returns the names removed.
 */
export function removeStaleWriteTemps(path: string, alive: (pid: number) => boolean = pidAlive): string[] {
  const dir = dirname(path);
  const prefixes = [`.${basename(path)}.bak.`, `.${basename(path)}.`];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    const pid = prefix && name.endsWith('.tmp') ? Number(name.slice(prefix.length, -4)) : NaN;
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch { /* gone meanwhile */ }
  }
  return removed;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
}

/** FILE.bak back into FILE (validated first); the replaced text becomes the new FILE.bak. */
export function restoreConfigBackup(path: string): { backup: string; warnings: string[]; config: LoadedConfig } {
  const text = readText(`${path}.bak`, 'backup');
  const v = validateConfigText(text, path);
  const { backup } = writeFileAtomicWithBackup(path, text);
  return { backup, ...v };
}

/** C-ECHO to a configured [RemoteAE] (by userName or aetitle), one association, released. */
export async function echoRemote(config: Config, name: string, log: Logger): Promise<string> {
  const remote = findRemote(config, name);
  if (!remote) {
    const known = config.remotes.map((r) => r.userName ?? r.aeTitle).join(', ') || 'none';
    throw new EdgeError('CONSOLE_UNKNOWN_REMOTE', `no remote "${name}" (known: ${known})`);
  }
  const channel = await openChannel({
    config, log, peer: { aeTitle: remote.aeTitle, host: remote.ip, port: remote.port, remote },
    contexts: [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: remote.transferSyntaxes.length ? remote.transferSyntaxes : config.transferSyntaxes, role: 'scu' }],
  });
  try {
    const status = await echo(channel);
    const hex = status.toString(16).padStart(4, '0');
    return `C-ECHO ${remote.aeTitle}@${hostPort(remote.ip, remote.port)}: status 0x${hex}${status === 0 ? ' (Success)' : ' (failed)'}`;
  } finally {
    await channel.assoc.release().catch(() => undefined);
  }
}

/** What `dicom-edge tune` prints, for this configuration. */
export async function tuneReport(config: Config): Promise<string> {
  const hardware = await detectHardware();
  return formatReport({ hardware, tuning: deriveTuning(hardware), config });
}

export function diskInfo(path: string): DiskInfo | null {
  try {
    const s = statfsSync(path);
    return { path, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

/** Options that agent.reload() cannot change under a running server (they need a restart). Port and bind move live. */
export function restartNeeded(before: Config, after: Config): string[] {
  const pairs: [string, unknown, unknown][] = [
    ['Storage.path', before.storage.path, after.storage.path],
    ['Storage.duplicates', before.storage.duplicates, after.storage.duplicates],
    ['Storage.spareFiles', before.storage.spareFiles, after.storage.spareFiles],
    ['Local AE.implementationClassUid', before.localAe.implementationClassUid, after.localAe.implementationClassUid],
    ['Options.debug', before.options.debug, after.options.debug],
    ['Options.debugFile', before.options.debugFile, after.options.debugFile],
    ['Options.pduDump', before.options.pduDump, after.options.pduDump],
    ['Options.dimseDump', before.options.dimseDump, after.options.dimseDump],
    ['Options.dumpDir', before.options.dumpDir, after.options.dumpDir],
  ];
  return pairs.filter(([, a, b]) => a !== b).map(([k, a, b]) => `${k} (${String(a)} -> ${String(b)})`);
}
