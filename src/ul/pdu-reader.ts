/**
 * Pure PDU reader (PS3.8 9.3). `readPdu` returns null for "not enough bytes
 * yet"; the transport only fills the buffer (the dicom-rs reader habit).
 * Malformed content throws PduError whose `abortReason` is the A-ABORT reason
 * to send (PS3.8 Table 9-26).
 *
 * Decisions (what is *not* a reader error, left to negotiation/state machine):
 * - an A-ASSOCIATE-RQ/AC with zero presentation contexts;
 * - a presentation context with zero transfer syntaxes, an even or repeated ID,
 *   or an empty abstract syntax name;
 * - the protocol version (negotiation tests bit 0, PS3.8 9.3.2);
 * - reserved fields and reserved bits of the message control header (PS3.8
 *   "not tested"; DCMTK sends FFH in byte 7 of the presentation context item);
 * - item types not defined for the PDU (skipped, PS3.8 9.3.1) and unknown user
 *   information sub-items (kept in `unknownItems`).
 * Errors: PDU_UNKNOWN_TYPE (reason 1); PDU_BAD_LENGTH, PDU_ITEM_OVERRUN,
 * PDU_MISSING_ITEM, PDU_BAD_ITEM, PDU_BAD_PDV (reason 6); PDU_UNEXPECTED_ITEM,
 * PDU_DUPLICATE_ITEM (reason 5).
 *
 * P-DATA-TF PDV `data` are views into the input buffer (no copy); association
 * PDUs copy what they keep.
 */
import { PduError } from '../util/errors';
import { BufferReader } from './bytes';
import { hex2, readItems, readUidValue, readUserInformation, trimAeTitle } from './pdu-items';
import {
  ItemType,
  PduType,
  type Abort,
  type AssociateAc,
  type AssociateRj,
  type AssociateRq,
  type PData,
  type Pdu,
  type PresentationContextAc,
  type PresentationContextRq,
  type Pdv,
  type UserInformation,
} from './pdu-types';

/** Bytes before the PDU-length field's value: type, reserved, 4-byte length (PS3.8 9.3.1). */
export const PDU_HEADER_LENGTH = 6;

const KNOWN_TYPES = new Set<number>(Object.values(PduType));

export const PDU_NAMES: Record<number, string> = {
  [PduType.AssociateRq]: 'A-ASSOCIATE-RQ',
  [PduType.AssociateAc]: 'A-ASSOCIATE-AC',
  [PduType.AssociateRj]: 'A-ASSOCIATE-RJ',
  [PduType.PData]: 'P-DATA-TF',
  [PduType.ReleaseRq]: 'A-RELEASE-RQ',
  [PduType.ReleaseRp]: 'A-RELEASE-RP',
  [PduType.Abort]: 'A-ABORT',
};

/** PDU type and PDU-length (bytes after the 6-byte header); null when fewer than 6 bytes. */
export function peekPduHeader(buf: Buffer): { type: number; length: number } | null {
  if (buf.length < PDU_HEADER_LENGTH) return null;
  return { type: buf[0]!, length: buf.readUInt32BE(2) };
}

/**
 * One whole PDU from the start of `buf`: `bytes` is how much was consumed
 * (6 + PDU-length). Null when the PDU is not complete yet. An unknown PDU
 * type throws as soon as the header is there, before its (meaningless) length
 * is waited for.
 */
export function readPdu(buf: Buffer): { pdu: Pdu; bytes: number } | null {
  const head = peekPduHeader(buf);
  if (!head) return null;
  checkType(head.type);
  const bytes = PDU_HEADER_LENGTH + head.length;
  if (buf.length < bytes) return null;
  return { pdu: decodePdu(head.type, buf.subarray(PDU_HEADER_LENGTH, bytes)), bytes };
}

function checkType(type: number): void {
  if (!KNOWN_TYPES.has(type)) {
    throw new PduError('PDU_UNKNOWN_TYPE', `unrecognised PDU type ${hex2(type)}`, 1);
  }
}

/** Decodes a PDU body (everything after the 6-byte header). */
export function decodePdu(type: number, body: Buffer): Pdu {
  checkType(type);
  switch (type) {
    case PduType.AssociateRq:
      return readAssociateRq(body);
    case PduType.AssociateAc:
      return readAssociateAc(body);
    case PduType.AssociateRj:
      return readAssociateRj(body);
    case PduType.PData:
      return readPData(body);
    case PduType.ReleaseRq:
      fixedLength(body, 4, 'A-RELEASE-RQ'); // 7-10 reserved
      return { type: 'A-RELEASE-RQ' };
    case PduType.ReleaseRp:
      fixedLength(body, 4, 'A-RELEASE-RP');
      return { type: 'A-RELEASE-RP' };
    default:
      return readAbort(body);
  }
}

function fixedLength(body: Buffer, expected: number, what: string): void {
  if (body.length !== expected) {
    throw new PduError('PDU_BAD_LENGTH', `${what}: PDU-length ${body.length}, expected ${expected}`, 6);
  }
}

// ------------------------------------------------------------ A-ASSOCIATE-RQ/AC

interface AssociateCommon {
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  userInfo: UserInformation;
}

/** Fixed fields, PS3.8 Table 9-11 / 9-17 (offsets from the PDU start). */
function readAssociateFixed(r: BufferReader): Pick<AssociateCommon, 'protocolVersion' | 'calledAeTitle' | 'callingAeTitle'> {
  const protocolVersion = r.u16(); // 7-8 Protocol-version
  r.skip(2); // 9-10 reserved
  const calledAeTitle = trimAeTitle(r.ascii(16)); // 11-26 Called-AE-title
  const callingAeTitle = trimAeTitle(r.ascii(16)); // 27-42 Calling-AE-title
  r.skip(32); // 43-74 reserved
  return { protocolVersion, calledAeTitle, callingAeTitle };
}

/**
 * 75-xxx variable items: one application context (0x10), presentation
 * contexts (`pcType`, 0x20 in the RQ, 0x21 in the AC), one user information (0x50).
 */
function readAssociate<P>(
  body: Buffer,
  what: string,
  pcType: number,
  readPc: (r: BufferReader) => P,
): AssociateCommon & { presentationContexts: P[] } {
  if (body.length < 68) throw new PduError('PDU_BAD_LENGTH', `${what}: PDU-length ${body.length} is below the 68 fixed bytes`, 6);
  const r = new BufferReader(body, 0, body.length, what);
  const fixed = readAssociateFixed(r);
  let applicationContext: string | undefined;
  let userInfo: UserInformation | undefined;
  const presentationContexts: P[] = [];
  for (const { type, value } of readItems(r, what)) {
    if (type === ItemType.ApplicationContext) {
      if (applicationContext !== undefined) throw duplicate(what, type);
      applicationContext = readUidValue(value);
    } else if (type === pcType) {
      presentationContexts.push(readPc(value));
    } else if (type === ItemType.UserInformation) {
      if (userInfo) throw duplicate(what, type);
      userInfo = readUserInformation(value);
    } else if (type === ItemType.PresentationContextRq || type === ItemType.PresentationContextAc) {
      throw new PduError('PDU_UNEXPECTED_ITEM', `${what}: presentation context item ${hex2(type)} does not belong here`, 5);
    } // other item types: reserved, ignored
  }
  if (applicationContext === undefined) throw missing(what, 'application context item (0x10)');
  if (!userInfo) throw missing(what, 'user information item (0x50)');
  return { ...fixed, applicationContext, presentationContexts, userInfo };
}

function duplicate(what: string, type: number): PduError {
  return new PduError('PDU_DUPLICATE_ITEM', `${what}: item ${hex2(type)} appears twice`, 5);
}

function missing(what: string, item: string): PduError {
  return new PduError('PDU_MISSING_ITEM', `${what}: no ${item}`, 6);
}

function readAssociateRq(body: Buffer): AssociateRq {
  const common = readAssociate(body, 'A-ASSOCIATE-RQ', ItemType.PresentationContextRq, readPcRq);
  return { type: 'A-ASSOCIATE-RQ', ...common };
}

function readAssociateAc(body: Buffer): AssociateAc {
  const common = readAssociate(body, 'A-ASSOCIATE-AC', ItemType.PresentationContextAc, readPcAc);
  return { type: 'A-ASSOCIATE-AC', ...common };
}

/** PS3.8 Table 9-13: 5 ID, 6-8 reserved, 9-xxx one abstract syntax (0x30) and transfer syntaxes (0x40). */
function readPcRq(r: BufferReader): PresentationContextRq {
  const id = r.u8();
  r.skip(3);
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  for (const { type, value } of readItems(r, `presentation context ${id}`)) {
    if (type === ItemType.AbstractSyntax) {
      if (abstractSyntax !== undefined) throw duplicate(`presentation context ${id}`, type);
      abstractSyntax = readUidValue(value);
    } else if (type === ItemType.TransferSyntax) {
      transferSyntaxes.push(readUidValue(value));
    }
  }
  if (abstractSyntax === undefined) throw missing(`presentation context ${id}`, 'abstract syntax sub-item (0x30)');
  return { id, abstractSyntax, transferSyntaxes };
}

/**
 * PS3.8 Table 9-18: 5 ID, 6 reserved, 7 Result/Reason, 8 reserved, 9-xxx one
 * transfer syntax sub-item, "not significant" unless accepted: required only then.
 */
function readPcAc(r: BufferReader): PresentationContextAc {
  const id = r.u8();
  r.skip(1);
  const result = r.u8();
  r.skip(1);
  let transferSyntax: string | undefined;
  for (const { type, value } of readItems(r, `presentation context ${id}`)) {
    if (type !== ItemType.TransferSyntax) continue;
    if (transferSyntax !== undefined) throw duplicate(`presentation context ${id}`, type);
    transferSyntax = readUidValue(value);
  }
  if (transferSyntax === undefined && result === 0) {
    throw missing(`accepted presentation context ${id}`, 'transfer syntax sub-item (0x40)');
  }
  return { id, result, transferSyntax: transferSyntax ?? '' };
}

// ------------------------------------------------------------ the short PDUs

/** PS3.8 Table 9-21: 7 reserved, 8 Result, 9 Source, 10 Reason/Diag. */
function readAssociateRj(body: Buffer): AssociateRj {
  fixedLength(body, 4, 'A-ASSOCIATE-RJ');
  return { type: 'A-ASSOCIATE-RJ', result: body[1]!, source: body[2]!, reason: body[3]! };
}

/** PS3.8 Table 9-26: 7-8 reserved, 9 Source, 10 Reason/Diag. */
function readAbort(body: Buffer): Abort {
  fixedLength(body, 4, 'A-ABORT');
  return { type: 'A-ABORT', source: body[2]!, reason: body[3]! };
}

/**
 * PS3.8 9.3.5: one or more PDV items, each 4-byte item-length, 1 byte
 * presentation-context-ID, then the PDV value whose first byte is the
 * message control header (Annex E: bit 0 command, bit 1 last fragment).
 */
function readPData(body: Buffer): PData {
  if (body.length === 0) throw new PduError('PDU_BAD_LENGTH', 'P-DATA-TF: no PDV items', 6);
  const r = new BufferReader(body, 0, body.length, 'P-DATA-TF');
  const pdvs: Pdv[] = [];
  while (r.remaining > 0) {
    const length = r.u32();
    if (length < 2) throw new PduError('PDU_BAD_PDV', `P-DATA-TF: PDV item length ${length} is below 2`, 6);
    const v = r.sub(length, 'PDV item');
    const presentationContextId = v.u8();
    const mch = v.u8();
    pdvs.push({ presentationContextId, command: (mch & 1) !== 0, last: (mch & 2) !== 0, data: v.bytes(v.remaining) });
  }
  return { type: 'P-DATA-TF', pdvs };
}
