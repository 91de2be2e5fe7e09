/**
 * Test fixtures for the PDU codec: real A-ASSOCIATE-RQs captured from DCMTK
 * 3.6.7 on 127.0.0.1 (a Node server that printed the first PDU it received),
 * and small byte builders for hand-made (often malformed) PDUs.
 */
import type { AssociateRq } from '../../../src/ul/pdu-types';

/** `echoscu -aet ECHOSCU -aec ANY-SCP 127.0.0.1 PORT` */
export const DCMTK_ECHOSCU_RQ = Buffer.from(
  '0100000000cd00010000414e592d5343502020202020202020204543484f534355202020202020202020000000000000' +
  '000000000000000000000000000000000000000000000000000010000015312e322e3834302e31303030382e332e312e' +
  '312e312000002e0100ff0030000011312e322e3834302e31303030382e312e3140000011312e322e3834302e31303030' +
  '382e312e325000003a51000004000040005200001b312e322e3237362e302e373233303031302e332e302e332e362e37' +
  '5500000f4f464649535f44434d544b5f333637',
  'hex',
);

/** `storescu -R -xe -aet STORESCU -aec EDGE -usr alice -pwd secret 127.0.0.1 PORT sc.dcm` (one Secondary Capture file). */
export const DCMTK_STORESCU_USER_RQ = Buffer.from(
  '01000000013d000100004544474520202020202020202020202053544f52455343552020202020202020000000000000' +
  '000000000000000000000000000000000000000000000000000010000015312e322e3834302e31303030382e332e312e' +
  '312e31200000380100ff0030000019312e322e3834302e31303030382e352e312e342e312e312e3740000013312e322e' +
  '3834302e31303030382e312e322e312000004d0300ff0030000019312e322e3834302e31303030382e352e312e342e31' +
  '2e312e3740000013312e322e3834302e31303030382e312e322e3240000011312e322e3834302e31303030382e312e32' +
  '5000004f51000004000040005200001b312e322e3237362e302e373233303031302e332e302e332e362e375500000f4f' +
  '464649535f44434d544b5f3336375800001102000005616c6963650006736563726574',
  'hex',
);

/** Concatenates hex strings and buffers. */
export function cat(...parts: (string | Buffer)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p.replace(/\s+/g, ''), 'hex') : p)));
}

/** Text as bytes. */
export function a(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** An item: type, reserved 00H, 2-byte length, value. `length` overrides the real length. */
export function item(type: number, value: Buffer, length = value.length): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUInt16BE(length, 2);
  return Buffer.concat([h, value]);
}

/** A PDU: type, reserved, 4-byte length, body. */
export function pdu(type: number, body: Buffer, length = body.length): Buffer {
  const h = Buffer.alloc(6);
  h[0] = type;
  h.writeUInt32BE(length, 2);
  return Buffer.concat([h, body]);
}

/** The 68 fixed bytes of an A-ASSOCIATE-RQ/AC body (version 1, CALLED/CALLING). */
export function associateFixed(called = 'CALLED', calling = 'CALLING'): Buffer {
  return cat('0001', '0000', a(called.padEnd(16, ' ')), a(calling.padEnd(16, ' ')), Buffer.alloc(32));
}

export const APP_CONTEXT_ITEM = item(0x10, a('1.2.840.10008.3.1.1.1'));
export const VERIFICATION_PC_ITEM = item(0x20, cat('01000000', item(0x30, a('1.2.840.10008.1.1')), item(0x40, a('1.2.840.10008.1.2'))));
export const MAX_LENGTH_ITEM = item(0x51, cat('00004000'));
export const USER_INFO_ITEM = item(0x50, MAX_LENGTH_ITEM);

/** An A-ASSOCIATE-RQ body from the fixed part and the given items. */
export function rqBody(...items: Buffer[]): Buffer {
  return Buffer.concat([associateFixed(), ...items]);
}

export const SC = '1.2.840.10008.5.1.4.1.1.7'; // 25 chars

/** An A-ASSOCIATE-RQ with two contexts and every user information sub-item (bytes in pdu-writer.test.ts). */
export const FULL_RQ: AssociateRq = {
  type: 'A-ASSOCIATE-RQ',
  protocolVersion: 1,
  calledAeTitle: 'STORESCP',
  callingAeTitle: 'EDGE',
  applicationContext: '1.2.840.10008.3.1.1.1',
  presentationContexts: [
    { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
    { id: 3, abstractSyntax: SC, transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'] },
  ],
  userInfo: {
    maxLength: 16384,
    implementationClassUid: '1.2.3.4.5.6',
    implementationVersionName: 'EDGE_010',
    asyncOps: { invoked: 1, performed: 1 },
    roles: [{ sopClassUid: SC, scuRole: false, scpRole: true }],
    extendedNegotiation: [{ sopClassUid: '1.2.840.10008.5.1.4.1.2.2.1', info: Buffer.from([1, 0, 1]) }],
    commonExtendedNegotiation: [{ sopClassUid: SC, serviceClassUid: '1.2.840.10008.4.2', relatedGeneralSopClassUids: [SC] }],
    userIdentity: { type: 2, positiveResponseRequested: false, primary: a('alice'), secondary: a('secret') },
    unknownItems: [],
  },
};
