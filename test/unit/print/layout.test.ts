import { test } from 'node:test';
import assert from 'node:assert/strict';
import { densityGrey, filmSizeMm, mapDisplayFormat, mapFilmSize, mapMagnification, parseDisplayFormat } from '../../../src/print/layout';
import { parseDisplayFormats } from '../../../src/print/config';

const caps = { filmSizes: ['8INX10IN', '14INX17IN'], displayFormats: [[1, 1], [1, 2], [2, 2]] as Array<[number, number]>, magnificationTypes: ['REPLICATE', 'CUBIC'], supports12Bit: false };
const none = { filmSizes: [], displayFormats: [], magnificationTypes: [], supports12Bit: true };

test('Image Display Format: STANDARD c,r boxes left to right, top to bottom', () => {
  const f = parseDisplayFormat('STANDARD\\3,2');
  assert.ok(typeof f !== 'string');
  assert.equal(f.boxes.length, 6);
  assert.deepEqual(f.boxes[1], { x: 1 / 3, y: 0, w: 1 / 3, h: 1 / 2 });
  assert.deepEqual(f.boxes[3], { x: 0, y: 1 / 2, w: 1 / 3, h: 1 / 2 });
});

test('Image Display Format: ROW and COL count images per row / column', () => {
  const row = parseDisplayFormat('ROW\\2,1');
  assert.ok(typeof row !== 'string');
  assert.equal(row.boxes.length, 3);
  assert.deepEqual(row.boxes[2], { x: 0, y: 1 / 2, w: 1, h: 1 / 2 });
  const col = parseDisplayFormat('COL\\1,3');
  assert.ok(typeof col !== 'string');
  assert.equal(col.boxes.length, 4);
  assert.deepEqual(col.boxes[1], { x: 1 / 2, y: 0, w: 1 / 2, h: 1 / 3 });
});

test('Image Display Format: unsupported or malformed values are problems', () => {
  for (const v of ['SLIDE', 'CUSTOM\\1', 'STANDARD\\2', 'STANDARD\\0,1', 'ROW\\', 'STANDARD\\1,1,1']) assert.equal(typeof parseDisplayFormat(v), 'string', v);
});

test('film sizes in mm, densities to grey', () => {
  assert.deepEqual(filmSizeMm('14INX17IN'), [355.59999999999997, 431.79999999999995]);
  assert.deepEqual(filmSizeMm('24CMX30CM'), [240, 300]);
  assert.deepEqual(filmSizeMm('8_5INX11IN')?.map(Math.round), [216, 279]);
  assert.equal(filmSizeMm('HUGE'), undefined);
  assert.equal(densityGrey('BLACK', 9), 0);
  assert.equal(densityGrey('WHITE', 9), 255);
  assert.equal(densityGrey('150', 9), 128);
  assert.equal(densityGrey(undefined, 9), 9);
});

test('mapping to the printer: film size nearest in area, format with room, magnification fallback', () => {
  assert.equal(mapFilmSize('14INX17IN', caps), '14INX17IN');
  assert.equal(mapFilmSize('14INX14IN', caps), '14INX17IN');
  assert.equal(mapFilmSize('8INX10IN', none), '8INX10IN');
  assert.deepEqual(mapDisplayFormat('STANDARD\\2,2', 4, caps), { format: 'STANDARD\\2,2', capacity: 4 });
  assert.deepEqual(mapDisplayFormat('ROW\\2,1', 3, caps), { format: 'STANDARD\\2,2', capacity: 4 });
  assert.deepEqual(mapDisplayFormat('STANDARD\\3,3', 9, caps), { format: 'STANDARD\\2,2', capacity: 4 }, 'largest when none holds all: the SCU splits');
  assert.deepEqual(mapDisplayFormat('STANDARD\\3,3', 9, none), { format: 'STANDARD\\3,3', capacity: 9 });
  assert.equal(mapMagnification('CUBIC', caps), 'CUBIC');
  assert.equal(mapMagnification('BILINEAR', caps), 'CUBIC');
  assert.equal(mapMagnification(undefined, caps), undefined);
});

test('displayFormats option syntax (DCMTK DisplayFormat)', () => {
  assert.deepEqual(parseDisplayFormats('1,1\\1,2 2,2'), [[1, 1], [1, 2], [2, 2]]);
  assert.equal(typeof parseDisplayFormats('1x1'), 'string');
});
