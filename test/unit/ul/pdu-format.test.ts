// Readable PDU summaries and dumps: names from PS3.8 Tables 9-18, 9-21, 9-26; secrets never shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describePdu, dumpPdu } from '../../../src/ul/pdu-format';
import { readPdu } from '../../../src/ul/pdu-reader';
import { emptyUserInfo, type AssociateAc } from '../../../src/ul/pdu-types';
import { DCMTK_ECHOSCU_RQ, FULL_RQ, a } from './pdu-fixtures';

const AC: AssociateAc = {
  type: 'A-ASSOCIATE-AC',
  protocolVersion: 1,
  calledAeTitle: 'EDGE',
  callingAeTitle: 'MODALITY',
  applicationContext: '1.2.840.10008.3.1.1.1',
  presentationContexts: [
    { id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2.1' },
    { id: 3, result: 4, transferSyntax: '' },
  ],
  userInfo: { ...emptyUserInfo(), maxLength: 32768, implementationClassUid: '1.2.3', unknownItems: [{ type: 0x59, data: Buffer.from('0002abcd', 'hex') }] },
};

test('describePdu: one line per PDU type', () => {
  const rq = readPdu(DCMTK_ECHOSCU_RQ)!.pdu;
  assert.equal(
    describePdu(rq),
    'A-ASSOCIATE-RQ ECHOSCU -> ANY-SCP, 1 presentation context, max PDU 16384, impl 1.2.276.0.7230010.3.0.3.6.7 OFFIS_DCMTK_367',
  );
  assert.equal(describePdu(AC), 'A-ASSOCIATE-AC MODALITY -> EDGE, 2 presentation contexts (1 accepted), max PDU 32768, impl 1.2.3');
  assert.equal(
    describePdu({ type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 7 }),
    'A-ASSOCIATE-RJ rejected-permanent (1), source DICOM UL service-user (1), reason called-AE-title-not-recognized (7)',
  );
  assert.equal(
    describePdu({ type: 'P-DATA-TF', pdvs: [{ presentationContextId: 3, command: true, last: true, data: Buffer.alloc(74) }] }),
    'P-DATA-TF 1 PDV [ctx 3 command last 74 bytes]',
  );
  assert.equal(
    describePdu({ type: 'A-ABORT', source: 2, reason: 6 }),
    'A-ABORT source DICOM UL service-provider (2), reason invalid-PDU-parameter-value (6)',
  );
  assert.equal(describePdu({ type: 'A-ABORT', source: 0, reason: 0 }), 'A-ABORT source DICOM UL service-user (0)');
  assert.equal(describePdu({ type: 'A-RELEASE-RQ' }), 'A-RELEASE-RQ');
  assert.equal(
    describePdu({ type: 'A-ASSOCIATE-RJ', result: 9, source: 3, reason: 5 }),
    'A-ASSOCIATE-RJ unknown (9), source DICOM UL service-provider (Presentation related function) (3), reason unknown (5)',
  );
});

test('dumpPdu of an RQ names UIDs and every sub-item, but never prints the passcode', () => {
  const dump = dumpPdu(FULL_RQ);
  const lines = dump.split('\n');
  assert.equal(lines[0], '===== A-ASSOCIATE-RQ =====');
  assert.ok(lines.includes('  Called AE title: "STORESCP"'));
  assert.ok(lines.includes('  Application context: 1.2.840.10008.3.1.1.1 (DICOM Application Context Name)'));
  assert.ok(lines.includes('    Abstract syntax: 1.2.840.10008.1.1 (Verification SOP Class)'));
  assert.ok(lines.includes('    Transfer syntax: 1.2.840.10008.1.2.1 (Explicit VR Little Endian)'));
  assert.ok(lines.includes('    Maximum length: 16384'));
  assert.ok(lines.includes('    Asynchronous operations window: invoked 1, performed 1'));
  assert.ok(lines.includes('    SCP/SCU role selection: 1.2.840.10008.5.1.4.1.1.7 SCU no, SCP yes'));
  assert.ok(lines.includes('    SOP class extended negotiation: 1.2.840.10008.5.1.4.1.2.2.1 info 010001'));
  assert.ok(lines.includes('      Related general SOP class: 1.2.840.10008.5.1.4.1.1.7'));
  assert.ok(lines.includes('    User identity: username and passcode (2)'));
  assert.ok(lines.includes('      Primary field: "alice"'));
  assert.ok(lines.includes('      Secondary field: 6 bytes (not shown)'));
  assert.ok(!dump.includes('secret'));
});

test('dumpPdu of an AC names results; a caller-supplied namer adds names', () => {
  const dump = dumpPdu(AC, (uid) => (uid === '1.2.3' ? 'Our Implementation' : undefined));
  assert.match(dump, /Result: acceptance \(0\)/);
  assert.match(dump, /Result: transfer-syntaxes-not-supported \(provider rejection\) \(4\)/);
  assert.match(dump, /Transfer syntax: \(empty\)/);
  assert.match(dump, /Implementation class UID: 1\.2\.3 \(Our Implementation\)/);
  assert.match(dump, /User identity server response: 2 bytes \(not shown\)/);
});

test('dumpPdu of P-DATA-TF, RJ and A-ABORT', () => {
  const pdata = dumpPdu({ type: 'P-DATA-TF', pdvs: [{ presentationContextId: 1, command: false, last: false, data: a('DICM') }] });
  assert.match(pdata, /Presentation context ID: 1/);
  assert.match(pdata, /Message control header: data set, more fragments follow/);
  assert.match(pdata, /Length: 4 bytes/);
  assert.match(pdata, /First bytes: 4449434d/);
  assert.match(dumpPdu({ type: 'A-ASSOCIATE-RJ', result: 2, source: 3, reason: 1 }), /Reason: temporary-congestion \(1\)/);
  assert.match(dumpPdu({ type: 'A-ABORT', source: 2, reason: 1 }), /Reason: unrecognized-PDU \(1\)/);
});
