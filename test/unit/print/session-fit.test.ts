import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findElement, get, type Identifier } from '../../../src/dicom/identifier';
import { PrintSession } from '../../../src/print/session';
import { greyItem } from '../../../src/print/pixels';
import { imageItem } from '../../../src/print/job';
import { TAG, UID } from '../../../src/print/uids';

/** 8x10 in portrait at 100 dpi = 800x1000 px; STANDARD\2,1 → two boxes of 400x1000 px. */
function setup(policy: 'demagnify' | 'crop' | 'fail' = 'demagnify', filmMagnification?: string) {
  const s = new PrintSession(false, { dpi: 100, policy });
  const fs = s.createFilmSession([]);
  const attrs: Identifier = [
    { tag: TAG.ImageDisplayFormat, vr: 'ST', value: 'STANDARD\\2,1' },
    { tag: TAG.FilmSizeId, vr: 'CS', value: '8INX10IN' },
    ...(filmMagnification ? [{ tag: TAG.MagnificationType, vr: 'CS', value: filmMagnification }] : []),
    { tag: TAG.ReferencedFilmSessionSequence, vr: 'SQ', value: [[{ tag: TAG.ReferencedSopClassUid, vr: 'UI', value: UID.FilmSession }, { tag: TAG.ReferencedSopInstanceUid, vr: 'UI', value: fs.instanceUid! }]] },
  ];
  const fb = s.createFilmBox(attrs.sort((a, b) => a.tag - b.tag));
  return { s, fs: fs.instanceUid!, fb: fb.instanceUid!, box: (n: number) => `${fb.instanceUid}.${n}` };
}

/** An image box N-SET: `cols` x `rows` grey 8-bit, plus image box attributes. */
function nset(pos: number, cols: number, rows: number, extra: Identifier = []): Identifier {
  const magnification = extra.some((e) => e.tag === TAG.MagnificationType) ? [] : [{ tag: TAG.MagnificationType, vr: 'CS', value: 'BILINEAR' }];
  return [
    ...magnification,
    ...extra,
    { tag: TAG.ImageBoxPosition, vr: 'US', value: String(pos) },
    { tag: TAG.BasicGrayscaleImageSequence, vr: 'SQ', value: [greyItem(rows, cols, 8, Buffer.alloc(rows * cols, 7))] },
  ].sort((a, b) => a.tag - b.tag);
}

const size = (ds: Identifier): string => { const i = imageItem(ds)!; return `${get(i, TAG.Columns)}x${get(i, TAG.Rows)}`; };

test('Image Box N-SET: fits → 0000; larger → B604 and the stored pixels are demagnified; N-ACTION repeats B604', () => {
  const { s, fb, box } = setup();
  assert.equal(s.setImageBox(box(1), false, nset(1, 400, 100)).status, 0, 'exactly the box width');
  const r = s.setImageBox(box(2), false, nset(2, 800, 100));
  assert.equal(r.status, 0xb604);
  assert.match(r.comment!, /800x100 > box 400x1000px: demagnified to 400x50/);
  const p = s.printFilmBox(fb);
  assert.equal(p.status, 0xb604, 'Table H.4-9');
  assert.deepEqual(p.spool!.films[0].boxes.map((b) => size(b.dataset)), ['400x100', '400x50'], 'the spool holds the demagnified pixels');
});

test('Image Box N-SET: Requested Decimate/Crop Behavior DECIMATE → B60A, CROP → B609, FAIL → C603 and the box unchanged', () => {
  const { s, fs, fb, box } = setup('fail');
  const behavior = (v: string): Identifier => [{ tag: TAG.RequestedDecimateCropBehavior, vr: 'CS', value: v }];
  assert.equal(s.setImageBox(box(1), false, nset(1, 800, 100, behavior('DECIMATE'))).status, 0xb60a);
  const fail = s.setImageBox(box(2), false, nset(2, 500, 100, behavior('FAIL')));
  assert.deepEqual([fail.status, fail.offending], [0xc603, [TAG.Rows, TAG.Columns]]);
  assert.equal(s.printFilmBox(fb).spool!.films[0].boxes.length, 1, 'the failed N-SET stored nothing');
  assert.equal(s.setImageBox(box(2), false, nset(2, 500, 100)).status, 0xc603, '[Print] oversize = fail when the SCU does not say');
  assert.equal(s.setImageBox(box(2), false, nset(2, 500, 100, behavior('CROP'))).status, 0xb609);
  const p = s.printFilmBox(fb);
  assert.equal(p.status, 0xb609, 'cropping is the warning repeated when boxes differ');
  assert.deepEqual(p.spool!.films[0].boxes.map((b) => size(b.dataset)), ['400x50', '400x100'], 'centre 400 of 500 columns kept');
  assert.equal(s.printFilmSession(fs).status, 0xb609, 'Table H.4-4');
});

test('Magnification Type NONE (film box or image box): C603 unless cropping; the image box value overrides the film box', () => {
  const a = setup('demagnify', 'NONE');
  const none: Identifier = [{ tag: TAG.MagnificationType, vr: 'CS', value: 'NONE' }];
  const r = a.s.setImageBox(a.box(1), false, nset(1, 500, 100, []).filter((e) => e.tag !== TAG.MagnificationType));
  assert.equal(r.status, 0xc603, 'film box NONE applies when the image box names none');
  assert.match(r.comment!, /magnification NONE/);
  assert.equal(a.s.setImageBox(a.box(1), false, nset(1, 500, 100)).status, 0xb604, 'image box BILINEAR overrides the film box NONE');
  const b = setup('crop');
  const c = b.s.setImageBox(b.box(1), false, nset(1, 500, 1200, none));
  assert.equal(c.status, 0xb609, 'oversize = crop: NONE is cropped');
  assert.equal(size(b.s.printFilmBox(b.fb).spool!.films[0].boxes[0].dataset), '400x1000');
});

test('Requested Image Size larger than the box: demagnified to the box and the requested size dropped', () => {
  const { s, fb, box } = setup();
  const r = s.setImageBox(box(1), false, nset(1, 200, 100, [{ tag: TAG.RequestedImageSize, vr: 'DS', value: '152.4' }]));
  assert.equal(r.status, 0xb604, '152.4 mm at 100 dpi = 600 px > 400 px');
  const ds = s.printFilmBox(fb).spool!.films[0].boxes[0].dataset;
  assert.equal(get(ds, TAG.RequestedImageSize), undefined);
  assert.equal(size(ds), '200x100');
});

test('B600 for Memory Allocation; B602 when a film of the session would come out empty; B603 for an empty film box', () => {
  const s0 = new PrintSession(false);
  assert.equal(s0.createFilmSession([{ tag: TAG.MemoryAllocation, vr: 'IS', value: '2048' }]).status, 0xb600);
  const { s, fs, fb, box } = setup();
  assert.equal(s.printFilmBox(fb).status, 0xb603);
  assert.equal(s.setImageBox(box(1), false, nset(1, 100, 100)).status, 0);
  assert.equal(s.printFilmSession(fs).status, 0);
  const second = s.createFilmBox([
    { tag: TAG.ImageDisplayFormat, vr: 'ST', value: 'STANDARD\\1,1' },
    { tag: TAG.ReferencedFilmSessionSequence, vr: 'SQ', value: [[{ tag: TAG.ReferencedSopClassUid, vr: 'UI', value: UID.FilmSession }, { tag: TAG.ReferencedSopInstanceUid, vr: 'UI', value: fs }]] },
  ]);
  const p = s.printFilmSession(fs);
  assert.equal(p.status, 0xb602, 'the second film has no image');
  assert.equal(p.spool!.films.length, 2);
  assert.equal(findElement(p.spool!.films[1].attrs, TAG.ImageDisplayFormat)?.value, 'STANDARD\\1,1');
  assert.ok(second.instanceUid);
});
