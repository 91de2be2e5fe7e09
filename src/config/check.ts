/**
 * `dicom-edge config check [FILE]`: prints every problem and warning of a configuration.
 * Exit status 1 when it is invalid.
 */
import { readFileSync } from 'node:fs';
import { defaultIniText } from './default-ini';
import { EMBEDDED_LABEL, parseConfig, readKernelBufferLimits, resolveConfigPath, type ParseResultSet } from './load';
import { resolve } from 'node:path';
import './features'; // every feature's sections, keys and abbreviations
import { hostPort } from '../util/address';

export interface CheckResult {
  ok: boolean;
  lines: string[];
}

export function checkConfigFile(path: string, opts: { procDir?: string } = {}): CheckResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, lines: [`${path}: cannot read: ${(e as Error).message}`] };
  }
  return report(parseConfig(text, path, { kernelLimits: readKernelBufferLimits(opts.procDir) }), path);
}

/** Checks the embedded default (what runs when no file is configured). */
export function checkEmbeddedDefault(opts: { procDir?: string } = {}): CheckResult {
  const r = parseConfig(defaultIniText(), undefined, { baseDir: resolve('var'), kernelLimits: readKernelBufferLimits(opts.procDir) });
  return report(r, EMBEDDED_LABEL);
}

/** The CLI command: FILE, else $DICOM_CONFIG_FILE, else the embedded default. */
export function configCheckCommand(file?: string, env: NodeJS.ProcessEnv = process.env): { exitCode: number; lines: string[] } {
  const path = resolveConfigPath(file, env);
  const r = path === undefined ? checkEmbeddedDefault() : checkConfigFile(path);
  return { exitCode: r.ok ? 0 : 1, lines: r.lines };
}

function report(r: ParseResultSet, label: string): CheckResult {
  const lines = [...r.problems, ...r.warnings];
  const c = r.config;
  if (c) {
    const contexts = c.server.contexts.reduce((n, s) => n + s.sopClassUids.length, 0);
    lines.push(`${label}: OK — AE ${c.localAe.aeTitle} on ${hostPort(c.network.bind, c.network.port)}, ${contexts} server SOP classes, ${c.remotes.length} remote AE(s), ${r.warnings.length} warning(s)`);
  } else {
    lines.push(`${label}: ${r.problems.length} problem(s), ${r.warnings.length} warning(s)`);
  }
  return { ok: c !== undefined, lines };
}
