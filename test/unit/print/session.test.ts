import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findElement, get, type Identifier } from '../../../src/dicom/identifier';
import { PrintSession } from '../../../src/print/session';
import { greyItem } from '../../../src/print/pixels';
import { TAG, UID } from '../../../src/print/uids';

const filmBoxRq = (sessionUid: string, format = 'STANDARD\\2,1'): Identifier => [
  { tag: TAG.ImageDisplayFormat, vr: 'ST', value: format },
  { tag: TAG.ReferencedFilmSessionSequence, vr: 'SQ', value: [[{ tag: TAG.ReferencedSopClassUid, vr: 'UI', value: UID.FilmSession }, { tag: TAG.ReferencedSopInstanceUid, vr: 'UI', value: sessionUid }]] },
];
const imageRq = (pos: number, item = greyItem(2, 2, 8, Buffer.from([0, 1, 2, 3]))): Identifier => [
  { tag: TAG.ImageBoxPosition, vr: 'US', value: String(pos) },
  { tag: TAG.BasicGrayscaleImageSequence, vr: 'SQ', value: [item] },
];

function refs(ds: Identifier | undefined): Array<{ cls: string; uid: string }> {
  return ((findElement(ds ?? [], TAG.ReferencedImageBoxSequence)?.value as Identifier[]) ?? []).map((i) => ({ cls: get(i, TAG.ReferencedSopClassUid)!, uid: get(i, TAG.ReferencedSopInstanceUid)! }));
}

test('film session → film box (response lists one image box per position, defaults filled) → image boxes → print', () => {
  const s = new PrintSession(false);
  const fs = s.createFilmSession([{ tag: TAG.NumberOfCopies, vr: 'IS', value: '2' }]);
  assert.equal(fs.status, 0);
  assert.ok(fs.instanceUid);
  const fb = s.createFilmBox(filmBoxRq(fs.instanceUid!));
  assert.equal(fb.status, 0);
  const boxes = refs(fb.dataset);
  assert.equal(boxes.length, 2);
  assert.ok(boxes.every((b) => b.cls === UID.GrayImageBox));
  assert.equal(boxes[0].uid, `${fb.instanceUid}.1`);
  assert.equal(get(fb.dataset!, TAG.FilmOrientation), 'PORTRAIT');
  assert.equal(s.setImageBox(boxes[0].uid, false, imageRq(1)).status, 0);
  const p = s.printFilmBox(fb.instanceUid!);
  assert.equal(p.status, 0);
  assert.equal(p.spool!.films.length, 1);
  assert.equal(p.spool!.films[0].boxes.length, 1, 'only boxes that were set');
  assert.equal(get(p.spool!.session, TAG.NumberOfCopies), '2');
  assert.equal(get(p.spool!.films[0].attrs, TAG.FilmOrientation), undefined, 'defaults are not replayed');
});

test('PS3.4 H.4 statuses: no session (0117), wrong session, missing format (0120), bad enum (0106), wrong position, bad image', () => {
  const s = new PrintSession(false);
  assert.equal(s.createFilmBox(filmBoxRq('1.2.3')).status, 0x0117);
  const fs = s.createFilmSession([]);
  assert.equal(s.createFilmSession([]).status, 0x0111, 'one film session per association');
  assert.equal(s.createFilmBox(filmBoxRq('1.2.3')).status, 0x0106);
  const noFormat = s.createFilmBox(filmBoxRq(fs.instanceUid!).slice(1));
  assert.deepEqual([noFormat.status, noFormat.offending], [0x0120, [TAG.ImageDisplayFormat]]);
  assert.equal(s.createFilmBox([...filmBoxRq(fs.instanceUid!), { tag: TAG.FilmOrientation, vr: 'CS', value: 'DIAGONAL' }].sort((a, b) => a.tag - b.tag)).status, 0x0106);
  assert.equal(s.createFilmBox(filmBoxRq(fs.instanceUid!, 'SLIDE')).status, 0x0106);
  const fb = s.createFilmBox(filmBoxRq(fs.instanceUid!));
  const [b1] = refs(fb.dataset);
  assert.equal(s.setImageBox(b1.uid, false, imageRq(2)).status, 0x0106, 'position of another box');
  assert.equal(s.setImageBox(b1.uid, true, imageRq(1)).status, 0x0119, 'colour class on a grey box');
  assert.equal(s.setImageBox('9.9', false, imageRq(1)).status, 0x0112);
  const short = greyItem(4, 4, 8, Buffer.alloc(3));
  assert.equal(s.setImageBox(b1.uid, false, imageRq(1, short)).status, 0x0106, 'pixel data too short');
  const bits = greyItem(2, 2, 8, Buffer.alloc(4)).map((e) => (e.tag === TAG.BitsStored ? { ...e, value: '7' } : e));
  assert.equal(s.setImageBox(b1.uid, false, imageRq(1, bits)).status, 0x0106, 'grey must be 8/8 or 16/12');
  assert.equal(new PrintSession(false).createFilmSession([{ tag: TAG.NumberOfCopies, vr: 'IS', value: '0' }]).status, 0x0106);
});

test('unknown attributes are ignored with warning 0107; empty film box prints with B603; session without boxes C600', () => {
  const s = new PrintSession(false);
  const fs = s.createFilmSession([{ tag: 0x00100010, vr: 'PN', value: 'X' }]);
  assert.deepEqual([fs.status, fs.offending], [0x0107, [0x00100010]]);
  assert.equal(get(fs.dataset!, 0x00100010), undefined);
  assert.equal(s.printFilmSession(fs.instanceUid!).status, 0xc600);
  const fb = s.createFilmBox(filmBoxRq(fs.instanceUid!));
  assert.equal(s.printFilmBox(fb.instanceUid!).status, 0xb603);
  assert.equal(s.printFilmSession(fs.instanceUid!).status, 0xb602);
  assert.equal(s.deleteFilmBox(fb.instanceUid!).status, 0);
  assert.equal(s.printFilmBox(fb.instanceUid!).status, 0x0112);
  assert.equal(s.deleteFilmSession(fs.instanceUid!).status, 0);
});

test('colour association: colour image boxes; SCU-chosen UIDs kept; presentation LUT create/delete', () => {
  const s = new PrintSession(true);
  const fs = s.createFilmSession([], '1.2.3.4');
  assert.equal(fs.instanceUid, '1.2.3.4');
  const fb = s.createFilmBox(filmBoxRq('1.2.3.4', 'STANDARD\\1,1'), '1.2.3.5');
  assert.deepEqual(refs(fb.dataset), [{ cls: UID.ColorImageBox, uid: '1.2.3.5.1' }]);
  const lut = s.createPresentationLut([{ tag: TAG.PresentationLutShape, vr: 'CS', value: 'IDENTITY' }]);
  assert.equal(lut.status, 0);
  assert.equal(s.createPresentationLut([{ tag: TAG.PresentationLutShape, vr: 'CS', value: 'GAMMA' }]).status, 0x0106);
  assert.equal(s.createPresentationLut([]).status, 0x0120);
  assert.equal(s.deletePresentationLut(lut.instanceUid!).status, 0);
  assert.equal(s.deletePresentationLut(lut.instanceUid!).status, 0x0112);
});

test('B605: Min/Max Density outside the printer\'s range ([RemoteAE] minDensity/maxDensity) is a warning and the printer\'s limit is used', () => {
  const caps = { filmSizes: [], displayFormats: [], magnificationTypes: [], supports12Bit: false, minDensity: 20, maxDensity: 320 };
  const s = new PrintSession(false, { caps });
  const fs = s.createFilmSession([]);
  const density = (min?: string, max?: string): Identifier => [
    ...(min ? [{ tag: TAG.MinDensity, vr: 'US', value: min }] : []),
    ...(max ? [{ tag: TAG.MaxDensity, vr: 'US', value: max }] : []),
  ];
  const fb = s.createFilmBox([...filmBoxRq(fs.instanceUid!), ...density('5', '400')]);
  assert.equal(fb.status, 0xb605);
  assert.match(fb.comment ?? '', /density Min 5->20, Max 400->320 \(printer 20..320\)/);
  assert.deepEqual([get(fb.dataset!, TAG.MinDensity), get(fb.dataset!, TAG.MaxDensity)], ['20', '320'], 'the response shows what will be used');
  assert.equal(s.setFilmBox(fb.instanceUid!, density('30', '300')).status, 0, 'inside the range');
  const set = s.setFilmBox(fb.instanceUid!, density(undefined, '330'));
  assert.equal(set.status, 0xb605);
  assert.equal(get(set.dataset!, TAG.MaxDensity), '320');
  const boxes = refs(fb.dataset);
  s.setImageBox(boxes[0].uid, false, imageRq(1));
  const job = s.printFilmBox(fb.instanceUid!);
  assert.deepEqual([get(job.spool!.films[0].attrs, TAG.MinDensity), get(job.spool!.films[0].attrs, TAG.MaxDensity)], ['30', '320'], 'the spooled job replays the limits');
  // No range configured: nothing is checked.
  const open = new PrintSession(false);
  const fs2 = open.createFilmSession([]);
  assert.equal(open.createFilmBox([...filmBoxRq(fs2.instanceUid!), ...density('1', '999')]).status, 0);
});
