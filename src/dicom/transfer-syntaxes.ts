/**
 * The transfer syntaxes of the conformance statement ("Transfer Syntaxes for Presentation
 * Contexts") with the INI names of the [Transfer Syntax] trSyn option. PS3.5 Annex A.
 * Later features (compressed syntaxes) extend the table with registerTransferSyntax().
 */
import { EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from './uids';

export interface TransferSyntaxInfo {
  uid: string;
  /** The INI name (implicitLittle, explicitLittle, explicitBig). */
  name: string;
  /** PS3.6 name, for logs. */
  title: string;
  explicitVr: boolean;
  littleEndian: boolean;
}

const table: TransferSyntaxInfo[] = [
  { uid: IMPLICIT_VR_LITTLE_ENDIAN, name: 'implicitLittle', title: 'Implicit VR Little Endian', explicitVr: false, littleEndian: true },
  { uid: EXPLICIT_VR_LITTLE_ENDIAN, name: 'explicitLittle', title: 'Explicit VR Little Endian', explicitVr: true, littleEndian: true },
  { uid: EXPLICIT_VR_BIG_ENDIAN, name: 'explicitBig', title: 'Explicit VR Big Endian', explicitVr: true, littleEndian: false },
];

/** The statement's order: "Implicit VR Little Endian (default)", then Explicit LE, Explicit BE. */
export const DEFAULT_TRANSFER_SYNTAXES: readonly string[] = table.map((t) => t.uid);

export function registerTransferSyntax(info: TransferSyntaxInfo): void {
  if (table.some((t) => t.uid === info.uid || t.name.toLowerCase() === info.name.toLowerCase())) {
    throw new Error(`transfer syntax ${info.name} (${info.uid}) already registered`);
  }
  table.push(info);
}

export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  return table.find((t) => t.uid === uid);
}

/** INI name or full UID (case-insensitive for names) → UID, or undefined if not supported. */
export function transferSyntaxUid(word: string): string | undefined {
  const w = word.trim();
  const lower = w.toLowerCase();
  return table.find((t) => t.uid === w || t.name.toLowerCase() === lower)?.uid;
}

/** UID → INI name, or the UID itself for an unknown syntax. */
export function transferSyntaxName(uid: string): string {
  return transferSyntaxInfo(uid)?.name ?? uid;
}

/** All supported syntax UIDs, in table order. */
export function supportedTransferSyntaxes(): string[] {
  return table.map((t) => t.uid);
}

/** True for UIDs in the transfer-syntax arc 1.2.840.10008.1.2[.x] (PS3.6 Annex A), known or not. */
export function isTransferSyntaxArc(uid: string): boolean {
  return uid === IMPLICIT_VR_LITTLE_ENDIAN || uid.startsWith(IMPLICIT_VR_LITTLE_ENDIAN + '.');
}
