import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIdentifier, get } from '../../../src/dicom/identifier';
import { QueryError } from '../../../src/store/query';
import { failureFields, qrModelOf, qrSopClass, SubOperations, toSendable, QR_TAG } from '../../../src/services/qr-common';
import { moveDestination, syntaxesForRemote } from '../../../src/services/move-scp';
import { getStorageClasses } from '../../../src/services/qr-scu';
import { identifierOf } from '../../../src/cli/commands/qr-shared';
import { formatTable } from '../../../src/cli/commands/find';
import { parseTestConfig, testIni } from '../../helpers/agent';
import { STATEMENT_STORAGE_UIDS } from '../../../src/dicom/sop-classes';

const EXPLICIT = '1.2.840.10008.1.2.1';
const BIG = '1.2.840.10008.1.2.2';

test('Q/R SOP class UIDs (PS3.4 C.6.x) map to and from the information models', () => {
  assert.equal(qrSopClass('patient', 'find'), '1.2.840.10008.5.1.4.1.2.1.1');
  assert.equal(qrSopClass('study', 'move'), '1.2.840.10008.5.1.4.1.2.2.2');
  assert.equal(qrSopClass('patientStudyOnly', 'get'), '1.2.840.10008.5.1.4.1.2.3.3');
  for (const model of ['patient', 'study', 'patientStudyOnly'] as const) {
    for (const op of ['find', 'move', 'get'] as const) assert.equal(qrModelOf(qrSopClass(model, op), op), model);
  }
  assert.equal(qrModelOf('1.2.840.10008.5.1.4.1.2.2.1', 'move'), undefined, 'a FIND class is not a MOVE class');
  assert.equal(qrModelOf('1.2.840.10008.5.1.4.31', 'find'), undefined, 'worklist is not Q/R');
});

test('final status of sub-operations: 0000, B000 on any failure or warning, A702 when all failed', () => {
  const ok = new SubOperations(2);
  ok.record({ outcome: 'success' }, '1.1');
  ok.record({ outcome: 'success' }, '1.2');
  assert.equal(ok.finalStatus(), 0x0000);
  const some = new SubOperations(3);
  some.record({ outcome: 'success' }, '1.1');
  some.record({ outcome: 'failure' }, '1.2');
  assert.equal(some.remaining, 1);
  assert.equal(some.finalStatus(), 0xb000);
  const warn = new SubOperations(1);
  warn.record({ outcome: 'warning' }, '1.1');
  assert.equal(warn.finalStatus(), 0xb000);
  const all = new SubOperations(2);
  all.failRest(['1.1', '1.2']);
  assert.equal(all.finalStatus(), 0xa702);
  assert.deepEqual(all.failedUids, ['1.1', '1.2']);
  assert.equal(new SubOperations(0).finalStatus(), 0x0000, 'nothing matched is success');
});

test('count fields: Remaining only in Pending and Cancel responses', () => {
  const s = new SubOperations(5);
  s.record({ outcome: 'success' }, '1');
  s.record({ outcome: 'warning' }, '2');
  s.record({ outcome: 'failure' }, '3');
  assert.deepEqual(s.fields(0xff00), { numberOfRemainingSubOperations: 2, numberOfCompletedSubOperations: 1, numberOfFailedSubOperations: 1, numberOfWarningSubOperations: 1 });
  assert.equal(s.fields(0xfe00).numberOfRemainingSubOperations, 2);
  assert.equal(s.fields(0xb000).numberOfRemainingSubOperations, undefined);
});

test('Failed SOP Instance UID List (0008,0058) in the response syntax; none when nothing failed', () => {
  const s = new SubOperations(3);
  s.record({ outcome: 'failure' }, '1.2.3');
  s.record({ outcome: 'success' }, '1.2.4');
  s.record({ outcome: 'failure' }, '1.2.55');
  const bytes = s.failedIdentifier(BIG)!;
  assert.equal(get(decodeIdentifier(bytes, BIG), QR_TAG.FailedSOPInstanceUIDList), '1.2.3\\1.2.55');
  assert.equal(new SubOperations(1).failedIdentifier(EXPLICIT), undefined);
  const many = new SubOperations(2000);
  for (let i = 0; i < 2000; i++) many.record({ outcome: 'failure' }, `1.2.840.10008.999.${String(i).padStart(40, '0')}`);
  const capped = get(decodeIdentifier(many.failedIdentifier(EXPLICIT)!, EXPLICIT), QR_TAG.FailedSOPInstanceUIDList)!;
  assert.ok(capped.length <= 65534 && capped.length > 60000, 'kept within the 16-bit length of explicit VR UI');
});

test('failure fields: QueryError keeps status, comment and offending element; other errors are C000', () => {
  assert.deepEqual(failureFields(new QueryError(0xa900, 'level missing', [0x00080052])), { status: 0xa900, errorComment: 'level missing', offendingElement: [0x00080052] });
  const f = failureFields(new Error(`disk\\gone\n${'x'.repeat(100)}`));
  assert.equal(f.status, 0xc000);
  assert.equal(f.errorComment!.length, 64);
  assert.doesNotMatch(f.errorComment!, /[\\\n]/, 'LO: no backslash or control characters');
});

test('toSendable: the index keeps the file size, the data set is what follows the meta', () => {
  const s = toSendable({ sopClassUid: '1.2', sopInstanceUid: '1.3', path: '/x/a.dcm', relPath: 'a.dcm', transferSyntaxUid: EXPLICIT, dataSetOffset: 300, size: 1300 });
  assert.equal(s.size, 1000);
  assert.equal(s.datasetOffset, 300);
});

const remoteIni = testIni({
  port: 1, dataDir: '/tmp/x',
  tail: '[RemoteAE]\naetitle = PACS \nip = 127.0.0.1\nport = 104\nscp = ct, mr, implicitLittle\nscu = studyFind\ntrSyn = explicitBig\n\n[RemoteAE]\naetitle = PLAIN\nip = 127.0.0.1\nport = 105\n',
});

test('C-MOVE destination lookup and the syntaxes offered to it', () => {
  const c = parseTestConfig(remoteIni);
  assert.equal(moveDestination(c, 'PACS      ')?.port, 104, 'padding ignored');
  assert.equal(moveDestination(c, 'pacs'), undefined, 'AE titles are case-sensitive');
  assert.equal(moveDestination(c, undefined), undefined);
  const plain = moveDestination(c, 'PLAIN')!;
  assert.deepEqual(syntaxesForRemote(c, plain, '1.2.840.10008.5.1.4.1.1.2'), c.transferSyntaxes);
  const pacs = moveDestination(c, 'PACS')!;
  assert.deepEqual(syntaxesForRemote(c, pacs, '1.2.840.10008.5.1.4.1.1.2'), [BIG], 'its scp line is not a sending role: trSyn applies');
});

test('C-GET SCU storage classes: the remote\'s scp classes with their syntaxes, else the statement\'s', () => {
  const c = parseTestConfig(remoteIni);
  const pacs = getStorageClasses(c, { aeTitle: 'PACS', host: '127.0.0.1', port: 104, remote: c.remotes[0] });
  assert.deepEqual(pacs.map((x) => x.uid), ['1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.4']);
  assert.deepEqual(pacs[0].syntaxes, ['1.2.840.10008.1.2']);
  const plain = getStorageClasses(c, { aeTitle: 'X', host: '127.0.0.1', port: 1 });
  assert.deepEqual(plain.map((x) => x.uid), [...STATEMENT_STORAGE_UIDS]);
});

test('CLI identifier: -k keys, level defaulted from the model; table output', () => {
  const id = identifierOf(['PatientName=DOE*', 'StudyInstanceUID', '(0008,0061)=CT'], 'study');
  assert.equal(get(id, 0x00080052), 'STUDY');
  assert.equal(get(identifierOf([], 'patient'), 0x00080052), 'PATIENT');
  assert.equal(get(identifierOf(['QueryRetrieveLevel=SERIES'], 'patient'), 0x00080052), 'SERIES');
  assert.equal(get(id, 0x00080061), 'CT');
  const table = formatTable(id, [[{ tag: 0x00100010, vr: 'PN', value: 'DOE^JOHN' }, { tag: 0x0020000d, vr: 'UI', value: '1.2.3' }]]);
  const [head, row] = table.trimEnd().split('\n');
  assert.match(head, /^QueryRetrieveLevel\s+ModalitiesInStudy\s+PatientName\s+StudyInstanceUID$/);
  assert.match(row, /^\s+DOE\^JOHN\s+1\.2\.3$/);
});
