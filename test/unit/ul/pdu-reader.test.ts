// Reader tests: real DCMTK requests, tolerated oddities, and malformed PDUs (PS3.8 9.3, Table 9-26).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PduError } from '../../../src/util/errors';
import { decodePdu, peekPduHeader, readPdu } from '../../../src/ul/pdu-reader';
import { writePdu } from '../../../src/ul/pdu-writer';
import type { AssociateAc, AssociateRq, PData } from '../../../src/ul/pdu-types';
import {
  APP_CONTEXT_ITEM,
  DCMTK_ECHOSCU_RQ,
  DCMTK_STORESCU_USER_RQ,
  MAX_LENGTH_ITEM,
  USER_INFO_ITEM,
  VERIFICATION_PC_ITEM,
  a,
  associateFixed,
  cat,
  item,
  pdu,
  rqBody,
} from './pdu-fixtures';

function rq(body: Buffer): AssociateRq {
  const p = decodePdu(0x01, body);
  assert.equal(p.type, 'A-ASSOCIATE-RQ');
  return p as AssociateRq;
}

test('a real echoscu A-ASSOCIATE-RQ (DCMTK 3.6.7) is parsed', () => {
  const r = readPdu(DCMTK_ECHOSCU_RQ);
  assert.ok(r);
  assert.equal(r.bytes, DCMTK_ECHOSCU_RQ.length);
  assert.deepEqual(r.pdu, {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: 'ANY-SCP',
    callingAeTitle: 'ECHOSCU',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts: [{ id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] }],
    userInfo: {
      maxLength: 16384,
      implementationClassUid: '1.2.276.0.7230010.3.0.3.6.7',
      implementationVersionName: 'OFFIS_DCMTK_367',
      roles: [],
      extendedNegotiation: [],
      commonExtendedNegotiation: [],
      unknownItems: [],
    },
  });
});

test('rewriting the echoscu request gives DCMTK bytes except the reserved byte DCMTK sets to FFH', () => {
  const again = writePdu(readPdu(DCMTK_ECHOSCU_RQ)!.pdu);
  assert.equal(again.length, DCMTK_ECHOSCU_RQ.length);
  const diffs = [...again.keys()].filter((i) => again[i] !== DCMTK_ECHOSCU_RQ[i]);
  // 0-based offset 105 = 74 fixed + 25 application context item + 6: byte 7 (reserved) of the
  // presentation context item (PS3.8 Table 9-13). DCMTK sends FFH there, we send 00H.
  assert.deepEqual(diffs, [105]);
  assert.equal(DCMTK_ECHOSCU_RQ[105], 0xff);
  assert.equal(again[105], 0);
});

test('a real storescu A-ASSOCIATE-RQ with user identity is parsed and rewritten', () => {
  const p = readPdu(DCMTK_STORESCU_USER_RQ)!.pdu as AssociateRq;
  assert.equal(p.calledAeTitle, 'EDGE');
  assert.equal(p.callingAeTitle, 'STORESCU');
  assert.deepEqual(
    p.presentationContexts.map((pc) => [pc.id, pc.abstractSyntax, pc.transferSyntaxes]),
    [
      [1, '1.2.840.10008.5.1.4.1.1.7', ['1.2.840.10008.1.2.1']],
      [3, '1.2.840.10008.5.1.4.1.1.7', ['1.2.840.10008.1.2.2', '1.2.840.10008.1.2']],
    ],
  );
  assert.deepEqual(p.userInfo.userIdentity, { type: 2, positiveResponseRequested: false, primary: a('alice'), secondary: a('secret') });
  const again = writePdu(p);
  const diffs = [...again.keys()].filter((i) => again[i] !== DCMTK_STORESCU_USER_RQ[i]);
  assert.equal(again.length, DCMTK_STORESCU_USER_RQ.length);
  assert.equal(diffs.length, 2); // byte 7 of each of the two presentation context items
  assert.ok(diffs.every((i) => DCMTK_STORESCU_USER_RQ[i] === 0xff && again[i] === 0), `unexpected differences at ${diffs}`);
});

test('peekPduHeader needs 6 bytes', () => {
  assert.equal(peekPduHeader(Buffer.from('0400000000', 'hex')), null);
  assert.deepEqual(peekPduHeader(Buffer.from('040000001234', 'hex')), { type: 4, length: 0x1234 });
});

test('AE titles lose leading/trailing spaces and NULs, keep inner characters; UIDs lose trailing padding', () => {
  const fixed = cat('0001 0000', a('  MY AE\0\0\0\0\0\0\0\0\0'), a('\0CALLING  A     '), Buffer.alloc(32));
  const pc = item(0x20, cat('01000000', item(0x30, a('1.2.840.10008.1.1\0')), item(0x40, a('1.2.840.10008.1.2 '))));
  const p = rq(cat(fixed, item(0x10, a('1.2.840.10008.3.1.1.1\0')), pc, item(0x50, cat(MAX_LENGTH_ITEM, item(0x52, a('1.2.3\0'))))));
  assert.equal(p.calledAeTitle, 'MY AE');
  assert.equal(p.callingAeTitle, 'CALLING  A');
  assert.equal(p.applicationContext, '1.2.840.10008.3.1.1.1');
  assert.deepEqual(p.presentationContexts[0], { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] });
  assert.equal(p.userInfo.implementationClassUid, '1.2.3');
});

test('unknown PDU-level items are skipped; unknown user sub-items and 0x59 are kept', () => {
  const ui = item(0x50, cat(item(0x5f, a('xy')), MAX_LENGTH_ITEM, item(0x59, cat('0002', a('ok')))));
  const p = rq(rqBody(item(0x60, a('ignore me')), APP_CONTEXT_ITEM, VERIFICATION_PC_ITEM, ui));
  assert.equal(p.presentationContexts.length, 1);
  assert.equal(p.userInfo.maxLength, 16384);
  assert.deepEqual(p.userInfo.unknownItems, [
    { type: 0x5f, data: a('xy') },
    { type: 0x59, data: cat('0002', a('ok')) },
  ]);
});

test('not reader errors: zero presentation contexts, zero transfer syntaxes, rejected AC context without a transfer syntax', () => {
  assert.deepEqual(rq(rqBody(APP_CONTEXT_ITEM, USER_INFO_ITEM)).presentationContexts, []);
  const noTs = item(0x20, cat('05000000', item(0x30, a('1.2.3'))));
  assert.deepEqual(rq(rqBody(APP_CONTEXT_ITEM, noTs, USER_INFO_ITEM)).presentationContexts, [{ id: 5, abstractSyntax: '1.2.3', transferSyntaxes: [] }]);
  const ac = decodePdu(0x02, cat(associateFixed(), APP_CONTEXT_ITEM, item(0x21, Buffer.from('07000300', 'hex')), USER_INFO_ITEM)) as AssociateAc;
  assert.deepEqual(ac.presentationContexts, [{ id: 7, result: 3, transferSyntax: '' }]);
});

test('P-DATA-TF PDVs decode the message control header and ignore its reserved bits', () => {
  const body = cat('00000004 01 03 abcd', '00000002 03 fc', '00000003 05 02 ee');
  const p = decodePdu(0x04, body) as PData;
  assert.deepEqual(
    p.pdvs.map((v) => [v.presentationContextId, v.command, v.last, v.data.toString('hex')]),
    [
      [1, true, true, 'abcd'],
      [3, false, false, ''],
      [5, false, true, 'ee'],
    ],
  );
});

test('A-ASSOCIATE-RJ and A-ABORT fields; reserved bytes are not tested', () => {
  assert.deepEqual(decodePdu(0x03, Buffer.from('ff020203', 'hex')), { type: 'A-ASSOCIATE-RJ', result: 2, source: 2, reason: 3 });
  assert.deepEqual(decodePdu(0x07, Buffer.from('ffff0002', 'hex')), { type: 'A-ABORT', source: 0, reason: 2 });
  assert.deepEqual(decodePdu(0x05, Buffer.from('01020304', 'hex')), { type: 'A-RELEASE-RQ' });
  assert.deepEqual(decodePdu(0x06, Buffer.alloc(4)), { type: 'A-RELEASE-RP' });
});

// ------------------------------------------------------------ malformed

function throwsPdu(fn: () => unknown, code: string, abortReason: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PduError, `expected PduError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.abortReason, abortReason);
    return true;
  });
}

test('unknown PDU type: unrecognized-PDU (1), as soon as the header is there', () => {
  throwsPdu(() => readPdu(Buffer.from('08000000ffff', 'hex')), 'PDU_UNKNOWN_TYPE', 1);
  throwsPdu(() => readPdu(Buffer.from('000000000000', 'hex')), 'PDU_UNKNOWN_TYPE', 1);
  throwsPdu(() => decodePdu(0x08, Buffer.alloc(4)), 'PDU_UNKNOWN_TYPE', 1);
});

test('truncated item header at the end of an A-ASSOCIATE-RQ', () => {
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, VERIFICATION_PC_ITEM, USER_INFO_ITEM, Buffer.from('5000', 'hex'))), 'PDU_ITEM_OVERRUN', 6);
  throwsPdu(() => readPdu(pdu(1, rqBody(APP_CONTEXT_ITEM, VERIFICATION_PC_ITEM, USER_INFO_ITEM.subarray(0, 10)))), 'PDU_ITEM_OVERRUN', 6);
});

test('item lengths that overrun their parent', () => {
  // User information item claims more bytes than the PDU has.
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, VERIFICATION_PC_ITEM, item(0x50, MAX_LENGTH_ITEM, 9))), 'PDU_ITEM_OVERRUN', 6);
  // Abstract syntax sub-item overruns its presentation context item (but not the PDU).
  const pc = item(0x20, cat('01000000', item(0x30, a('1.2.840.10008.1.1'), 40)));
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, pc, USER_INFO_ITEM)), 'PDU_ITEM_OVERRUN', 6);
  // Role selection UID-length overruns its sub-item.
  const role = item(0x54, cat('0020', a('1.2.3'), '0101'));
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, item(0x50, cat(MAX_LENGTH_ITEM, role)))), 'PDU_ITEM_OVERRUN', 6);
});

test('PDV item length 0 or 1 is invalid; a PDV overrunning the PDU too', () => {
  throwsPdu(() => decodePdu(0x04, Buffer.from('00000000', 'hex')), 'PDU_BAD_PDV', 6);
  throwsPdu(() => decodePdu(0x04, Buffer.from('0000000101', 'hex')), 'PDU_BAD_PDV', 6);
  throwsPdu(() => decodePdu(0x04, Buffer.from('00000010010200', 'hex')), 'PDU_ITEM_OVERRUN', 6);
  throwsPdu(() => decodePdu(0x04, Buffer.from('00000002 0102 0000', 'hex')), 'PDU_ITEM_OVERRUN', 6);
  throwsPdu(() => decodePdu(0x04, Buffer.alloc(0)), 'PDU_BAD_LENGTH', 6);
});

test('missing mandatory items', () => {
  throwsPdu(() => rq(rqBody(VERIFICATION_PC_ITEM, USER_INFO_ITEM)), 'PDU_MISSING_ITEM', 6);
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, VERIFICATION_PC_ITEM)), 'PDU_MISSING_ITEM', 6);
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, item(0x50, item(0x52, a('1.2.3'))))), 'PDU_MISSING_ITEM', 6);
  const noAbstract = item(0x20, cat('01000000', item(0x40, a('1.2.840.10008.1.2'))));
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, noAbstract, USER_INFO_ITEM)), 'PDU_MISSING_ITEM', 6);
  const acceptedNoTs = item(0x21, Buffer.from('01000000', 'hex'));
  throwsPdu(() => decodePdu(0x02, cat(associateFixed(), APP_CONTEXT_ITEM, acceptedNoTs, USER_INFO_ITEM)), 'PDU_MISSING_ITEM', 6);
});

test('unexpected and duplicated items: unexpected-PDU-parameter (5)', () => {
  const acPc = item(0x21, cat('01000000', item(0x40, a('1.2.840.10008.1.2'))));
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, acPc, USER_INFO_ITEM)), 'PDU_UNEXPECTED_ITEM', 5);
  throwsPdu(() => decodePdu(0x02, cat(associateFixed(), APP_CONTEXT_ITEM, VERIFICATION_PC_ITEM, USER_INFO_ITEM)), 'PDU_UNEXPECTED_ITEM', 5);
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, APP_CONTEXT_ITEM, USER_INFO_ITEM)), 'PDU_DUPLICATE_ITEM', 5);
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, USER_INFO_ITEM, USER_INFO_ITEM)), 'PDU_DUPLICATE_ITEM', 5);
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, item(0x50, cat(MAX_LENGTH_ITEM, MAX_LENGTH_ITEM)))), 'PDU_DUPLICATE_ITEM', 5);
});

test('bad fixed lengths and bad sub-item sizes: invalid-PDU-parameter-value (6)', () => {
  throwsPdu(() => rq(associateFixed().subarray(0, 67)), 'PDU_BAD_LENGTH', 6);
  throwsPdu(() => decodePdu(0x07, Buffer.alloc(3)), 'PDU_BAD_LENGTH', 6);
  throwsPdu(() => decodePdu(0x03, Buffer.alloc(5)), 'PDU_BAD_LENGTH', 6);
  throwsPdu(() => decodePdu(0x05, Buffer.alloc(0)), 'PDU_BAD_LENGTH', 6);
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, item(0x50, item(0x51, Buffer.from('4000', 'hex'))))), 'PDU_BAD_ITEM', 6);
  throwsPdu(() => rq(rqBody(APP_CONTEXT_ITEM, item(0x50, cat(MAX_LENGTH_ITEM, item(0x53, Buffer.from('0001', 'hex')))))), 'PDU_BAD_ITEM', 6);
});
