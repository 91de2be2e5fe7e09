import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findElement, get, type Identifier } from '../../../src/dicom/identifier';
import { boxSizes, decideFit, effectiveFilmSize, filmPixels, worstFit, type FitRequest } from '../../../src/print/fit';
import { applyFit, cropItem, demagnifyItem } from '../../../src/print/resize';
import { colourItem, greyItem } from '../../../src/print/pixels';
import { printersOf, spoolSettings } from '../../../src/print/config';
import { filmPreviewPng } from '../../../src/print/preview';
import { decodeSimplePng } from '../../../src/dicom/render/png';
import { TAG } from '../../../src/print/uids';
import { parseTestConfig, testIni } from '../../helpers/agent';

const film = (format: string, size?: string, orientation?: string): Identifier => [
  ...(size ? [{ tag: TAG.FilmSizeId, vr: 'CS', value: size }] : []),
  { tag: TAG.ImageDisplayFormat, vr: 'ST', value: format },
  ...(orientation ? [{ tag: TAG.FilmOrientation, vr: 'CS', value: orientation }] : []),
].sort((a, b) => a.tag - b.tag);
const caps = (filmSizes: string[]) => ({ filmSizes, displayFormats: [], magnificationTypes: [], supports12Bit: false });
const px = (item: Identifier): number[] => [...(findElement(item, TAG.PixelData)!.value as Buffer)];
/** 4x4 grey 8-bit, values 0..15 row by row. */
const ramp = (): Identifier => greyItem(4, 4, 8, Buffer.from(Array.from({ length: 16 }, (_, i) => i)));

test('film pixels: Film Size ID at the resolution, LANDSCAPE swaps width and height', () => {
  assert.deepEqual(filmPixels('8INX10IN', 'PORTRAIT', 300), { w: 2400, h: 3000 });
  assert.deepEqual(filmPixels('8INX10IN', 'LANDSCAPE', 300), { w: 3000, h: 2400 });
  assert.deepEqual(filmPixels('14INX17IN', undefined, 300), { w: 4200, h: 5100 });
  assert.deepEqual(filmPixels('24CMX30CM', undefined, 254), { w: 2400, h: 3000 });
  assert.equal(filmPixels('HUGE', undefined, 300), undefined);
});

test('image box sizes: display format divides the film; film mapped to what the printer accepts; default 8INX10IN', () => {
  assert.deepEqual(boxSizes(film('STANDARD\\2,2', '8INX10IN'), { dpi: 100 }), Array(4).fill({ w: 400, h: 500 }));
  assert.deepEqual(boxSizes(film('ROW\\1,2', '8INX10IN'), { dpi: 100 }), [{ w: 800, h: 500 }, { w: 400, h: 500 }, { w: 400, h: 500 }]);
  assert.deepEqual(boxSizes(film('COL\\2', '8INX10IN', 'LANDSCAPE'), { dpi: 100 }), [{ w: 1000, h: 400 }, { w: 1000, h: 400 }]);
  assert.deepEqual(boxSizes(film('STANDARD\\1,1'), { dpi: 100 }), [{ w: 800, h: 1000 }], 'no Film Size ID: the SCP default');
  assert.equal(effectiveFilmSize(film('STANDARD\\1,1', '8INX10IN'), caps(['14INX17IN'])), '14INX17IN');
  assert.deepEqual(boxSizes(film('STANDARD\\1,1', '8INX10IN'), { dpi: 100, caps: caps(['14INX17IN']) }), [{ w: 1400, h: 1700 }]);
  assert.equal(boxSizes(film('SLIDE', '8INX10IN'), { dpi: 100 }), undefined);
});

const rq = (o: Partial<FitRequest>): FitRequest => ({ rows: 600, cols: 800, box: { w: 400, h: 500 }, magnification: 'REPLICATE', policy: 'demagnify', dpi: 100, ...o });

test('decision: an image that fits, or is exactly the box, is accepted as is', () => {
  assert.deepEqual(decideFit(rq({ rows: 300, cols: 300 })), { status: 0, action: 'none' });
  assert.deepEqual(decideFit(rq({ rows: 500, cols: 400 })), { status: 0, action: 'none' });
  assert.equal(decideFit(rq({ requestedWidthMm: 50.8 })).status, 0, '800 columns asked 2 inches wide: 200 px, fits');
});

test('decision: larger than the box → B604 demagnified (policy), B60A decimated (asked), aspect kept', () => {
  const d = decideFit(rq({}));
  assert.equal(d.status, 0xb604);
  assert.ok(d.action === 'demagnify');
  assert.deepEqual([d.cols, d.rows], [400, 300]);
  assert.match(d.comment, /800x600 > box 400x500px: demagnified to 400x300/);
  const asked = decideFit(rq({ behavior: 'DECIMATE' }));
  assert.equal(asked.status, 0xb60a);
  const big = decideFit(rq({ rows: 200, cols: 250, requestedWidthMm: 127 }));
  assert.equal(big.status, 0xb604, 'Requested Image Size 127 mm = 500 px > 400 px box');
  assert.ok(big.action === 'demagnify' && big.cols === 250 && big.rows === 200, 'the pixels already fit: only the requested size goes');
});

test('decision: CROP asked or oversize = crop → B609, centre kept; requested size scaled to the crop', () => {
  const d = decideFit(rq({ behavior: 'CROP' }));
  assert.equal(d.status, 0xb609);
  assert.ok(d.action === 'crop');
  assert.deepEqual([d.x, d.y, d.cols, d.rows, d.requestedWidthMm], [200, 50, 400, 500, undefined]);
  assert.equal(decideFit(rq({ policy: 'crop' })).status, 0xb609);
  assert.equal(decideFit(rq({ policy: 'crop', magnification: 'NONE' })).status, 0xb609, 'cropping needs no interpolation');
  const r = decideFit(rq({ rows: 200, cols: 250, requestedWidthMm: 127, behavior: 'crop' }));
  assert.ok(r.action === 'crop');
  assert.deepEqual([r.x, r.y, r.cols, r.rows, r.requestedWidthMm], [25, 0, 200, 200, 101.6]);
});

test('decision: C603 for FAIL asked, oversize = fail, and magnification NONE without cropping', () => {
  assert.equal(decideFit(rq({ behavior: 'FAIL' })).status, 0xc603);
  assert.equal(decideFit(rq({ policy: 'fail' })).status, 0xc603);
  const none = decideFit(rq({ magnification: 'NONE' }));
  assert.equal(none.status, 0xc603);
  assert.ok(none.action === 'fail' && /magnification NONE/.test(none.comment));
  assert.equal(decideFit(rq({ magnification: 'NONE', behavior: 'DECIMATE' })).status, 0xc603, 'NONE names no decimation method');
  assert.equal(decideFit(rq({ policy: 'fail', behavior: 'DECIMATE' })).status, 0xb60a, "the SCU's request beats the policy");
});

test('worst of several: cropped > decimated > demagnified > success', () => {
  assert.equal(worstFit([0, 0xb604, 0xb609, 0xb60a]), 0xb609);
  assert.equal(worstFit([0xb604, 0xb60a]), 0xb60a);
  assert.equal(worstFit([0, 0xb604]), 0xb604);
  assert.equal(worstFit([0, 0]), 0);
});

test('pixels: crop a region; demagnify by area average (BILINEAR/CUBIC) or pixel replication (REPLICATE)', () => {
  const c = cropItem(ramp(), 1, 1, 2, 2);
  assert.deepEqual([get(c, TAG.Rows), get(c, TAG.Columns)], ['2', '2']);
  assert.deepEqual(px(c), [5, 6, 9, 10]);
  assert.deepEqual(px(demagnifyItem(ramp(), 2, 2, 'BILINEAR')), [3, 5, 11, 13]);
  assert.deepEqual(px(demagnifyItem(ramp(), 2, 2, 'REPLICATE')), [5, 7, 13, 15]);
  const w = Buffer.alloc(8);
  [0, 4095, 100, 300].forEach((v, i) => w.writeUInt16LE(v, i * 2));
  const g12 = demagnifyItem(greyItem(2, 2, 12, w), 1, 1, 'CUBIC');
  assert.equal((findElement(g12, TAG.PixelData)!.value as Buffer).readUInt16LE(0), 1124, '12-bit average');
  assert.equal(get(g12, TAG.BitsStored), '12');
  const rgb = demagnifyItem(colourItem(2, 2, new Uint8Array([255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255])), 1, 1, 'BILINEAR');
  assert.deepEqual(px(rgb).slice(0, 3), [128, 0, 128], 'colour by plane: each plane averaged');
});

test('applyFit: the box keeps its attributes; Requested Image Size dropped when demagnified, rescaled when cropped', () => {
  const box: Identifier = [
    { tag: TAG.ImageBoxPosition, vr: 'US', value: '1' },
    { tag: TAG.RequestedImageSize, vr: 'DS', value: '127' },
    { tag: TAG.BasicGrayscaleImageSequence, vr: 'SQ', value: [ramp()] },
  ];
  const item = (b: Identifier): Identifier => (findElement(b, TAG.BasicGrayscaleImageSequence)!.value as Identifier[])[0];
  const dm = applyFit(box, TAG.BasicGrayscaleImageSequence, { status: 0xb604, action: 'demagnify', cols: 2, rows: 2, comment: '' }, 'REPLICATE');
  assert.equal(get(dm, TAG.RequestedImageSize), undefined);
  assert.equal(get(dm, TAG.ImageBoxPosition), '1');
  assert.deepEqual(px(item(dm)), [5, 7, 13, 15]);
  const cr = applyFit(box, TAG.BasicGrayscaleImageSequence, { status: 0xb609, action: 'crop', x: 0, y: 0, cols: 2, rows: 1, requestedWidthMm: 63.5, comment: '' }, 'REPLICATE');
  assert.equal(get(cr, TAG.RequestedImageSize), '63.5');
  assert.deepEqual(px(item(cr)), [0, 1]);
  assert.equal(applyFit(box, TAG.BasicGrayscaleImageSequence, { status: 0, action: 'none' }, 'REPLICATE'), box);
});

test('configuration: printerDpi per printer (default 300), [Print] oversize and keepDays', () => {
  const ini = testIni({
    port: 11112, dataDir: '/tmp/x',
    sections: { Print: ['oversize = crop', 'keepDays = 3'] },
    tail: '[RemoteAE]\naetitle = P1\nip = 127.0.0.1\nport = 1\nprinter = yes\nprinterDpi = 600\n\n[RemoteAE]\naetitle = P2\nip = 127.0.0.1\nport = 2\nprinter = yes\n',
  });
  const config = parseTestConfig(ini);
  assert.deepEqual(printersOf(config).map((p) => p.caps.dpi), [600, 300]);
  const s = spoolSettings(config);
  assert.equal(s.oversize, 'crop');
  assert.equal(s.keepMs, 3 * 86_400_000);
  const d = spoolSettings(parseTestConfig(testIni({ port: 11112, dataDir: '/tmp/x' })));
  assert.deepEqual([d.oversize, d.keepMs], ['demagnify', 7 * 86_400_000]);
  assert.throws(() => parseTestConfig(testIni({ port: 11112, dataDir: '/tmp/x', sections: { Print: ['oversize = stretch'] } })));
});

test('preview: a NONE or Requested Image Size image is drawn at its printed size, else fitted to the box', () => {
  const white = greyItem(500, 400, 8, Buffer.alloc(400 * 500, 255));
  const render = (boxAttrs: Identifier): { at(x: number, y: number): number } => {
    const dataset: Identifier = [...boxAttrs, { tag: TAG.ImageBoxPosition, vr: 'US', value: '1' }, { tag: TAG.BasicGrayscaleImageSequence, vr: 'SQ', value: [white] }].sort((a, b) => a.tag - b.tag);
    const img = decodeSimplePng(filmPreviewPng({ attrs: film('STANDARD\\1,1', '8INX10IN'), boxes: [{ position: 1, color: false, dataset }] }, { size: 500, dpi: 100 }));
    return { at: (x, y) => img.data[(y * img.width + x) * 3] };
  };
  const fitted = render([]);
  const none = render([{ tag: TAG.MagnificationType, vr: 'CS', value: 'NONE' }]);
  const asked = render([{ tag: TAG.RequestedImageSize, vr: 'DS', value: '101.6' }]);
  assert.equal(fitted.at(20, 250), 255, 'fitted: the image reaches the box edge');
  assert.equal(none.at(20, 250), 0, 'NONE: 400 of 800 printer pixels, the box edge stays empty (black)');
  assert.equal(none.at(200, 250), 255, 'NONE: image in the centre');
  assert.equal(asked.at(60, 250), 0, '101.6 mm = 400 px of 800: a quarter of the width each side');
  assert.equal(asked.at(200, 250), 255);
});
