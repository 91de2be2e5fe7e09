/**
 * Pure PDU writer (PS3.8 9.3): every reserved field is sent as zero, AE titles
 * are space-padded to 16 bytes, UIDs are written without padding (Annex F).
 * Invalid input (an AE title over 16 bytes, an item over 65535 bytes) throws
 * EdgeError PDU_ENCODE: that is a bug in the caller, not a peer fault.
 */
import { EdgeError } from '../util/errors';
import { BufferWriter } from './bytes';
import { writeItem, writeUidItem, writeUserInformation } from './pdu-items';
import {
  ItemType,
  PduType,
  type AssociateAc,
  type AssociateRq,
  type PData,
  type Pdu,
  type PresentationContextAc,
  type PresentationContextRq,
} from './pdu-types';

/** Bytes a PDV adds around its data inside the PDU-length: 4 item-length, 1 context ID, 1 header. */
export const PDV_OVERHEAD = 6;
/** PDU header (6) + one PDV header (6): what `writePDataHeader` returns. */
export const PDATA_HEADER_LENGTH = 12;

/**
 * Most data bytes one PDV can carry in a P-DATA-TF of one PDV when the peer's
 * Maximum Length (PS3.7 D.1, the PDU-length limit) is `maxPduLength`; 0 means
 * no limit. Never below 1, so a silly peer value cannot stall fragmentation.
 */
export function maxPdvDataLength(maxPduLength: number): number {
  if (maxPduLength === 0) return 0xffffffff - PDV_OVERHEAD;
  return Math.max(1, maxPduLength - PDV_OVERHEAD);
}

export function writePdu(pdu: Pdu): Buffer {
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
      return writeAssociate(PduType.AssociateRq, pdu, (w) => pdu.presentationContexts.forEach((pc) => writePcRq(w, pc)));
    case 'A-ASSOCIATE-AC':
      return writeAssociate(PduType.AssociateAc, pdu, (w) => pdu.presentationContexts.forEach((pc) => writePcAc(w, pc)));
    case 'A-ASSOCIATE-RJ':
      // PS3.8 Table 9-21: 7 reserved, 8 Result, 9 Source, 10 Reason/Diag.
      return shortPdu(PduType.AssociateRj, [0, pdu.result, pdu.source, pdu.reason]);
    case 'P-DATA-TF':
      return writePData(pdu);
    case 'A-RELEASE-RQ':
      return shortPdu(PduType.ReleaseRq, [0, 0, 0, 0]); // 7-10 reserved
    case 'A-RELEASE-RP':
      return shortPdu(PduType.ReleaseRp, [0, 0, 0, 0]);
    case 'A-ABORT':
      // PS3.8 Table 9-26: 7-8 reserved, 9 Source, 10 Reason/Diag.
      return shortPdu(PduType.Abort, [0, 0, pdu.source, pdu.reason]);
  }
}

/** 1 PDU-type, 2 reserved, 3-6 PDU-length = 4, 7-10 the four given bytes. */
function shortPdu(type: number, fields: number[]): Buffer {
  return Buffer.from([type, 0, 0, 0, 0, 4, ...fields]);
}

function aeTitleBytes(title: string, field: string): Buffer {
  const b = Buffer.from(title, 'latin1');
  if (b.length > 16) throw new EdgeError('PDU_ENCODE', `${field} "${title}" is longer than 16 characters`);
  const out = Buffer.alloc(16, 0x20);
  b.copy(out);
  return out;
}

/** PS3.8 Table 9-11 (RQ) and 9-17 (AC): the AC echoes the RQ's AE titles in 11-42. */
function writeAssociate(type: number, pdu: AssociateRq | AssociateAc, writeContexts: (w: BufferWriter) => void): Buffer {
  const w = new BufferWriter(512);
  w.u8(type).u8(0); // 1 PDU-type, 2 reserved
  const length = w.mark32(); // 3-6 PDU-length
  w.u16(pdu.protocolVersion).u16(0); // 7-8 Protocol-version (bit 0 = version 1), 9-10 reserved
  w.bytes(aeTitleBytes(pdu.calledAeTitle, 'Called-AE-title')); // 11-26
  w.bytes(aeTitleBytes(pdu.callingAeTitle, 'Calling-AE-title')); // 27-42
  w.zeros(32); // 43-74 reserved
  writeUidItem(w, ItemType.ApplicationContext, pdu.applicationContext); // 75-xxx variable items
  writeContexts(w);
  writeUserInformation(w, pdu.userInfo);
  w.fill32(length);
  return w.toBuffer();
}

/** PS3.8 Table 9-13: 5 ID, 6-8 reserved, abstract syntax (0x30), transfer syntaxes (0x40). */
function writePcRq(w: BufferWriter, pc: PresentationContextRq): void {
  writeItem(w, ItemType.PresentationContextRq, () => {
    w.u8(pc.id).zeros(3);
    writeUidItem(w, ItemType.AbstractSyntax, pc.abstractSyntax);
    for (const ts of pc.transferSyntaxes) writeUidItem(w, ItemType.TransferSyntax, ts);
  });
}

/** PS3.8 Table 9-18: 5 ID, 6 reserved, 7 Result/Reason, 8 reserved, one transfer syntax (0x40). */
function writePcAc(w: BufferWriter, pc: PresentationContextAc): void {
  writeItem(w, ItemType.PresentationContextAc, () => {
    w.u8(pc.id).u8(0).u8(pc.result).u8(0);
    writeUidItem(w, ItemType.TransferSyntax, pc.transferSyntax);
  });
}

/** Message control header, PS3.8 Annex E.2: bit 0 command, bit 1 last fragment, others 0. */
function mch(command: boolean, last: boolean): number {
  return (command ? 1 : 0) | (last ? 2 : 0);
}

/** PS3.8 Table 9-22 / 9-23: PDU header, then each PDV as length, context ID, header, data. */
function writePData(pdu: PData): Buffer {
  const total = pdu.pdvs.reduce((n, pdv) => n + PDV_OVERHEAD + pdv.data.length, 0);
  checkPDataLength(total);
  const w = new BufferWriter(6 + total);
  w.u8(PduType.PData).u8(0).u32(total);
  for (const pdv of pdu.pdvs) {
    w.u32(2 + pdv.data.length).u8(pdv.presentationContextId).u8(mch(pdv.command, pdv.last));
    w.bytes(pdv.data);
  }
  return w.toBuffer();
}

function checkPDataLength(total: number): void {
  if (total > 0xffffffff) throw new EdgeError('PDU_ENCODE', `P-DATA-TF of ${total} bytes exceeds the 4-byte PDU-length`);
}

/**
 * The 12 bytes that precede the data of a P-DATA-TF carrying a single PDV of
 * `dataLength` bytes: 1 type 04H, 2 reserved, 3-6 PDU-length (6 + dataLength),
 * 7-10 PDV item-length (2 + dataLength), 11 presentation-context-ID, 12 message
 * control header.
 */
export function writePDataHeader(contextId: number, command: boolean, last: boolean, dataLength: number): Buffer {
  checkPDataLength(PDV_OVERHEAD + dataLength);
  const h = Buffer.alloc(PDATA_HEADER_LENGTH);
  h[0] = PduType.PData;
  h.writeUInt32BE(PDV_OVERHEAD + dataLength, 2);
  h.writeUInt32BE(2 + dataLength, 6);
  h[10] = contextId;
  h[11] = mch(command, last);
  return h;
}

/** A one-PDV P-DATA-TF as [header, data] for socket.write/writev, without copying `data`. */
export function encodePData(contextId: number, command: boolean, last: boolean, data: Buffer): Buffer[] {
  return [writePDataHeader(contextId, command, last, data.length), data];
}
