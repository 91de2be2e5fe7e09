import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFileMeta, parseFileMeta } from '../../../src/store/part10';
import { sampleDataSet, EVR_BE, CT } from './ds-builder';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dcmjs = require('dcmjs') as { data: { DicomMessage: { readFile(ab: ArrayBuffer): { meta: Record<string, { vr: string; Value: unknown[] }>; dict: Record<string, { vr: string; Value: unknown[] }> } } } };

const input = {
  mediaStorageSopClassUid: CT,
  mediaStorageSopInstanceUid: '1.2.3.4.5.6.7',
  transferSyntaxUid: '1.2.840.10008.1.2.2',
  implementationClassUid: '1.2.840.114093.1.1',
  implementationVersionName: '00.01.00.00',
  sourceAeTitle: 'EDGE',
  sendingAeTitle: 'MODALITY1',
  receivingAeTitle: 'EDGE',
};

test('preamble, magic and group length are exact', () => {
  const m = buildFileMeta(input);
  assert.ok(m.subarray(0, 128).every((b) => b === 0));
  assert.equal(m.toString('latin1', 128, 132), 'DICM');
  // (0002,0000) UL, length 4
  assert.deepEqual([...m.subarray(132, 140)], [0x02, 0x00, 0x00, 0x00, 0x55, 0x4c, 0x04, 0x00]);
  assert.equal(m.readUInt32LE(140), m.length - 144, 'group length counts every byte after it');
  // (0002,0001) OB 00 00 len=2 value 00 01
  assert.deepEqual([...m.subarray(144, 158)], [0x02, 0x00, 0x01, 0x00, 0x4f, 0x42, 0, 0, 2, 0, 0, 0, 0x00, 0x01]);
  assert.equal(m.length % 2, 0);
});

test('odd values are padded: UI with NUL, AE and SH with space', () => {
  const m = buildFileMeta(input);
  const meta = parseFileMeta(m)!;
  assert.equal(meta.mediaStorageSopInstanceUid, '1.2.3.4.5.6.7');
  const uidAt = m.indexOf(Buffer.from('1.2.3.4.5.6.7'));
  assert.equal(m[uidAt + 13], 0x00);
  const aeAt = m.indexOf(Buffer.from('MODALITY1'));
  assert.equal(m[aeAt + 9], 0x20);
});

test('parseFileMeta reads back what buildFileMeta wrote', () => {
  const m = buildFileMeta(input);
  const meta = parseFileMeta(m);
  assert.deepEqual(meta, {
    transferSyntaxUid: '1.2.840.10008.1.2.2',
    mediaStorageSopClassUid: CT,
    mediaStorageSopInstanceUid: '1.2.3.4.5.6.7',
    implementationClassUid: '1.2.840.114093.1.1',
    implementationVersionName: '00.01.00.00',
    sourceAeTitle: 'EDGE',
    sendingAeTitle: 'MODALITY1',
    receivingAeTitle: 'EDGE',
    dataSetOffset: m.length,
  });
  assert.equal(parseFileMeta(m.subarray(0, 150)), null, 'short input asks for more');
  assert.throws(() => parseFileMeta(Buffer.alloc(200)));
});

test('instances of one association share the rest of the group: each meta still carries its own UID and length', () => {
  const a = buildFileMeta({ ...input, mediaStorageSopInstanceUid: '1.2.3.45' });
  const b = buildFileMeta({ ...input, mediaStorageSopInstanceUid: '1.2.3.456' });
  const c = buildFileMeta({ ...input, mediaStorageSopInstanceUid: '1.2.3.456', sendingAeTitle: 'OTHER' });
  assert.equal(parseFileMeta(a)!.mediaStorageSopInstanceUid, '1.2.3.45');
  assert.equal(parseFileMeta(b)!.mediaStorageSopInstanceUid, '1.2.3.456');
  assert.equal(b.length - a.length, 2, 'UI padded to even length');
  for (const m of [a, b, c]) assert.equal(m.readUInt32LE(140), m.length - 144);
  assert.equal(parseFileMeta(c)!.sendingAeTitle, 'OTHER');
  assert.equal(parseFileMeta(buildFileMeta(input))!.sendingAeTitle, 'MODALITY1', 'the cache is keyed by the AE titles too');
});

test('dcmjs reads the file: meta and a Big Endian data set with a private element', () => {
  const file = Buffer.concat([buildFileMeta(input), sampleDataSet(EVR_BE)]);
  const ab = file.buffer.slice(file.byteOffset, file.byteOffset + file.length);
  const d = dcmjs.data.DicomMessage.readFile(ab);
  assert.equal(d.meta['00020010'].Value[0], '1.2.840.10008.1.2.2');
  assert.equal(d.meta['00020012'].Value[0], '1.2.840.114093.1.1');
  assert.equal(d.meta['00020013'].Value[0], '00.01.00.00');
  assert.equal(d.meta['00020016'].Value[0], 'EDGE');
  assert.equal(d.meta['00020017'].Value[0], 'MODALITY1');
  assert.equal(d.meta['00020018'].Value[0], 'EDGE');
  assert.equal(d.meta['00020016'].vr, 'AE');
  assert.equal(d.dict['00080018'].Value[0], '1.2.3.4.5.6.7');
  assert.equal(d.dict['00090010'].Value[0], 'ACME 1.0');
});

test('AE titles and version names that break their VR are refused', () => {
  assert.throws(() => buildFileMeta({ ...input, sendingAeTitle: 'A'.repeat(17) }));
  assert.throws(() => buildFileMeta({ ...input, sendingAeTitle: 'A\\B' }));
  assert.throws(() => buildFileMeta({ ...input, implementationVersionName: 'X'.repeat(17) }));
});
