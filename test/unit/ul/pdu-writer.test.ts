// Byte-exact writer tests: one comment per field, offsets from PS3.8 9.3 and PS3.7 Annex D.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePData, maxPdvDataLength, writePDataHeader, writePdu } from '../../../src/ul/pdu-writer';
import { emptyUserInfo, type AssociateAc } from '../../../src/ul/pdu-types';
import { FULL_RQ, SC, a, cat } from './pdu-fixtures';

function assertBytes(actual: Buffer, expected: Buffer): void {
  assert.equal(actual.toString('hex'), expected.toString('hex'));
}

test('A-ASSOCIATE-RQ with two contexts and every user information sub-item is byte exact', () => {
  const expected = cat(
    '01', // 1 PDU-type 01H
    '00', // 2 reserved
    '000001b8', // 3-6 PDU-length: 68 fixed + 25 + 50 + 81 + 216 = 440
    '0001', // 7-8 Protocol-version, bit 0 = version 1
    '0000', // 9-10 reserved
    a('STORESCP        '), // 11-26 Called-AE-title, space padded to 16
    a('EDGE            '), // 27-42 Calling-AE-title
    Buffer.alloc(32), // 43-74 reserved, 00H
    // 75-xxx variable items. Application Context Item (9.3.2.1):
    '10 00 0015', // item-type 10H, reserved, item-length 21
    a('1.2.840.10008.3.1.1.1'), // 5-xxx Application-context-name, no padding (Annex F)
    // Presentation Context Item (9.3.2.2), ID 1:
    '20 00 002e', // item-type 20H, reserved, item-length 46
    '01 00 00 00', // 5 Presentation-context-ID, 6-8 reserved
    '30 00 0011', // Abstract Syntax Sub-Item (9.3.2.2.1), length 17
    a('1.2.840.10008.1.1'), // Abstract-syntax-name
    '40 00 0011', // Transfer Syntax Sub-Item (9.3.2.2.2), length 17
    a('1.2.840.10008.1.2'), // Transfer-syntax-name
    // Presentation Context Item, ID 3:
    '20 00 004d', // item-type 20H, item-length 77
    '03 00 00 00', // 5 ID 3, 6-8 reserved
    '30 00 0019', // abstract syntax, length 25
    a(SC),
    '40 00 0013', // transfer syntax, length 19
    a('1.2.840.10008.1.2.1'),
    '40 00 0011', // transfer syntax, length 17
    a('1.2.840.10008.1.2'),
    // User Information Item (9.3.2.3):
    '50 00 00d4', // item-type 50H, item-length 212
    '51 00 0004 00004000', // D.1 Maximum Length: item-length 4, Maximum-length-received 16384
    '52 00 000b', // D.3.3.2 Implementation Class UID, length 11
    a('1.2.3.4.5.6'),
    '53 00 0004 0001 0001', // D.3.3.3 Asynchronous Operations Window: invoked 1, performed 1
    '54 00 001d', // D.3.3.4 SCP/SCU Role Selection, item-length 29
    '0019', // 5-6 UID-length 25
    a(SC), // 7-xxx SOP-class-uid
    '00', // SCU-role 0: non-support
    '01', // SCP-role 1: support
    '55 00 0008', // D.3.3.2 Implementation Version Name, length 8
    a('EDGE_010'),
    '56 00 0020', // D.3.3.5 SOP Class Extended Negotiation, item-length 32
    '001b', // SOP-class-uid-length 27
    a('1.2.840.10008.5.1.4.1.2.2.1'), // SOP-class-uid
    '010001', // Service-class-application-information
    '57 00 004b', // D.3.3.6 SOP Class Common Extended Negotiation, Sub-Item-version 0, item-length 75
    '0019', // SOP-class-uid-length 25
    a(SC),
    '0011', // Service-class-uid-length 17
    a('1.2.840.10008.4.2'),
    '001b', // Related-general-sop-class-identification-length 27
    '0019', // Related-general-sop-class-uid-length 25
    a(SC),
    '58 00 0011', // D.3.3.7 User Identity Negotiation (RQ), item-length 17
    '02', // User-Identity-Type 2: username and passcode
    '00', // Positive-response-requested: no
    '0005', // Primary-field-length
    a('alice'), // Primary-field
    '0006', // Secondary-field-length
    a('secret'), // Secondary-field
  );
  assertBytes(writePdu(FULL_RQ), expected);
});

test('A-ASSOCIATE-AC echoes titles, one accepted and one rejected context', () => {
  const ac: AssociateAc = {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAeTitle: 'STORESCP',
    callingAeTitle: 'EDGE',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts: [
      { id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' },
      { id: 3, result: 3, transferSyntax: '' },
    ],
    userInfo: { ...emptyUserInfo(), maxLength: 32768, implementationClassUid: '1.2.3.4.5.6', implementationVersionName: 'EDGE_010' },
  };
  const expected = cat(
    '02', // 1 PDU-type 02H
    '00', // 2 reserved
    '000000ad', // 3-6 PDU-length: 68 + 25 + 29 + 12 + 39 = 173
    '0001', // 7-8 Protocol-version
    '0000', // 9-10 reserved
    a('STORESCP        '), // 11-26 reserved, sent as received in the RQ (Called-AE-title)
    a('EDGE            '), // 27-42 reserved, sent as received (Calling-AE-title)
    Buffer.alloc(32), // 43-74 reserved
    '10 00 0015', // Application Context Item (9.3.3.1), length 21
    a('1.2.840.10008.3.1.1.1'),
    '21 00 0019', // Presentation Context Item (9.3.3.2), item-length 25
    '01', // 5 Presentation-context-ID
    '00', // 6 reserved
    '00', // 7 Result/Reason 0: acceptance (Table 9-18)
    '00', // 8 reserved
    '40 00 0011', // Transfer Syntax Sub-Item (9.3.3.2.1), length 17
    a('1.2.840.10008.1.2'),
    '21 00 0008', // Presentation Context Item, item-length 8
    '03 00 03 00', // ID 3, reserved, 3 abstract-syntax-not-supported, reserved
    '40 00 0000', // transfer syntax sub-item, not significant when rejected: empty
    '50 00 0023', // User Information Item (9.3.3.3), item-length 35
    '51 00 0004 00008000', // Maximum-length-received 32768
    '52 00 000b', // Implementation Class UID, length 11
    a('1.2.3.4.5.6'),
    '55 00 0008', // Implementation Version Name, length 8
    a('EDGE_010'),
  );
  assertBytes(writePdu(ac), expected);
});

test('A-ASSOCIATE-RJ', () => {
  const expected = cat(
    '03', // 1 PDU-type 03H
    '00', // 2 reserved
    '00000004', // 3-6 PDU-length
    '00', // 7 reserved
    '01', // 8 Result 1: rejected-permanent (Table 9-21)
    '01', // 9 Source 1: DICOM UL service-user
    '07', // 10 Reason/Diag 7: called-AE-title-not-recognized
  );
  assertBytes(writePdu({ type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 7 }), expected);
});

test('P-DATA-TF with two PDVs', () => {
  const expected = cat(
    '04', // 1 PDU-type 04H
    '00', // 2 reserved
    '0000000f', // 3-6 PDU-length: (4 + 2 + 3) + (4 + 2 + 0) = 15
    '00000005', // PDV 1 item-length (9.3.5.1): context ID + header + 3 data bytes
    '01', // Presentation-context-ID 1
    '03', // message control header (Annex E.2): bit 0 command, bit 1 last
    'aabbcc', // fragment
    '00000002', // PDV 2 item-length: 2, no data
    '03', // Presentation-context-ID 3
    '00', // data set, not last
  );
  const pdata = writePdu({
    type: 'P-DATA-TF',
    pdvs: [
      { presentationContextId: 1, command: true, last: true, data: Buffer.from('aabbcc', 'hex') },
      { presentationContextId: 3, command: false, last: false, data: Buffer.alloc(0) },
    ],
  });
  assertBytes(pdata, expected);
});

test('A-RELEASE-RQ and A-RELEASE-RP', () => {
  // 1 PDU-type, 2 reserved, 3-6 PDU-length 4, 7-10 reserved (9.3.6, 9.3.7)
  assertBytes(writePdu({ type: 'A-RELEASE-RQ' }), cat('05', '00', '00000004', '00000000'));
  assertBytes(writePdu({ type: 'A-RELEASE-RP' }), cat('06', '00', '00000004', '00000000'));
});

test('A-ABORT', () => {
  const expected = cat(
    '07', // 1 PDU-type 07H
    '00', // 2 reserved
    '00000004', // 3-6 PDU-length
    '00', // 7 reserved
    '00', // 8 reserved
    '02', // 9 Source 2: DICOM UL service-provider (Table 9-26)
    '06', // 10 Reason/Diag 6: invalid-PDU-parameter-value
  );
  assertBytes(writePdu({ type: 'A-ABORT', source: 2, reason: 6 }), expected);
});

test('encodePData returns a 12-byte header and the caller data without copying', () => {
  const data = Buffer.from('0102030405', 'hex');
  const [header, body] = encodePData(5, false, true, data);
  assert.equal(body, data); // same object: no copy of large data sets
  assertBytes(
    header!,
    cat(
      '04 00', // PDU-type 04H, reserved
      '0000000b', // PDU-length: 4 + 2 + 5
      '00000007', // PDV item-length: 2 + 5
      '05', // Presentation-context-ID
      '02', // data set, last fragment
    ),
  );
  assertBytes(Buffer.concat([header!, body!]), writePdu({ type: 'P-DATA-TF', pdvs: [{ presentationContextId: 5, command: false, last: true, data }] }));
  assertBytes(writePDataHeader(1, true, false, 0), cat('04 00 00000006 00000002 01 01'));
});

test('maxPdvDataLength leaves room for the PDV item header', () => {
  assert.equal(maxPdvDataLength(16384), 16378);
  assert.equal(maxPdvDataLength(0), 0xffffffff - 6);
  assert.equal(maxPdvDataLength(3), 1);
});

test('the writer refuses values the fields cannot hold', () => {
  const long = { ...FULL_RQ, calledAeTitle: 'A_TITLE_OF_17_CHR' };
  assert.throws(() => writePdu(long), { code: 'PDU_ENCODE' });
  const huge = { ...FULL_RQ, applicationContext: '1'.repeat(70000) };
  assert.throws(() => writePdu(huge), { code: 'PDU_ENCODE' });
});
