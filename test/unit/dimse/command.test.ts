import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCommand, describeCommand, dumpCommand, encodeCommand, hasDataset, readCommandElements, type CommandSet } from '../../../src/dimse/command';
import { CommandField, DataSetType, Priority, commandFieldName } from '../../../src/dimse/command-fields';
import { EdgeError } from '../../../src/util/errors';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+|#[^\n]*/g, ''), 'hex');

/** C-ECHO-RQ built by hand from PS3.7 Table 9.3-12 / E.1-1, Implicit VR LE. */
const ECHO_RQ = hex(`
  0000 0000 04000000 38000000                                   # (0000,0000) UL len 4 = 56: bytes after this element
  0000 0200 12000000 312e322e3834302e31303030382e312e3100      # (0000,0002) UI len 18 "1.2.840.10008.1.1" + NUL pad
  0000 0001 02000000 3000                                       # (0000,0100) US len 2 = 0x0030 C-ECHO-RQ
  0000 1001 02000000 0100                                       # (0000,0110) US len 2 MessageID = 1
  0000 0008 02000000 0101                                       # (0000,0800) US len 2 = 0x0101 no data set
`);

/** Captured from DCMTK 3.6.7 echoscu (command PDV of context 1). */
const DCMTK_ECHO_RQ = hex(
  '0000000004000000380000000000020012000000312e322e3834302e31303030382e312e3100000000010200000030000000100102000000010000000008020000000101',
);
/** Captured from DCMTK 3.6.7 storescu -xi sending a small CT image (command PDV of context 21). */
const DCMTK_STORE_RQ = hex(
  '000000000400000070000000000002001a000000312e322e3834302e31303030382e352e312e342e312e312e32000000000102000000010000001001020000000100000000070200000000000000000802000000010000000010' +
    '1e000000312e322e3832362e302e312e333638303034332e322e313134332e372e31',
);

test('C-ECHO-RQ encodes byte-exact against the hand-built PS3.7 fixture', () => {
  const got = encodeCommand({
    affectedSopClassUid: '1.2.840.10008.1.1',
    commandField: CommandField.C_ECHO_RQ,
    messageId: 1,
    commandDataSetType: DataSetType.NONE,
  });
  assert.equal(got.toString('hex'), ECHO_RQ.toString('hex'));
  // and DCMTK sends exactly the same bytes
  assert.equal(got.toString('hex'), DCMTK_ECHO_RQ.toString('hex'));
});

test('decodes a DCMTK echoscu C-ECHO-RQ', () => {
  assert.deepEqual(decodeCommand(DCMTK_ECHO_RQ), {
    affectedSopClassUid: '1.2.840.10008.1.1',
    commandField: 0x0030,
    messageId: 1,
    commandDataSetType: 0x0101,
  });
  assert.equal(hasDataset(decodeCommand(DCMTK_ECHO_RQ)), false);
});

test('decodes a DCMTK storescu C-STORE-RQ and re-encodes it identically', () => {
  const cmd = decodeCommand(DCMTK_STORE_RQ);
  assert.deepEqual(cmd, {
    affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    commandField: CommandField.C_STORE_RQ,
    messageId: 1,
    priority: Priority.MEDIUM,
    commandDataSetType: 0x0001,
    affectedSopInstanceUid: '1.2.826.0.1.3680043.2.1143.7.1',
  });
  assert.equal(hasDataset(cmd), true);
  assert.equal(encodeCommand(cmd).toString('hex'), DCMTK_STORE_RQ.toString('hex'));
});

const EVERY_FIELD: CommandSet = {
  affectedSopClassUid: '1.2.840.10008.5.1.4.1.2.2.2',
  requestedSopClassUid: '1.2.840.10008.5.1.1.1',
  commandField: CommandField.C_MOVE_RSP,
  messageId: 65535,
  messageIdBeingRespondedTo: 7,
  moveDestination: 'DEST_AE',
  priority: Priority.LOW,
  commandDataSetType: 0x0102,
  status: 0xb000,
  offendingElement: [0x00100010, 0x7fe00010],
  errorComment: 'odd comment',
  errorId: 3,
  affectedSopInstanceUid: '1.2.3.4',
  requestedSopInstanceUid: '1.2.3.45',
  eventTypeId: 2,
  attributeIdentifierList: [0x20100010, 0xfffee000],
  actionTypeId: 1,
  numberOfRemainingSubOperations: 10,
  numberOfCompletedSubOperations: 11,
  numberOfFailedSubOperations: 12,
  numberOfWarningSubOperations: 13,
  moveOriginatorAeTitle: 'ORIGIN',
  moveOriginatorMessageId: 99,
};

test('every field round-trips', () => {
  const buf = encodeCommand(EVERY_FIELD);
  assert.deepEqual(decodeCommand(buf), EVERY_FIELD);
  // group length is the byte count after (0000,0000)
  assert.equal(buf.readUInt32LE(8), buf.length - 12);
});

test('each field alone round-trips (with the mandatory command field)', () => {
  for (const [k, v] of Object.entries(EVERY_FIELD)) {
    const cmd = { commandField: 1, [k]: v } as CommandSet;
    assert.deepEqual(decodeCommand(encodeCommand(cmd)), cmd, k);
  }
});

test('elements are written in ascending tag order with padding rules', () => {
  const buf = encodeCommand({ ...EVERY_FIELD });
  const els = readCommandElements(buf);
  const tags = els.map((e) => e.element);
  assert.deepEqual(tags, [...tags].sort((a, b) => a - b));
  assert.equal(tags[0], 0x0000);
  for (const e of els) assert.equal(e.value.length % 2, 0, `odd length at ${e.element.toString(16)}`);
  const byTag = new Map(els.map((e) => [e.element, e.value]));
  // UI odd length → NUL pad; AE and LO odd length → space pad
  assert.equal(byTag.get(0x1000)!.toString('latin1'), '1.2.3.4\0');
  assert.equal(byTag.get(0x0600)!.toString('latin1'), 'DEST_AE ');
  assert.equal(byTag.get(0x0902)!.toString('latin1'), 'odd comment ');
  // AT: group then element, each UInt16LE
  assert.equal(byTag.get(0x0901)!.toString('hex'), '10001000e07f1000');
});

test('decoding tolerates unknown and retired group-0000 elements and a wrong group length', () => {
  const base = encodeCommand({ commandField: CommandField.C_ECHO_RSP, messageIdBeingRespondedTo: 5, status: 0, commandDataSetType: 0x0101 });
  const extra = hex('0000 0100 04000000 AABBCCDD  0000 0041 02000000 0000'); // (0000,0001) retired, (0000,4100) unknown
  const buf = Buffer.concat([base, extra]);
  assert.deepEqual(decodeCommand(buf), { commandField: 0x8030, messageIdBeingRespondedTo: 5, status: 0, commandDataSetType: 0x0101 });
});

test('UIDs padded with a space (dcmqrscp) or NUL decode without padding', () => {
  const cmd = Buffer.concat([
    encodeCommand({ commandField: 0x8020 }),
    hex('0000 0010 08000000 312e322e332e3420'), // (0000,1000) "1.2.3.4 "
  ]);
  assert.equal(decodeCommand(cmd).affectedSopInstanceUid, '1.2.3.4');
});

test('truncation and malformed elements throw DIMSE_BAD_COMMAND', () => {
  const good = encodeCommand(EVERY_FIELD);
  const cases: [string, Buffer][] = [
    ['cut in a header', good.subarray(0, good.length - 6)], // last element is 10 bytes
    ['cut in a value', good.subarray(0, good.length - 1)],
    ['non-group-0000 element', Buffer.concat([good, hex('0800 1600 02000000 3132')])],
    ['US with 4 bytes', Buffer.concat([hex('0000 0001 04000000 01000000')])],
    ['AT with 3 bytes', Buffer.concat([encodeCommand({ commandField: 1 }), hex('0000 0109 03000000 010203')])],
    ['no command field', encodeCommand({ messageId: 1 })],
    ['undefined length', hex('0000 0001 ffffffff')],
  ];
  for (const [name, buf] of cases) {
    assert.throws(() => decodeCommand(buf), (e: unknown) => e instanceof EdgeError && e.code === 'DIMSE_BAD_COMMAND', name);
  }
  // every truncation point of a valid command either fails cleanly or decodes a prefix
  for (let n = 0; n < good.length; n++) {
    try {
      decodeCommand(good.subarray(0, n));
    } catch (e) {
      assert.ok(e instanceof EdgeError && e.code === 'DIMSE_BAD_COMMAND', `offset ${n}: ${String(e)}`);
    }
  }
});

test('encoding rejects values that cannot be sent', () => {
  const bad: CommandSet[] = [
    { commandField: 0x10000 },
    { commandField: -1 },
    { commandField: 1, messageId: 1.5 },
    { commandField: 1, affectedSopInstanceUid: '1.2.a' },
    { commandField: 1, affectedSopInstanceUid: '1.'.repeat(33) },
    { commandField: 1, moveDestination: 'SEVENTEEN_CHARS_X' },
    { commandField: 1, moveDestination: 'A\\B' },
    { commandField: 1, offendingElement: [0x1_0000_0000] },
  ];
  for (const c of bad) {
    assert.throws(() => encodeCommand(c), (e: unknown) => e instanceof EdgeError && e.code === 'DIMSE_INVALID_COMMAND_FIELD', JSON.stringify(c));
  }
});

test('hasDataset follows PS3.7 E.1: anything but 0x0101 means present', () => {
  assert.equal(hasDataset({ commandDataSetType: 0x0101 }), false);
  assert.equal(hasDataset({ commandDataSetType: 0x0000 }), true);
  assert.equal(hasDataset({ commandDataSetType: 0x0001 }), true);
  assert.equal(hasDataset({ commandDataSetType: 0xfefe }), true);
  assert.equal(hasDataset({}), false);
});

test('command field names', () => {
  assert.equal(commandFieldName(0x0001), 'C-STORE-RQ');
  assert.equal(commandFieldName(0x8100), 'N-EVENT-REPORT-RSP');
  assert.equal(commandFieldName(0x0fff), 'C-CANCEL-RQ');
  assert.equal(commandFieldName(0x0150), 'N-DELETE-RQ');
  assert.equal(commandFieldName(0x1234), '0x1234');
});

test('describeCommand is one readable line', () => {
  const line = describeCommand(decodeCommand(DCMTK_STORE_RQ), { contextId: 21, uidName: (u) => (u === '1.2.840.10008.5.1.4.1.1.2' ? 'CT Image Storage' : undefined) });
  assert.equal(line, 'C-STORE-RQ id=1 ctx=21 CT Image Storage 1.2.840.10008.5.1.4.1.1.2 inst=1.2.826.0.1.3680043.2.1143.7.1 prio=MEDIUM +data');
  const rsp = describeCommand({ commandField: 0x8021, messageIdBeingRespondedTo: 4, status: 0xa801, commandDataSetType: 0x0101, numberOfFailedSubOperations: 2 });
  assert.match(rsp, /^C-MOVE-RSP rsp-to=4 status=A801 Refused: move destination unknown \(failure\) .*sub\(rem\/ok\/fail\/warn\)=-\/-\/2\/- no-data$/);
  assert.doesNotMatch(rsp, /\n/);
  // default UID names come from the SOP class table
  assert.match(describeCommand(decodeCommand(DCMTK_ECHO_RQ)), /^C-ECHO-RQ id=1 .*1\.2\.840\.10008\.1\.1 no-data$/);
});

test('dumpCommand lists every element, unknown ones included', () => {
  const buf = Buffer.concat([DCMTK_STORE_RQ, hex('0000 0041 02000000 0000')]);
  const dump = dumpCommand(buf);
  const lines = dump.split('\n');
  assert.equal(lines.length, 8);
  assert.match(lines[0], /^\(0000,0000\) UL 112 .*CommandGroupLength$/);
  assert.match(lines[2], /^\(0000,0100\) US 0x0001 C-STORE-RQ .*CommandField$/);
  assert.match(lines[7], /^\(0000,4100\) \?\? \[0000\] .*Unknown$/);
  assert.match(dumpCommand({ commandField: 0x8001, status: 0xa700 }), /Status/);
  assert.match(dumpCommand({ commandField: 0x8001, status: 0xa700 }), /A700 Refused: out of resources \(failure\)/);
  assert.match(dumpCommand(hex('0000 0001 ff000000')), /^<bad command/);
});

test('fuzz: random and mutated bytes either decode or throw DIMSE_BAD_COMMAND', () => {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const good = encodeCommand(EVERY_FIELD);
  for (let i = 0; i < 5000; i++) {
    let buf: Buffer;
    if (i % 2 === 0) {
      buf = Buffer.from(good);
      for (let k = 0; k < 1 + rnd(4); k++) buf[rnd(buf.length)] = rnd(256);
    } else {
      buf = Buffer.alloc(rnd(64));
      for (let k = 0; k < buf.length; k++) buf[k] = k % 4 < 2 && rnd(2) ? 0 : rnd(256);
    }
    try {
      const cmd = decodeCommand(buf);
      assert.equal(typeof cmd.commandField, 'number');
      dumpCommand(buf);
      describeCommand(cmd);
    } catch (e) {
      assert.ok(e instanceof EdgeError && e.code === 'DIMSE_BAD_COMMAND', `case ${i}: ${String(e)}`);
    }
  }
});

test('Error Comment: text LO cannot hold becomes "?" and is cut to 64 characters; the response is still encoded', () => {
  const cmd: CommandSet = { commandField: CommandField.C_STORE_RSP, messageIdBeingRespondedTo: 1, commandDataSetType: DataSetType.NONE, status: 0xa900, errorComment: `UID 1.2 ≠ 1.3\\x\n${'y'.repeat(80)}` };
  const back = decodeCommand(encodeCommand(cmd));
  assert.equal(back.errorComment, `UID 1.2 ? 1.3?x?${'y'.repeat(48)}`);
  assert.equal(back.errorComment!.length, 64);
});
