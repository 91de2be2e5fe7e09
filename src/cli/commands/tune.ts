/**
 * `dicom-edge tune [--config FILE] [--write] [--rtt MS] [--nic IF] [--json]`: prints the
 * detected hardware, the kernel's buffer limits and the derived values with why; --write
 * stores the values of the options written as `auto` (or left out) in the INI file, editing
 * only those lines (FILE.bak keeps the previous version). Explicit values are never touched.
 */
import { bool, parseArgs, str } from '../args';
import { loadConfig, resolveConfigPath } from '../../config/load';
import { EdgeError } from '../../util/errors';
import { detectHardware } from '../../tune/detect';
import { deriveTuning } from '../../tune/derive';
import { writeTuning } from '../../tune/apply';
import { formatReport, reportJson } from '../../tune/report';

export const usage = 'tune [--config FILE] [--write] [--rtt MS] [--nic IF] [--budget FRACTION] [--json]';

const FLAGS = [
  { names: ['--config', '-c'], value: true, key: 'config' },
  { names: ['--write', '-w'], key: 'write' },
  { names: ['--rtt'], value: true, key: 'rtt' },
  { names: ['--nic'], value: true, key: 'nic' },
  { names: ['--budget'], value: true, key: 'budget' },
  { names: ['--json'], key: 'json' },
  { names: ['-h', '--help'], key: 'help' },
];

/** A positive decimal within (0, max]; RTTs like 0.2 ms are normal on one switch. */
function positive(name: string, raw: string | undefined, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !(n > 0) || n > max) {
    throw new EdgeError('CLI_BAD_NUMBER', `option ${name}: "${raw}" is not a number in (0, ${max}]`);
  }
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (bool(a, 'help')) {
    process.stdout.write(`usage: dicom-edge ${usage}\n`);
    return 0;
  }
  if (a.positionals.length) throw new EdgeError('CLI_USAGE', `tune takes no arguments (got "${a.positionals[0]}")`);
  const path = resolveConfigPath(str(a, 'config'));
  if (bool(a, 'write') && path === undefined) {
    throw new EdgeError('CLI_USAGE', 'tune --write needs a configuration file: --config FILE or DICOM_CONFIG_FILE');
  }
  const inputs = {
    rttMs: positive('--rtt', str(a, 'rtt'), 10000),
    nic: str(a, 'nic'),
    memoryBudgetFraction: positive('--budget', str(a, 'budget'), 1),
  };
  const config = loadConfig(path);
  const hardware = await detectHardware();
  const tuning = deriveTuning(hardware, inputs);
  const report = { hardware, tuning, config };
  const written = bool(a, 'write') ? writeTuning(path!, config.autoKeys, tuning) : undefined;
  if (bool(a, 'json')) {
    process.stdout.write(JSON.stringify({ ...reportJson(report), written: written ?? null }, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(formatReport(report));
  if (written) {
    const keys = Object.entries(written.written).map(([k, v]) => `${k}=${v}`).join(' ');
    process.stdout.write(keys
      ? `Wrote ${keys} to ${path} (previous version: ${written.backup})\n`
      : `Nothing written: every tunable option is set explicitly in ${path}\n`);
  }
  return 0;
}
