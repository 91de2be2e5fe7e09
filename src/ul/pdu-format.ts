/**
 * Human-readable PDU summaries for the debug log and dumps (like DCMTK's -d).
 * Values are named after PS3.8 Tables 9-18, 9-21 and 9-26 and PS3.7 D.3.3.7.
 * Passcodes and tokens are never printed, only their lengths.
 */
import { hex2 } from './pdu-items';
import {
  DICOM_APPLICATION_CONTEXT,
  ItemType,
  type Abort,
  type AssociateAc,
  type AssociateRj,
  type AssociateRq,
  type PData,
  type Pdu,
  type UserInformation,
} from './pdu-types';

export type UidNamer = (uid: string) => string | undefined;

/** The few UIDs every association shows; a fuller table can be passed to dumpPdu. */
const BUILTIN_UID_NAMES: Record<string, string> = {
  [DICOM_APPLICATION_CONTEXT]: 'DICOM Application Context Name',
  '1.2.840.10008.1.1': 'Verification SOP Class',
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
};

/** PS3.8 Table 9-18 Result/Reason. */
export const PC_RESULT_NAMES = [
  'acceptance',
  'user-rejection',
  'no-reason (provider rejection)',
  'abstract-syntax-not-supported (provider rejection)',
  'transfer-syntaxes-not-supported (provider rejection)',
];

/** PS3.8 Table 9-21. */
const RJ_RESULT: Record<number, string> = { 1: 'rejected-permanent', 2: 'rejected-transient' };
const RJ_SOURCE: Record<number, string> = {
  1: 'DICOM UL service-user',
  2: 'DICOM UL service-provider (ACSE related function)',
  3: 'DICOM UL service-provider (Presentation related function)',
};
const RJ_REASON: Record<number, Record<number, string>> = {
  1: { 1: 'no-reason-given', 2: 'application-context-name-not-supported', 3: 'calling-AE-title-not-recognized', 7: 'called-AE-title-not-recognized' },
  2: { 1: 'no-reason-given', 2: 'protocol-version-not-supported' },
  3: { 1: 'temporary-congestion', 2: 'local-limit-exceeded' },
};

/** PS3.8 Table 9-26. */
const ABORT_SOURCE: Record<number, string> = { 0: 'DICOM UL service-user', 1: 'reserved', 2: 'DICOM UL service-provider' };
const ABORT_REASON: Record<number, string> = {
  0: 'reason-not-specified',
  1: 'unrecognized-PDU',
  2: 'unexpected-PDU',
  3: 'reserved',
  4: 'unrecognized-PDU-parameter',
  5: 'unexpected-PDU-parameter',
  6: 'invalid-PDU-parameter-value',
};

/** PS3.7 Table D.3-14 User-Identity-Type. */
const IDENTITY_TYPES: Record<number, string> = {
  1: 'username',
  2: 'username and passcode',
  3: 'Kerberos service ticket',
  4: 'SAML assertion',
  5: 'JSON Web Token',
};

function named(table: Record<number, string> | string[] | undefined, v: number): string {
  const name = table ? (table as Record<number, string>)[v] : undefined;
  return name ? `${name} (${v})` : `unknown (${v})`;
}

export function pcResultName(result: number): string {
  return named(PC_RESULT_NAMES, result);
}

export function rejectText(rj: Pick<AssociateRj, 'result' | 'source' | 'reason'>): string {
  return `${named(RJ_RESULT, rj.result)}, source ${named(RJ_SOURCE, rj.source)}, reason ${named(RJ_REASON[rj.source], rj.reason)}`;
}

export function abortText(a: Pick<Abort, 'source' | 'reason'>): string {
  // Table 9-26: the reason is only significant when the provider aborted.
  const reason = a.source === 2 ? `, reason ${named(ABORT_REASON, a.reason)}` : '';
  return `source ${named(ABORT_SOURCE, a.source)}${reason}`;
}

// ------------------------------------------------------------ one line

/** One line for the debug log. */
export function describePdu(pdu: Pdu): string {
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC':
      return describeAssociate(pdu);
    case 'A-ASSOCIATE-RJ':
      return `A-ASSOCIATE-RJ ${rejectText(pdu)}`;
    case 'P-DATA-TF':
      return describePData(pdu);
    case 'A-ABORT':
      return `A-ABORT ${abortText(pdu)}`;
    default:
      return pdu.type;
  }
}

function describeAssociate(pdu: AssociateRq | AssociateAc): string {
  const n = pdu.presentationContexts.length;
  let contexts = `${n} presentation context${n === 1 ? '' : 's'}`;
  if (pdu.type === 'A-ASSOCIATE-AC') {
    contexts += ` (${pdu.presentationContexts.filter((pc) => pc.result === 0).length} accepted)`;
  }
  const ui = pdu.userInfo;
  const impl = [ui.implementationClassUid, ui.implementationVersionName].filter(Boolean).join(' ');
  return `${pdu.type} ${pdu.callingAeTitle} -> ${pdu.calledAeTitle}, ${contexts}, max PDU ${ui.maxLength}${impl ? `, impl ${impl}` : ''}`;
}

function describePData(pdu: PData): string {
  const shown = pdu.pdvs.slice(0, 4).map(
    (p) => `[ctx ${p.presentationContextId} ${p.command ? 'command' : 'data'}${p.last ? ' last' : ''} ${p.data.length} bytes]`,
  );
  if (pdu.pdvs.length > 4) shown.push(`... ${pdu.pdvs.length - 4} more`);
  return `P-DATA-TF ${pdu.pdvs.length} PDV${pdu.pdvs.length === 1 ? '' : 's'} ${shown.join(' ')}`;
}

// ------------------------------------------------------------ multi-line dump

/** A multi-line dump of every item and sub-item; `uidName` can add names for more UIDs. */
export function dumpPdu(pdu: Pdu, uidName?: UidNamer): string {
  const uid = (u: string): string => {
    const name = uidName?.(u) ?? BUILTIN_UID_NAMES[u];
    return name ? `${u} (${name})` : u || '(empty)';
  };
  const lines: string[] = [];
  const add = (depth: number, label: string, value = ''): void => {
    lines.push(`${'  '.repeat(depth)}${label}${value === '' ? '' : `: ${value}`}`);
  };
  add(0, `===== ${pdu.type} =====`);
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC':
      dumpAssociate(pdu, add, uid);
      break;
    case 'A-ASSOCIATE-RJ':
      add(1, 'Result', named(RJ_RESULT, pdu.result));
      add(1, 'Source', named(RJ_SOURCE, pdu.source));
      add(1, 'Reason', named(RJ_REASON[pdu.source], pdu.reason));
      break;
    case 'P-DATA-TF':
      dumpPData(pdu, add);
      break;
    case 'A-ABORT':
      add(1, 'Source', named(ABORT_SOURCE, pdu.source));
      add(1, 'Reason', named(ABORT_REASON, pdu.reason));
      break;
  }
  return lines.join('\n');
}

type Add = (depth: number, label: string, value?: string) => void;
type Uid = (u: string) => string;

function dumpAssociate(pdu: AssociateRq | AssociateAc, add: Add, uid: Uid): void {
  add(1, 'Protocol version', String(pdu.protocolVersion));
  add(1, 'Called AE title', JSON.stringify(pdu.calledAeTitle));
  add(1, 'Calling AE title', JSON.stringify(pdu.callingAeTitle));
  add(1, 'Application context', uid(pdu.applicationContext));
  if (pdu.type === 'A-ASSOCIATE-RQ') {
    for (const pc of pdu.presentationContexts) {
      add(1, `Presentation context ${pc.id}`);
      add(2, 'Abstract syntax', uid(pc.abstractSyntax));
      for (const ts of pc.transferSyntaxes) add(2, 'Transfer syntax', uid(ts));
    }
  } else {
    for (const pc of pdu.presentationContexts) {
      add(1, `Presentation context ${pc.id}`);
      add(2, 'Result', pcResultName(pc.result));
      add(2, 'Transfer syntax', uid(pc.transferSyntax));
    }
  }
  dumpUserInfo(pdu.userInfo, add, uid);
}

function dumpUserInfo(ui: UserInformation, add: Add, uid: Uid): void {
  add(1, 'User information');
  add(2, 'Maximum length', ui.maxLength === 0 ? '0 (unlimited)' : String(ui.maxLength));
  if (ui.implementationClassUid) add(2, 'Implementation class UID', uid(ui.implementationClassUid));
  if (ui.implementationVersionName !== undefined) add(2, 'Implementation version name', JSON.stringify(ui.implementationVersionName));
  if (ui.asyncOps) add(2, 'Asynchronous operations window', `invoked ${ui.asyncOps.invoked}, performed ${ui.asyncOps.performed}`);
  for (const r of ui.roles) {
    add(2, 'SCP/SCU role selection', `${uid(r.sopClassUid)} SCU ${r.scuRole ? 'yes' : 'no'}, SCP ${r.scpRole ? 'yes' : 'no'}`);
  }
  for (const e of ui.extendedNegotiation) {
    add(2, 'SOP class extended negotiation', `${uid(e.sopClassUid)} info ${e.info.toString('hex') || '(empty)'}`);
  }
  for (const c of ui.commonExtendedNegotiation) {
    add(2, 'SOP class common extended negotiation', uid(c.sopClassUid));
    add(3, 'Service class', uid(c.serviceClassUid));
    for (const g of c.relatedGeneralSopClassUids) add(3, 'Related general SOP class', uid(g));
  }
  if (ui.userIdentity) dumpUserIdentity(ui.userIdentity, add);
  for (const item of ui.unknownItems) {
    if (item.type === ItemType.UserIdentityAc) {
      add(2, 'User identity server response', `${Math.max(0, item.data.length - 2)} bytes (not shown)`);
    } else {
      add(2, `Unknown sub-item ${hex2(item.type)}`, `${item.data.length} bytes ${item.data.subarray(0, 32).toString('hex')}`);
    }
  }
}

function dumpUserIdentity(id: NonNullable<UserInformation['userIdentity']>, add: Add): void {
  add(2, 'User identity', named(IDENTITY_TYPES, id.type));
  add(3, 'Positive response requested', id.positiveResponseRequested ? 'yes' : 'no');
  // Types 1 and 2 carry a user name in the primary field; the rest are credentials.
  const primary = id.type === 1 || id.type === 2 ? JSON.stringify(id.primary.toString('utf8')) : `${id.primary.length} bytes (not shown)`;
  add(3, 'Primary field', primary);
  if (id.secondary.length > 0 || id.type === 2) add(3, 'Secondary field', `${id.secondary.length} bytes (not shown)`);
}

function dumpPData(pdu: PData, add: Add): void {
  pdu.pdvs.forEach((p, i) => {
    add(1, `PDV ${i + 1}`);
    add(2, 'Presentation context ID', String(p.presentationContextId));
    add(2, 'Message control header', `${p.command ? 'command' : 'data set'}, ${p.last ? 'last fragment' : 'more fragments follow'}`);
    add(2, 'Length', `${p.data.length} bytes`);
    if (p.data.length > 0) add(2, 'First bytes', p.data.subarray(0, 16).toString('hex'));
  });
}
