/**
 * DCMTK-style argument parsing: single-dash long flags (-aet, -aec, -k key=value),
 * GNU-style --flags, repeatable options, and positionals. Unknown flags are errors.
 */
import { EdgeError } from '../util/errors';

export interface FlagSpec {
  /** All spellings, e.g. ['-aet', '--aetitle']. */
  names: string[];
  /** Takes a value. */
  value?: boolean;
  /** May repeat (values accumulate). */
  multi?: boolean;
  key: string;
}

export interface ParsedArgs {
  flags: Record<string, string | string[] | boolean | undefined>;
  positionals: string[];
}

export function parseArgs(argv: string[], specs: FlagSpec[]): ParsedArgs {
  const flags: ParsedArgs['flags'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { positionals.push(...argv.slice(i + 1)); break; }
    const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const spec = a.startsWith('-') && a.length > 1 && !/^-\d/.test(a) ? specs.find((s) => s.names.includes(name)) : undefined;
    if (!spec) {
      if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) throw new EdgeError('CLI_UNKNOWN_OPTION', `unknown option ${a}`);
      positionals.push(a);
      continue;
    }
    let v: string | boolean = true;
    if (spec.value) {
      v = inline ?? argv[++i];
      if (v === undefined) throw new EdgeError('CLI_MISSING_VALUE', `option ${name} needs a value`);
    }
    if (spec.multi) flags[spec.key] = [...((flags[spec.key] as string[] | undefined) ?? []), v as string];
    else flags[spec.key] = v;
  }
  return { flags, positionals };
}

export function str(p: ParsedArgs, key: string): string | undefined {
  const v = p.flags[key];
  return typeof v === 'string' ? v : undefined;
}

export function list(p: ParsedArgs, key: string): string[] {
  const v = p.flags[key];
  return Array.isArray(v) ? v : [];
}

export function bool(p: ParsedArgs, key: string): boolean {
  return p.flags[key] === true;
}

export function int(p: ParsedArgs, key: string, fallback: number): number {
  const v = str(p, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new EdgeError('CLI_BAD_NUMBER', `option ${key}: "${v}" is not a number`);
  return n;
}

/** Flags every network command shares. */
export const COMMON_FLAGS: FlagSpec[] = [
  { names: ['--config', '-c'], value: true, key: 'config' },
  { names: ['-aet', '--aetitle'], value: true, key: 'aet' },
  { names: ['-aec', '--call'], value: true, key: 'aec' },
  { names: ['-v', '--verbose'], key: 'verbose' },
  { names: ['-d', '--debug'], key: 'debug' },
  { names: ['-q', '--quiet'], key: 'quiet' },
  { names: ['-to', '--timeout'], value: true, key: 'timeout' },
  { names: ['-pdu', '--max-pdu'], value: true, key: 'maxPdu' },
  { names: ['-h', '--help'], key: 'help' },
];

/** `--job 3 --job 4,5` → [3, 4, 5]; anything but whole numbers is an error with `code`. */
export function jobIds(p: ParsedArgs, code: string): number[] {
  const jobs = list(p, 'job').flatMap((j) => j.split(',')).map((j) => j.trim()).filter(Boolean);
  if (jobs.some((j) => !/^\d+$/.test(j))) throw new EdgeError(code, `job ids are numbers (got ${jobs.join(', ')})`);
  return jobs.map(Number);
}
