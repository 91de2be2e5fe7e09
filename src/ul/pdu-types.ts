/**
 * The seven upper-layer PDUs of PS3.8 section 9.3 as a discriminated union.
 * Readers produce these, writers consume them; nothing here does I/O.
 */

export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PData: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

/** Item types inside A-ASSOCIATE-RQ/AC (PS3.8 9.3.2, 9.3.3; PS3.7 Annex D). */
export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaxLength: 0x51,
  ImplementationClassUid: 0x52,
  AsyncOpsWindow: 0x53,
  RoleSelection: 0x54,
  ImplementationVersionName: 0x55,
  SopClassExtendedNegotiation: 0x56,
  SopClassCommonExtendedNegotiation: 0x57,
  UserIdentityRq: 0x58,
  UserIdentityAc: 0x59,
} as const;

export const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

export interface RoleSelection {
  sopClassUid: string;
  /** true = the association requestor may act as SCU for this class. */
  scuRole: boolean;
  scpRole: boolean;
}

export interface UserInformation {
  /** Maximum length of received P-DATA-TF PDUs (PS3.8 D.1); 0 = unlimited. */
  maxLength: number;
  implementationClassUid: string;
  implementationVersionName?: string;
  asyncOps?: { invoked: number; performed: number };
  roles: RoleSelection[];
  /** SOP class extended negotiation (0x56): parsed, never answered (Ext. Neg. None). */
  extendedNegotiation: { sopClassUid: string; info: Buffer }[];
  /** SOP class common extended negotiation (0x57): parsed, ignored. */
  commonExtendedNegotiation: { sopClassUid: string; serviceClassUid: string; relatedGeneralSopClassUids: string[] }[];
  /** User identity negotiation (0x58): accepted and ignored (no response item sent). */
  userIdentity?: { type: number; positiveResponseRequested: boolean; primary: Buffer; secondary: Buffer };
  /** Unknown sub-items are skipped by the reader and kept here for dumps. */
  unknownItems: { type: number; data: Buffer }[];
}

export interface PresentationContextRq {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

/** PS3.8 Table 9-18 result/reason values. */
export const PcResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

export interface PresentationContextAc {
  id: number;
  result: number;
  /** Accepted transfer syntax; when not accepted the value is not significant (may be ''). */
  transferSyntax: string;
}

export interface AssociateRq {
  type: 'A-ASSOCIATE-RQ';
  protocolVersion: number;
  /** AE titles with trailing spaces removed (PS3.5: padding is not significant). */
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  presentationContexts: PresentationContextRq[];
  userInfo: UserInformation;
}

export interface AssociateAc {
  type: 'A-ASSOCIATE-AC';
  protocolVersion: number;
  /** Echoed from the RQ; PS3.8 says the requestor shall not test them. */
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  presentationContexts: PresentationContextAc[];
  userInfo: UserInformation;
}

/** PS3.8 Table 9-21: result 1 permanent, 2 transient; source 1 user, 2 provider (ACSE), 3 provider (presentation). */
export interface AssociateRj {
  type: 'A-ASSOCIATE-RJ';
  result: number;
  source: number;
  reason: number;
}

export interface Pdv {
  presentationContextId: number;
  /** Message control header bit 0. */
  command: boolean;
  /** Message control header bit 1. */
  last: boolean;
  data: Buffer;
}

export interface PData {
  type: 'P-DATA-TF';
  pdvs: Pdv[];
}

export interface ReleaseRq { type: 'A-RELEASE-RQ' }
export interface ReleaseRp { type: 'A-RELEASE-RP' }

/** PS3.8 Table 9-26: source 0 service user, 2 service provider; reason only significant for source 2. */
export interface Abort {
  type: 'A-ABORT';
  source: number;
  reason: number;
}

export type Pdu = AssociateRq | AssociateAc | AssociateRj | PData | ReleaseRq | ReleaseRp | Abort;

/** Rejection reasons (PS3.8 Table 9-21) used by negotiation. */
export const Reject = {
  permanent: 1,
  transient: 2,
  sourceUser: 1,
  sourceAcse: 2,
  sourcePresentation: 3,
  userNoReason: 1,
  userAppContextNotSupported: 2,
  userCallingAeNotRecognized: 3,
  userCalledAeNotRecognized: 7,
  acseNoReason: 1,
  acseProtocolVersionNotSupported: 2,
  presentationTemporaryCongestion: 1,
  presentationLocalLimitExceeded: 2,
} as const;

export function emptyUserInfo(): UserInformation {
  return { maxLength: 0, implementationClassUid: '', roles: [], extendedNegotiation: [], commonExtendedNegotiation: [], unknownItems: [] };
}
