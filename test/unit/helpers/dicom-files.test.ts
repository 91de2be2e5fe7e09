import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TS_UID, encodeDicomFile, makeDicomFile, makeStudy, newUid, type Syntax } from '../../helpers/dicom-files';
import { runDcmtk } from '../../helpers/peers';
import { tmpDir } from '../../helpers/tmp';

const SYNTAXES: Syntax[] = ['implicit', 'explicit', 'big'];

/** dcmdump +P one attribute, value only. */
async function attr(file: string, key: string): Promise<string> {
  const r = await runDcmtk('dcmdump', ['-q', '-Un', '+P', key, file]);
  assert.equal(r.code, 0, r.stderr);
  const m = /\[(.*)\]/.exec(r.stdout);
  assert.ok(m, `no value for ${key}: ${r.stdout}`);
  return m[1];
}

for (const syntax of SYNTAXES) {
  test(`makeDicomFile (${syntax}) parses cleanly with dcmdump and carries the values`, async (t) => {
    const dir = await tmpDir('dicom-files', t);
    const file = path.join(dir, `${syntax}.dcm`);
    const o = await makeDicomFile(file, {
      transferSyntax: syntax, privateTags: true, rows: 5, cols: 7, patientName: 'DOE^JANE', patientId: 'P42',
      modality: 'MR', extra: { StudyDescription: 'ODD', '(0010,1010)': { vr: 'AS', value: '045Y' } },
    });
    const r = await runDcmtk('dcmdump', ['-M', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '', 'dcmdump warned');
    const dump = r.stdout;
    assert.match(dump, new RegExp(`\\(0002,0010\\) UI =\\S+ +# +\\d+, 1 TransferSyntaxUID`));
    assert.match(dump, /\(0010,0010\) PN \[DOE\^JANE\]/);
    assert.match(dump, /\(0010,0020\) LO \[P42\]/);
    assert.match(dump, /\(0008,0060\) CS \[MR\]/);
    assert.match(dump, /\(0028,0010\) US 5\b/);
    assert.match(dump, /\(0028,0011\) US 7\b/);
    assert.match(dump, /\(0008,1030\) LO \[ODD\]/);
    assert.match(dump, /\(0009,0010\) LO \[DICOM-EDGE TEST\]/);
    assert.match(dump, /\(0009,1001\) .. \[private text\]|\(0009,1001\) .. 70\\72/);
    assert.match(dump, /\(7fe0,0010\) O[WB] .* # +70, 1 PixelData/);
    assert.equal(await attr(file, 'SOPInstanceUID'), o.sopInstanceUid);
    assert.equal(await attr(file, 'TransferSyntaxUID'), TS_UID[syntax]);
    assert.equal(await attr(file, 'StudyInstanceUID'), o.studyUid);
    assert.equal(await attr(file, 'PatientAge'), '045Y');
    if (syntax !== 'implicit') assert.match(dump, /\(0009,1002\) SL -42/);
  });
}

test('the three syntaxes hold the same data set (dcmconv to Explicit LE is byte-identical)', async (t) => {
  const dir = await tmpDir('dicom-files', t);
  const common = { sopInstanceUid: newUid(), studyUid: newUid(), seriesUid: newUid(), rows: 4, cols: 3 };
  const bare: Buffer[] = [];
  for (const syntax of SYNTAXES) {
    const file = path.join(dir, `${syntax}.dcm`);
    await makeDicomFile(file, { ...common, transferSyntax: syntax });
    const out = path.join(dir, `${syntax}.bare`);
    const r = await runDcmtk('dcmconv', ['+te', '-F', file, out]);
    assert.equal(r.code, 0, r.stderr);
    bare.push(fs.readFileSync(out));
  }
  assert.ok(bare[0].length > 100);
  assert.deepEqual(bare[1], bare[0]);
  assert.deepEqual(bare[2], bare[0]);
});

test('8-bit pixel data with an odd number of pixels is padded to even length', async () => {
  const buf = encodeDicomFile({ bitsAllocated: 8, rows: 3, cols: 3, transferSyntax: 'explicit' });
  assert.equal(buf.length % 2, 0);
  const at = buf.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42]));
  assert.ok(at > 0);
  assert.equal(buf.readUInt32LE(at + 8), 10);
  assert.equal(buf.length, at + 12 + 10);
});

test('meta group length counts the meta elements that follow it', () => {
  const buf = encodeDicomFile({ transferSyntax: 'big' });
  assert.equal(buf.subarray(128, 132).toString('latin1'), 'DICM');
  assert.deepEqual([...buf.subarray(132, 138)], [0x02, 0x00, 0x00, 0x00, 0x55, 0x4c]);
  const len = buf.readUInt32LE(140);
  const afterMeta = 144 + len;
  // The big-endian data set starts right there with (0008,0005) CS.
  assert.deepEqual([...buf.subarray(afterMeta, afterMeta + 6)], [0x00, 0x08, 0x00, 0x05, 0x43, 0x53]);
});

test('makeStudy writes count files of one study, each with its own SOP Instance UID', async (t) => {
  const dir = await tmpDir('dicom-study', t);
  const study = await makeStudy(dir, { count: 6, rows: 8, cols: 8, modality: 'CT', syntax: 'implicit', series: 2 });
  assert.equal(study.files.length, 6);
  assert.equal(new Set(study.files.map((f) => f.sopInstanceUid)).size, 6);
  assert.equal(study.seriesUids.length, 2);
  assert.deepEqual(fs.readdirSync(dir).sort(), study.files.map((f) => path.basename(f.path)).sort());
  for (const f of [study.files[0], study.files[5]]) {
    assert.equal(await attr(f.path, 'SOPInstanceUID'), f.sopInstanceUid);
    assert.equal(await attr(f.path, 'StudyInstanceUID'), study.studyUid);
    assert.equal(await attr(f.path, 'SeriesInstanceUID'), f.seriesUid);
    assert.equal(await attr(f.path, 'InstanceNumber'), String(f.instanceNumber));
    assert.equal(await attr(f.path, 'PatientID'), study.patientId);
  }
});
