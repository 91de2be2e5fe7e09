/**
 * `dicom-edge worklist -k key[=value]... (REMOTE | HOST PORT)`: Modality Worklist C-FIND
 * (PS3.4 K.4.1) like DCMTK's `findscu -W`: keys as `-k PatientName=DOE*` or
 * `-k "ScheduledProcedureStepSequence[0].Modality=CT"` (also `(0040,0100)[0].(0008,0060)=CT`).
 * Without -k a usual set of return keys is asked for. Matches print as a table (the first
 * item of each sequence flattened into `Sequence.Keyword` columns) or, with --json, as JSON.
 */
import { applyKey, type IdElement, type Identifier } from '../../dicom/identifier';
import { MODALITY_WORKLIST_FIND } from '../../dicom/uids';
import { findOn } from '../../services/qr-scu';
import { resolvePeer } from '../../services/scu';
import type { Config } from '../../config/types';
import { COMMON_FLAGS, bool, int, list, parseArgs, str } from '../args';
import { cliLogger, loadCliConfig } from '../context';
import { cellText, identifierJson, keyName, statusLine } from './qr-shared';

export const usage = 'worklist [-W] -k KEY[=VALUE]... [-aet AE] [-aec AE] [--json] [--cancel-after N] (REMOTE | HOST PORT)';

/** Return keys asked for when no -k is given. */
export const DEFAULT_KEYS = [
  'PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'AccessionNumber', 'RequestedProcedureID', 'RequestedProcedureDescription',
  'StudyInstanceUID', 'ScheduledProcedureStepSequence[0].Modality', 'ScheduledProcedureStepSequence[0].ScheduledStationAETitle',
  'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate', 'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime',
  'ScheduledProcedureStepSequence[0].ScheduledProcedureStepID', 'ScheduledProcedureStepSequence[0].ScheduledProcedureStepDescription',
];

export function worklistIdentifier(keys: string[]): Identifier {
  const id: Identifier = [];
  for (const k of keys.length ? keys : DEFAULT_KEYS) applyKey(id, k);
  return id;
}

/** Columns: top-level keys; a sequence's first item becomes `Seq.Key` columns. */
function flatten(id: Identifier, prefix = ''): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const el of id) {
    const name = prefix + keyName(el.tag);
    if (el.vr === 'SQ' && Array.isArray(el.value) && el.value.length && typeof el.value[0] !== 'string') {
      const items = el.value as Identifier[];
      out.push(...flatten(items[0], `${name}.`));
      if (items.length > 1) out.push([`${name}#items`, String(items.length)]);
    } else out.push([name, cellText(el as IdElement)]);
  }
  return out;
}

export function formatWorklistTable(matches: Identifier[]): string {
  const rows = matches.map((m) => new Map(flatten(m)));
  const cols: string[] = [];
  for (const r of rows) for (const k of r.keys()) if (!cols.includes(k)) cols.push(k);
  const short = (c: string): string => c.replace(/^ScheduledProcedureStepSequence\./, 'SPS.');
  const table = [cols.map(short), ...rows.map((r) => cols.map((c) => r.get(c) ?? ''))];
  const widths = cols.map((_, i) => Math.min(40, Math.max(...table.map((r) => r[i].length))));
  return table.map((r) => r.map((c, i) => c.slice(0, 40).padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, [
    ...COMMON_FLAGS,
    { names: ['-W', '--worklist'], key: 'W' },
    { names: ['-k', '--key'], value: true, multi: true, key: 'keys' },
    { names: ['--json'], key: 'json' },
    { names: ['--cancel-after'], value: true, key: 'cancelAfter' },
  ]);
  if (bool(a, 'help')) {
    process.stdout.write(`usage: dicom-edge ${usage}\n`);
    return 0;
  }
  const config0 = loadCliConfig(str(a, 'config'));
  const config: Config = { ...config0, network: { ...config0.network, readTimeout: int(a, 'timeout', config0.network.readTimeout), maxPdu: int(a, 'maxPdu', config0.network.maxPdu) } };
  const log = cliLogger({ debug: bool(a, 'debug'), verbose: bool(a, 'verbose'), quiet: bool(a, 'quiet') });
  const peer = resolvePeer(config, a.positionals, str(a, 'aec'));
  const json = bool(a, 'json');
  const cancelAfter = int(a, 'cancelAfter', 0);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const r = await findOn({
      config, peer, callingAe: str(a, 'aet'), log, signal: controller.signal,
      sopClassUid: MODALITY_WORKLIST_FIND, identifier: worklistIdentifier(list(a, 'keys')),
      onMatch: (_m, n) => { if (cancelAfter && n >= cancelAfter) controller.abort(); },
    });
    if (json) process.stdout.write(`${JSON.stringify(r.matches.map(identifierJson), null, 2)}\n`);
    else if (r.matches.length) process.stdout.write(formatWorklistTable(r.matches));
    const summary = `C-FIND Modality Worklist: ${r.matches.length} match(es); status ${statusLine(r.status, 'worklist')}${r.errorComment ? `: ${r.errorComment}` : ''}\n`;
    if (!bool(a, 'quiet')) (json ? process.stderr : process.stdout).write(summary);
    return r.status === 0 || (r.status === 0xfe00 && r.cancelled) ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
