/**
 * What `find`, `move` and `get` share, modelled on DCMTK's findscu/movescu/getscu:
 * -P/-S/-O information model, -k key=value (keyword, (gggg,eeee), Seq[0].Key paths),
 * -aet/-aec, a configured remote NAME or HOST PORT, --json, --cancel-after N, Ctrl-C → C-CANCEL.
 */
import type { Config } from '../../config/types';
import { findElement, identifierFromKeys, keywordForTag, set, tagHex, type IdElement, type Identifier } from '../../dicom/identifier';
import { describeStatus, type StatusService } from '../../dicom/status';
import { MODEL_FLAGS } from '../../services/qr-common';
import type { QrRequest } from '../../services/qr-scu';
import { resolvePeer } from '../../services/scu';
import type { QueryModel } from '../../store/query';
import { EdgeError } from '../../util/errors';
import { COMMON_FLAGS, bool, int, list, parseArgs, str, type FlagSpec, type ParsedArgs } from '../args';
import { cliLogger, loadCliConfig } from '../context';

export const QR_FLAGS: FlagSpec[] = [
  ...COMMON_FLAGS,
  { names: ['-P', '--patient'], key: 'P' },
  { names: ['-S', '--study'], key: 'S' },
  { names: ['-O', '--psonly'], key: 'O' },
  { names: ['-k', '--key'], value: true, multi: true, key: 'keys' },
  { names: ['--json'], key: 'json' },
  { names: ['--cancel-after'], value: true, key: 'cancelAfter' },
];

export const MODEL_NAMES: Record<QueryModel, string> = { patient: 'Patient Root', study: 'Study Root', patientStudyOnly: 'Patient/Study Only' };

export interface QrCli {
  a: ParsedArgs;
  config: Config;
  request: QrRequest;
  controller: AbortController;
  /** --cancel-after N (0 = never). */
  cancelAfter: number;
  done(): void;
}

/** -P / -S / -O; Study Root when none is given (findscu's default is worklist, which is not ours). */
function modelOf(a: ParsedArgs): QueryModel {
  const given = Object.keys(MODEL_FLAGS).filter((k) => bool(a, k));
  if (given.length > 1) throw new EdgeError('CLI_MODEL', 'give only one of -P, -S, -O');
  return MODEL_FLAGS[given[0] ?? 'S'];
}

/** The identifier from -k keys; (0008,0052) defaults to the model's top level. */
export function identifierOf(keys: string[], model: QueryModel): Identifier {
  const id = identifierFromKeys(keys);
  if (!findElement(id, 0x00080052)) set(id, 0x00080052, model === 'study' ? 'STUDY' : 'PATIENT', 'CS');
  return id;
}

export function setupQr(argv: string[], extra: FlagSpec[] = []): QrCli {
  const a = parseArgs(argv, [...QR_FLAGS, ...extra]);
  const config0 = loadCliConfig(str(a, 'config'));
  const timeout = int(a, 'timeout', config0.network.readTimeout);
  const config: Config = { ...config0, network: { ...config0.network, readTimeout: timeout, maxPdu: int(a, 'maxPdu', config0.network.maxPdu) } };
  const log = cliLogger({ debug: bool(a, 'debug'), verbose: bool(a, 'verbose'), quiet: bool(a, 'quiet') });
  const peer = resolvePeer(config, a.positionals, str(a, 'aec'));
  const model = modelOf(a);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  return {
    a, config, controller, cancelAfter: int(a, 'cancelAfter', 0),
    request: { config, peer, callingAe: str(a, 'aet'), log, signal: controller.signal, model, identifier: identifierOf(list(a, 'keys'), model) },
    done: () => void process.removeListener('SIGINT', onSigint),
  };
}

export function statusLine(status: number, service: StatusService): string {
  return describeStatus(status, service);
}

/** An element's value as text for the table (sequences as their item count). */
export function cellText(el: IdElement | undefined): string {
  if (!el) return '';
  const v = el.value;
  if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
  if (Array.isArray(v) && v.length && typeof v[0] !== 'string') return `[${v.length} item(s)]`;
  return Array.isArray(v) ? (v as string[]).join('\\') : v;
}

export function keyName(tag: number): string {
  return keywordForTag(tag) ?? tagHex(tag);
}

/** PS3.18-like JSON without the vr wrapper: keyword → text, sequences → arrays of objects. */
export function identifierJson(id: Identifier): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const el of id) {
    const v = el.value;
    if (Buffer.isBuffer(v)) out[keyName(el.tag)] = v.toString('base64');
    else if (el.vr === 'SQ') out[keyName(el.tag)] = (v as Identifier[]).map(identifierJson);
    else out[keyName(el.tag)] = Array.isArray(v) ? (v as string[]).join('\\') : v;
  }
  return out;
}
