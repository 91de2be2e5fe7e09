import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from '../../../src/dicom/identifier';
import { decodeSimplePng } from '../../../src/dicom/render/png';
import { composeJob, defaultFormat } from '../../../src/print/compose';
import { colourItem, colourToGrey, greyItem, printItemFromImage, to8Bit } from '../../../src/print/pixels';
import { filmPreviewPng } from '../../../src/print/preview';
import { SpoolDb } from '../../../src/print/spool-db';
import { readJob, writeJob } from '../../../src/print/spool-files';
import { PrinterWorker } from '../../../src/print/worker';
import type { PrintOutcome } from '../../../src/print/print-scu';
import type { PrinterDef } from '../../../src/print/config';
import { imageItem } from '../../../src/print/job';
import { TAG } from '../../../src/print/uids';
import { silentLogger } from '../../../src/util/log';
import type { Config } from '../../../src/config/types';

const caps = { filmSizes: [], displayFormats: [], magnificationTypes: [], supports12Bit: true };
const ramp = (): Buffer => { const b = Buffer.alloc(8); for (let i = 0; i < 4; i++) b.writeUInt16LE(i * 1365, i * 2); return b; };

test('pixels: 12→8 bits keeps the top bits; colour → grey by luma; window to 12 bits', () => {
  const g8 = to8Bit(greyItem(2, 2, 12, ramp()));
  assert.equal(get(g8, TAG.BitsStored), '8');
  assert.deepEqual([...(g8.find((e) => e.tag === TAG.PixelData)!.value as Buffer)], [0, 85, 170, 255]);
  const grey = colourToGrey(colourItem(1, 2, new Uint8Array([255, 0, 0, 0, 0, 255])));
  assert.deepEqual([...(grey.find((e) => e.tag === TAG.PixelData)!.value as Buffer)], [76, 29]);
  const pm = { rows: 1, columns: 3, samplesPerPixel: 1, photometric: 'MONOCHROME1', bitsAllocated: 16, bitsStored: 16, highBit: 15, pixelRepresentation: 0,
    planarConfiguration: 0, numberOfFrames: 1, rescaleSlope: 1, rescaleIntercept: -1000, windows: [], pixelData: Buffer.from([0, 0, 0xe8, 0x03, 0xd0, 0x07]) };
  const item = printItemFromImage(pm, 12, { center: 0, width: 2000 });
  const px = item.find((e) => e.tag === TAG.PixelData)!.value as Buffer;
  assert.equal(get(item, TAG.Photometric), 'MONOCHROME2');
  assert.deepEqual([px.readUInt16LE(0), px.readUInt16LE(2), px.readUInt16LE(4)], [4095, 2046, 0], 'MONOCHROME1 inverted, -1000..1000 → 4095..0 (C.11.2.1.2.1: 0 maps to 2049)');
});

test('compose: films by display format capacity; default format near-square', () => {
  assert.equal(defaultFormat(3, caps), 'STANDARD\\2,2');
  assert.equal(defaultFormat(3, { ...caps, displayFormats: [[1, 1], [1, 2], [3, 3]] }), 'STANDARD\\3,3');
  const items = Array.from({ length: 5 }, () => ({ item: greyItem(2, 2, 12, ramp()), colour: false }));
  const job = composeJob(items, { format: 'STANDARD\\2,1', copies: 3, film: '14inx17in' }, caps);
  assert.equal(job.films.length, 3);
  assert.deepEqual(job.films.map((f) => f.boxes.map((b) => b.position)), [[1, 2], [1, 2], [1]]);
  assert.equal(get(job.films[0].attrs, TAG.FilmSizeId), '14INX17IN');
  assert.equal(get(job.session, TAG.NumberOfCopies), '3');
});

test('preview: film aspect, border and empty densities, image placed, polarity', () => {
  const job = composeJob([{ item: greyItem(2, 2, 12, ramp()), colour: false }], { format: 'STANDARD\\2,1', orientation: 'LANDSCAPE' }, caps);
  job.films[0].attrs.push({ tag: TAG.BorderDensity, vr: 'CS', value: 'WHITE' }, { tag: TAG.EmptyImageDensity, vr: 'CS', value: 'BLACK' });
  job.films[0].attrs.sort((a, b) => a.tag - b.tag);
  const img = decodeSimplePng(filmPreviewPng(job.films[0], { size: 200 }));
  assert.equal(img.width, 200);
  assert.equal(img.height, 160, '8x10 landscape');
  const at = (x: number, y: number): number => img.data[(y * img.width + x) * 3];
  assert.equal(at(0, 0), 255, 'white border');
  assert.equal(at(150, 80), 0, 'empty box is black');
  assert.ok(at(10, 50) < 10 && at(90, 100) > 245, 'ramp image, dark top-left to bright bottom-right');
});

test('spool files round-trip (pixels included); spool db states, operator actions and history', () => {
  const root = mkdtempSync(join(tmpdir(), 'spool-'));
  const job = composeJob([{ item: colourItem(1, 1, new Uint8Array([1, 2, 3])), colour: true }], {}, caps);
  const dir = writeJob(root, '1.2.3', job, [Buffer.from('png')]);
  assert.equal(dir, 'print/1.2.3');
  const back = readJob(root, dir);
  assert.equal(back.films[0].boxes[0].color, true);
  assert.deepEqual([...(imageItem(back.films[0].boxes[0].dataset)!.find((e) => e.tag === TAG.PixelData)!.value as Buffer)].slice(0, 3), [1, 2, 3]);
  assert.equal(readFileSync(join(root, dir, 'film1.png'), 'latin1'), 'png');

  const db = new SpoolDb(new Database(':memory:'));
  const id = db.insert({ uid: '1.2.3', printer: 'P', films: 1, images: 1, copies: 1, dir }, 1000);
  assert.equal(db.next('P', 1000).job?.id, id);
  assert.ok(db.markPrinting(id, 1001));
  db.markPrinterHeld(id, null, 'offline', 5000, 1002);
  assert.deepEqual(db.next('P', 2000), { waitUntil: 5000 }, 'a held job backing off holds the queue');
  assert.equal(db.next('P', 5000).job?.id, id);
  assert.equal(db.hold({ printer: 'P' }, 3000), 1);
  assert.deepEqual(db.next('P', 9000), {}, 'operator hold is not retried');
  assert.equal(db.release({ ids: [id] }, 3100), 1);
  assert.ok(db.markPrinting(id, 3200));
  db.markDone(id, 0, null, 3300);
  assert.equal(db.cancel({ printer: 'P' }, 3400), 0, 'a done job cannot be cancelled');
  assert.equal(db.reprint({ ids: [id] }, 3500), 1);
  assert.equal(db.cancel({ ids: [id] }, 3600), 1);
  assert.equal(db.get(id)!.state, 'failed');
  assert.deepEqual(db.historyOf(id).map((h) => h.state), ['queued', 'printing', 'held', 'held', 'queued', 'printing', 'done', 'queued', 'failed']);
  const id2 = db.insert({ uid: '1.2.4', printer: 'P', films: 1, images: 1, copies: 1, dir }, 4000);
  db.markPrinting(id2, 4001);
  assert.equal(db.resetPrinting(4002), 1);
  assert.equal(db.get(id2)!.state, 'queued');
});

test('worker: printer down → held with back-off and WARNING reported; then done; refusal → failed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'spool-w-'));
  const db = new SpoolDb(new Database(':memory:'));
  const job = composeJob([{ item: greyItem(1, 1, 8, Buffer.from([9])), colour: false }], {}, caps);
  const mk = (uid: string): number => db.insert({ uid, printer: 'P', films: 1, images: 1, copies: 1, dir: writeJob(root, uid, job, []) }, 0);
  const outcomes: PrintOutcome[] = [
    { kind: 'printer-down', status: null, error: 'connect refused', warnings: [] },
    { kind: 'done', status: 0, warnings: [] },
    { kind: 'failed', status: 0x0106, error: 'bad value', warnings: [] },
  ];
  const states: string[] = [];
  let now = 1000;
  const printer = { name: 'P', printAs: 'P', remote: {} as PrinterDef['remote'], caps } as PrinterDef;
  const w = new PrinterWorker({
    name: 'P', db, storagePath: root, log: silentLogger, printer: () => printer, config: () => ({}) as Config,
    settings: () => ({ baseMs: 1000, capMs: 8000, maxAttempts: 0, maxQueued: 10, eventReports: true, oversize: 'demagnify', keepMs: 0 }),
    print: async () => outcomes.shift()!, onPrinterState: (s) => states.push(`${s.status} ${s.info}`), now: () => now, random: () => 1,
  });
  const a = mk('1.1');
  assert.equal(await w.step(), 'busy');
  assert.equal(db.get(a)!.state, 'held');
  assert.equal(db.get(a)!.next_attempt_at, 2000, 'first back-off: base');
  assert.equal(await w.step(), 2000, 'waits for the back-off');
  now = 2000;
  assert.equal(await w.step(), 'busy');
  assert.equal(db.get(a)!.state, 'done');
  assert.deepEqual(states, ['WARNING PRINTER DOWN', 'NORMAL NORMAL']);
  const b = mk('1.2');
  await w.step();
  assert.equal(db.get(b)!.state, 'failed');
  assert.equal(db.get(b)!.last_status, 0x0106);
});
