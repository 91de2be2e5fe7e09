import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readIni } from '../../../src/config/ini-reader';

test('sections, entries and line numbers; repeated headers stay separate', () => {
  const doc = readIni('; c\n[A]\nx = 1\n\n# c2\n[RemoteAE]\naetitle=ONE\n[RemoteAE]\naetitle=TWO\r\n');
  assert.deepEqual(doc.problems, []);
  assert.deepEqual(doc.sections.map((s) => [s.name, s.line]), [['A', 2], ['RemoteAE', 6], ['RemoteAE', 8]]);
  assert.deepEqual(doc.sections[0].entries, [{ key: 'x', value: ' 1', line: 3 }]);
  assert.equal(doc.sections[2].entries[0].value, 'TWO', 'CR removed');
  assert.equal(doc.lineCount, 9);
  assert.equal(readIni('[A]').lineCount, 1);
});

test('values are raw (spaces kept), ; inside a value is not a comment', () => {
  const doc = readIni('[S]\ncomment =  a ; b  \n');
  assert.equal(doc.sections[0].entries[0].value, '  a ; b  ');
});

test('bad lines are problems with their line numbers', () => {
  const doc = readIni('x=1\n[S]\njust words\n[Broken\n= nokey\n[]\n[T] trailing\n');
  assert.deepEqual(doc.problems.map((p) => p.line), [1, 3, 4, 5, 6, 7]);
});

test('a BOM is ignored', () => {
  const doc = readIni('\uFEFF[S]\na=b');
  assert.equal(doc.sections[0].name, 'S');
});
