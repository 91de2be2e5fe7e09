import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/tmp';
import { runDcmtk } from '../../helpers/peers';
import {
  applyKey, decodeDataSet, decodeIdentifier, encodeIdentifier, get, identifierFromKeys, keywordForTag,
  parseKeyPath, parseTag, remove, set, tagForKeyword, type Identifier,
} from '../../../src/dicom/identifier';
import { encodeDataSet, EVR_BE, EVR_LE, IVR_LE, SYNTAXES } from '../store/ds-builder';

test('keyword ↔ tag from the dcmjs dictionary', () => {
  assert.equal(tagForKeyword('PatientName'), 0x00100010);
  assert.equal(tagForKeyword('ModalitiesInStudy'), 0x00080061);
  assert.equal(tagForKeyword('NoSuchKeyword'), undefined);
  assert.equal(keywordForTag(0x0020000d), 'StudyInstanceUID');
  assert.equal(keywordForTag(0x00091001), undefined);
});

test('parseTag accepts keywords and the three hex spellings', () => {
  for (const s of ['PatientName', '(0010,0010)', '0010,0010', '00100010', ' (0010,0010) ']) assert.equal(parseTag(s), 0x00100010, s);
  assert.equal(parseTag('(0009,10aF)'), 0x000910af);
  assert.throws(() => parseTag('Patient Name'), { code: 'IDENTIFIER_BAD_KEY' });
  assert.throws(() => parseTag('(0010,00)'), { code: 'IDENTIFIER_BAD_KEY' });
});

test('parseKeyPath: sequences need an item index except at the end', () => {
  assert.deepEqual(parseKeyPath('ScheduledProcedureStepSequence[0].Modality'), [{ tag: 0x00400100, item: 0 }, { tag: 0x00080060 }]);
  assert.deepEqual(parseKeyPath('(0040,0100)[2].(0008,0060)'), [{ tag: 0x00400100, item: 2 }, { tag: 0x00080060 }]);
  assert.deepEqual(parseKeyPath('ReferencedStudySequence[0]'), [{ tag: 0x00081110, item: 0 }]);
  assert.throws(() => parseKeyPath('ScheduledProcedureStepSequence.Modality'), { code: 'IDENTIFIER_BAD_KEY' });
});

test('applyKey builds the identifier like findscu -k, in tag order', () => {
  const id = identifierFromKeys([
    'QueryRetrieveLevel=STUDY', 'PatientName=Doe*', '(0020,000D)', 'ScheduledProcedureStepSequence[0].Modality=CT',
    'ScheduledProcedureStepSequence[0].ScheduledStationAETitle', 'ReferencedStudySequence', 'StudyDate=20260101-',
  ]);
  assert.deepEqual(id.map((e) => e.tag), [0x00080020, 0x00080052, 0x00081110, 0x00100010, 0x0020000d, 0x00400100]);
  assert.equal(get(id, 0x00100010), 'Doe*');
  assert.equal(id.find((e) => e.tag === 0x00100010)!.vr, 'PN');
  assert.equal(get(id, 0x0020000d), '');
  assert.equal(get(id, 0x00081110), undefined, 'a sequence has no text value');
  assert.deepEqual(id.find((e) => e.tag === 0x00081110)!.value, []);
  const sps = id.find((e) => e.tag === 0x00400100)!;
  assert.equal(sps.vr, 'SQ');
  assert.deepEqual(sps.value, [[{ tag: 0x00080060, vr: 'CS', value: 'CT' }, { tag: 0x00400001, vr: 'AE', value: '' }]]);
  // A later key replaces an earlier one; a value with '=' keeps it.
  applyKey(id, 'PatientName=A=B');
  assert.equal(get(id, 0x00100010), 'A=B');
  assert.throws(() => applyKey(id, 'ReferencedStudySequence=x'), { code: 'IDENTIFIER_BAD_KEY' });
  assert.throws(() => applyKey(id, 'Bogus=1'), { code: 'IDENTIFIER_BAD_KEY' });
  assert.equal(remove(id, 0x00100010), true);
  assert.equal(get(id, 0x00100010), undefined);
});

function sample(): Identifier {
  return [
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' },
    { tag: 0x00080020, vr: 'DA', value: '20260101-20261231' },
    { tag: 0x00080052, vr: 'CS', value: 'STUDY' },
    { tag: 0x00080061, vr: 'CS', value: 'CT\\MR' },
    { tag: 0x00081110, vr: 'SQ', value: [[{ tag: 0x00081150, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.2' }, { tag: 0x00081155, vr: 'UI', value: '1.2.3' }], []] },
    { tag: 0x00100010, vr: 'PN', value: 'Müller^Jürgen=山田^太郎' },
    { tag: 0x00100020, vr: 'LO', value: 'P1' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.3.4' },
    { tag: 0x00201208, vr: 'IS', value: '' },
    { tag: 0x00280010, vr: 'US', value: '512' },
    { tag: 0x00400100, vr: 'SQ', value: [[{ tag: 0x00400002, vr: 'DA', value: '20260102' }, { tag: 0x00400008, vr: 'SQ', value: [[{ tag: 0x00080100, vr: 'SH', value: 'X1' }]] }]] },
  ];
}

test('encode/decode round trip in the three syntaxes, with nested sequences and ISO_IR 192', () => {
  for (const ts of SYNTAXES) {
    const bytes = encodeIdentifier(sample(), ts);
    assert.equal(bytes.length % 2, 0);
    assert.deepEqual(decodeIdentifier(bytes, ts), sample(), ts);
  }
});

test('encoding is byte-exact: padding, VR header, UTF-8 text, big endian numbers', () => {
  const id: Identifier = [
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' },
    { tag: 0x00100010, vr: 'PN', value: 'Jé' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.3' },
    { tag: 0x00280010, vr: 'US', value: '258' },
  ];
  const expected = encodeDataSet([
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' },
    { tag: 0x00100010, vr: 'PN', value: Buffer.from('Jé ', 'utf8') },
    { tag: 0x0020000d, vr: 'UI', value: Buffer.from('1.2.3\0', 'latin1') },
    { tag: 0x00280010, vr: 'US', value: 258 },
  ], EVR_BE);
  assert.deepEqual(encodeIdentifier(id, EVR_BE), expected);
  // Implicit: no VR, 32-bit lengths.
  assert.deepEqual(encodeIdentifier([{ tag: 0x00100020, vr: 'LO', value: 'ABC' }], IVR_LE), Buffer.from([0x10, 0, 0x20, 0, 4, 0, 0, 0, 0x41, 0x42, 0x43, 0x20]));
});

test('text encoding follows (0008,0005): Latin-1 for ISO_IR 100, ASCII with ? otherwise', () => {
  const latin = encodeIdentifier([{ tag: 0x00080005, vr: 'CS', value: 'ISO_IR 100' }, { tag: 0x00100010, vr: 'PN', value: 'Gödel' }], EVR_LE);
  assert.ok(latin.includes(Buffer.from('G\xf6del', 'latin1')));
  const ascii = encodeIdentifier([{ tag: 0x00100010, vr: 'PN', value: 'Gödel' }], EVR_LE);
  assert.ok(ascii.includes(Buffer.from('G?del', 'latin1')));
  assert.equal(decodeIdentifier(latin, EVR_LE)[1].value, 'Gödel');
});

test('decodes undefined-length sequences and items from a foreign encoder', () => {
  for (const ts of SYNTAXES) {
    const bytes = encodeDataSet([
      { tag: 0x00080052, vr: 'CS', value: 'IMAGE ' },
      { tag: 0x00081140, vr: 'SQ', undefinedLength: true, value: [[{ tag: 0x00081155, vr: 'UI', value: '1.2.3.4\0' }], []] },
      { tag: 0x00100010, vr: 'PN', value: 'DOE^J ' },
      { tag: 0x00280030, vr: 'DS', value: ' 0.5\\0.5' },
    ], ts);
    assert.deepEqual(decodeIdentifier(bytes, ts), [
      { tag: 0x00080052, vr: 'CS', value: 'IMAGE' },
      { tag: 0x00081140, vr: 'SQ', value: [[{ tag: 0x00081155, vr: 'UI', value: '1.2.3.4' }], []] },
      { tag: 0x00100010, vr: 'PN', value: 'DOE^J' },
      { tag: 0x00280030, vr: 'DS', value: '0.5\\0.5' },
    ], ts);
  }
});

test('a charset in a sequence item applies to that item only', () => {
  const bytes = encodeDataSet([
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 100' },
    { tag: 0x00081110, vr: 'SQ', value: [[{ tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' }, { tag: 0x00081030, vr: 'LO', value: Buffer.from('é', 'utf8') }]] },
    { tag: 0x00100010, vr: 'PN', value: Buffer.from('\xe9', 'latin1') },
  ], EVR_LE);
  const id = decodeIdentifier(bytes, EVR_LE);
  assert.equal(get(id, 0x00100010), 'é');
  assert.equal(get((id[1].value as Identifier[])[0], 0x00081030), 'é');
});

test('binary values: numbers as text, AT as hex, OB kept as bytes, private tags in implicit as UN', () => {
  const id: Identifier = [
    { tag: 0x00091001, vr: 'UN', value: Buffer.from([1, 2, 3]) },
    { tag: 0x00209165, vr: 'AT', value: '00100010\\0020000D' },
    { tag: 0x00281050, vr: 'DS', value: '40' },
    { tag: 0x00540011, vr: 'US', value: '1\\65535' },
  ];
  for (const ts of [EVR_LE, EVR_BE]) {
    const back = decodeIdentifier(encodeIdentifier(id, ts), ts);
    assert.deepEqual(back[0].value, Buffer.from([1, 2, 3, 0]), ts);
    assert.equal(back[1].value, '00100010\\0020000D');
    assert.equal(back[3].value, '1\\65535');
  }
  const implicit = decodeIdentifier(encodeIdentifier(id, IVR_LE), IVR_LE);
  assert.equal(implicit[0].vr, 'UN');
  assert.equal(implicit[1].vr, 'AT');
});

test('malformed input raises DICOM_MALFORMED; a prefix can be decoded leniently', () => {
  const bytes = encodeIdentifier(sample(), EVR_LE);
  assert.throws(() => decodeIdentifier(bytes.subarray(0, bytes.length - 3), EVR_LE), { code: 'DICOM_MALFORMED' });
  assert.throws(() => decodeIdentifier(Buffer.from([0x10, 0, 0x10, 0, 0x7a, 0x7a, 0, 0]), EVR_LE), { code: 'DICOM_MALFORMED' });
  assert.throws(() => decodeIdentifier(Buffer.alloc(4), 'x'), { code: 'IDENTIFIER_SYNTAX' });
  const prefix = decodeDataSet(bytes.subarray(0, 40), EVR_LE, { allowTruncated: true });
  assert.equal(prefix.complete, false);
  assert.equal(prefix.identifier[0].value, 'ISO_IR 192');
  const stop = decodeDataSet(bytes, EVR_LE, { stopAtTag: 0x00100000, keep: (t) => t === 0x00080020 });
  assert.equal(stop.stopped, true);
  assert.deepEqual(stop.identifier.map((e) => e.tag), [0x00080005, 0x00080020]);
});

test('set keeps ascending order and infers VRs', () => {
  const id: Identifier = [];
  set(id, 0x0020000d, '1.2');
  set(id, 0x00080020, '2026');
  set(id, 0x00100010, 'X');
  set(id, 0x00080020, '20260101');
  assert.deepEqual(id.map((e) => [e.tag, e.vr, e.value]), [[0x00080020, 'DA', '20260101'], [0x00100010, 'PN', 'X'], [0x0020000d, 'UI', '1.2']]);
});

const hasDcmtk = spawnSync('which', ['dump2dcm']).status === 0;

test('DCMTK cross-check: dump2dcm output decodes, our output dcmdumps, in all 3 syntaxes', { skip: !hasDcmtk && 'dump2dcm not installed' }, async (t) => {
  const dir = await tmpDir('ident-', t);
  const dump = [
    '(0008,0005) CS [ISO_IR 100]', '(0008,0052) CS [SERIES]', '(0010,0010) PN [Müller^Jürgen]', '(0020,000d) UI [1.2.3.4]',
    '(0028,0010) US 512\\2', '(0040,0100) SQ (Sequence with undefined length)', '  (fffe,e000) na (Item with undefined length)',
    '    (0008,0060) CS [CT]', '    (0040,0002) DA [20260101-]', '  (fffe,e00d) na (ItemDelimitationItem)', '(fffe,e0dd) na (SequenceDelimitationItem)',
  ].join('\n');
  await writeFile(join(dir, 'q.dump'), dump, 'latin1');
  const expected: Identifier = [
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 100' }, { tag: 0x00080052, vr: 'CS', value: 'SERIES' },
    { tag: 0x00100010, vr: 'PN', value: 'Müller^Jürgen' }, { tag: 0x0020000d, vr: 'UI', value: '1.2.3.4' },
    { tag: 0x00280010, vr: 'US', value: '512\\2' },
    { tag: 0x00400100, vr: 'SQ', value: [[{ tag: 0x00080060, vr: 'CS', value: 'CT' }, { tag: 0x00400002, vr: 'DA', value: '20260101-' }]] },
  ];
  for (const [opt, ts] of [['+ti', IVR_LE], ['+te', EVR_LE], ['+tb', EVR_BE]]) {
    const out = join(dir, `q${opt}.raw`);
    for (const lengths of ['-e', '+e']) {
      const r = await runDcmtk('dump2dcm', ['-F', opt, lengths, join(dir, 'q.dump'), out]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(decodeIdentifier(await readFile(out), ts), expected, `${opt} ${lengths}`);
    }
    await writeFile(out, encodeIdentifier(expected, ts));
    const d = await runDcmtk('dcmdump', ['-f', opt.replace('+', '-'), '-dc', out]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /\(0010,0010\) PN \[M\S+ller\^J\S+rgen ?\]/);
    assert.match(d.stdout, /\(0028,0010\) US 512\\2/);
    assert.match(d.stdout, /\(0040,0002\) DA \[20260101- \]/);
  }
});
