import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderParseError, parseHeader, type HeaderAttributes } from '../../../src/store/header';
import { encodeDataSet, sampleDataSet, sampleElements, SYNTAXES, EVR_LE, IVR_LE, CT, type El } from './ds-builder';

function parseAll(buf: Buffer, syntax: string): HeaderAttributes {
  const r = parseHeader(buf, syntax, buf.length);
  assert.equal(r.kind, 'ok');
  return (r as { header: HeaderAttributes }).header;
}

/** A nested sequence of undefined length (items of undefined length inside). */
const nestedSeq: El = {
  tag: 0x00081110, vr: 'SQ', undefinedLength: true,
  value: [[{ tag: 0x00081150, vr: 'UI', value: '1.2.3' }, { tag: 0x00400275, vr: 'SQ', undefinedLength: true, value: [[{ tag: 0x00100010, vr: 'PN', value: 'Inner^Name' }]] }]],
};

for (const syntax of SYNTAXES) {
  test(`parses the index attributes in ${syntax}`, () => {
    const h = parseAll(sampleDataSet(syntax), syntax);
    assert.equal(h.sopClassUid, CT);
    assert.equal(h.sopInstanceUid, '1.2.3.4.5.6.7');
    assert.equal(h.studyInstanceUid, '1.2.3.4.100');
    assert.equal(h.seriesInstanceUid, '1.2.3.4.100.1');
    assert.equal(h.patientName, 'Doe^John');
    assert.equal(h.patientNameNorm, 'DOE^JOHN');
    assert.equal(h.patientId, 'PID1');
    assert.equal(h.patientBirthDate, '19700101');
    assert.equal(h.patientSex, 'M');
    assert.equal(h.studyDate, '20240131');
    assert.equal(h.studyTime, '101500');
    assert.equal(h.accessionNumber, 'ACC123');
    assert.equal(h.referringPhysicianName, 'House^Gregory');
    assert.equal(h.studyDescription, 'Chest');
    assert.equal(h.seriesDescription, 'Axial');
    assert.equal(h.studyId, 'S1');
    assert.equal(h.modality, 'CT');
    assert.equal(h.seriesNumber, 3);
    assert.equal(h.instanceNumber, 12);
    assert.equal(h.rows, 2);
    assert.equal(h.columns, 2);
    assert.equal(h.numberOfFrames, null);
    assert.equal(h.specificCharacterSet, null);
  });

  test(`skips undefined-length sequences without taking their contents (${syntax})`, () => {
    const h = parseAll(sampleDataSet(syntax, { extra: [nestedSeq] }), syntax);
    assert.equal(h.patientName, 'Doe^John', 'the PN inside the sequence must not win');
    assert.equal(h.studyInstanceUid, '1.2.3.4.100');
  });

  test(`asks for more bytes on a short prefix, then succeeds (${syntax})`, () => {
    const full = sampleDataSet(syntax, { extra: [nestedSeq] });
    let want = 16;
    let rounds = 0;
    for (;;) {
      const r = parseHeader(full.subarray(0, want), syntax, full.length);
      if (r.kind === 'ok') {
        assert.equal(r.header.seriesNumber, 3);
        break;
      }
      assert.ok(r.need > want && r.need <= full.length);
      want = r.need;
      assert.ok(++rounds < 20);
    }
    assert.ok(rounds > 0);
  });
}

test('UN of undefined length in explicit VR holds Implicit VR LE items (PS3.5 6.2.2)', () => {
  const un: El = { tag: 0x00091002, vr: 'UN', undefinedLength: true, value: [[{ tag: 0x00100010, vr: 'PN', value: 'X^Y' }]] };
  const h = parseAll(sampleDataSet(EVR_LE, { extra: [un] }), EVR_LE);
  assert.equal(h.patientId, 'PID1');
});

test('decodes text per Specific Character Set', () => {
  const latin = sampleDataSet(IVR_LE, { charset: 'ISO_IR 100', patientName: Buffer.from('Müller^Jürgen', 'latin1') });
  assert.equal(parseAll(latin, IVR_LE).patientName, 'Müller^Jürgen');
  const utf8 = sampleDataSet(EVR_LE, { charset: 'ISO_IR 192', patientName: Buffer.from('Yamada^Tarou=山田^太郎', 'utf8') });
  const h = parseAll(utf8, EVR_LE);
  assert.equal(h.patientName, 'Yamada^Tarou');
  assert.equal(h.patientNameFull, 'Yamada^Tarou=山田^太郎');
  assert.equal(h.specificCharacterSet, 'ISO_IR 192');
});

test('stops at Pixel Data and never needs the pixels', () => {
  const full = sampleDataSet(EVR_LE, { pixels: 100000 });
  const cut = full.length - 100000; // up to and including the Pixel Data header
  const r = parseHeader(full.subarray(0, cut), EVR_LE, full.length);
  assert.equal(r.kind, 'ok');
});

test('truncated or garbled data sets are errors, not hangs', () => {
  const full = sampleDataSet(EVR_LE);
  const truncated = full.subarray(0, 40);
  assert.throws(() => parseHeader(truncated, EVR_LE, truncated.length), HeaderParseError);
  const garbage = Buffer.from('this is not a data set at all!!!');
  assert.throws(() => parseHeader(garbage, EVR_LE, garbage.length), HeaderParseError);
  assert.throws(() => parseHeader(full, '1.2.840.10008.1.2.4.50', full.length), HeaderParseError);
});

test('empty and absent attributes are null; IS with padding parses', () => {
  const els: El[] = [
    { tag: 0x00080016, vr: 'UI', value: CT },
    { tag: 0x00080018, vr: 'UI', value: '1.2.3' },
    { tag: 0x00100010, vr: 'PN', value: '' },
    { tag: 0x00200013, vr: 'IS', value: ' +7 ' },
    { tag: 0x00280008, vr: 'IS', value: '10' },
  ];
  const h = parseAll(encodeDataSet(els, EVR_LE), EVR_LE);
  assert.equal(h.patientName, null);
  assert.equal(h.patientNameNorm, null);
  assert.equal(h.studyInstanceUid, null);
  assert.equal(h.instanceNumber, 7);
  assert.equal(h.numberOfFrames, 10);
  assert.equal(sampleElements().length > 0, true);
});
