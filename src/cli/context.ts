/** Shared pieces of CLI commands: loading the configuration, the logger, error output. */
import { resolve } from 'node:path';
import { ensureDefaultConfig } from '../config/default-ini';
import { loadConfig, resolveConfigPath } from '../config/load';
import '../config/features'; // every feature's sections, keys and abbreviations
import type { Config } from '../config/types';
import { ConfigError, errorMessage } from '../util/errors';
import { createLogger, type Logger } from '../util/log';

/** --config FILE, else $DICOM_CONFIG_FILE, else the embedded default (not written). */
export function loadCliConfig(file?: string): Config {
  return loadConfig(resolveConfigPath(file));
}

/** For `run`: like loadCliConfig, but the embedded default is first written to ./var/dicom-edge.ini so it can be edited. */
export function loadAgentConfig(file?: string): { config: Config; path: string } {
  const path = resolveConfigPath(file) ?? ensureDefaultConfig(resolve('var'));
  return { config: loadConfig(path), path };
}

export function cliLogger(opts: { debug?: boolean; verbose?: boolean; quiet?: boolean; file?: string }): Logger {
  return createLogger({ debug: opts.debug, file: opts.file, quiet: !opts.verbose && !opts.debug }, 'cli');
}

export function printError(e: unknown): void {
  if (e instanceof ConfigError) {
    for (const p of e.problems) process.stderr.write(`${p}\n`);
    process.stderr.write(`configuration invalid: ${e.problems.length} problem(s)\n`);
    return;
  }
  process.stderr.write(`dicom-edge: ${errorMessage(e)}\n`);
}
