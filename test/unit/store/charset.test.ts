import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeText, normalizePersonName, parseCharsetTerms, personNameGroups } from '../../../src/store/charset';

const ESC = 0x1b;
const b = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

test('ISO_IR 100 decodes Latin-1 (true ISO 8859-1)', () => {
  assert.equal(decodeText(Buffer.from('Müller^Jürgen', 'latin1'), ['ISO_IR 100']), 'Müller^Jürgen');
});

test('ISO_IR 192 decodes UTF-8', () => {
  assert.equal(decodeText(Buffer.from('山田^太郎', 'utf8'), ['ISO_IR 192']), '山田^太郎');
});

test('ISO_IR 101 and ISO_IR 144 decode their ISO 8859 parts', () => {
  assert.equal(decodeText(Buffer.from([0xa3, 0xf3, 0x64, 0xbc]), ['ISO_IR 101']), 'Łódź');
  assert.equal(decodeText(Buffer.from([0xb8, 0xd2, 0xd0, 0xdd]), ['ISO_IR 144']), 'Иван');
});

test('default repertoire: undeclared UTF-8 or Latin-1 bytes are decoded best effort', () => {
  assert.equal(decodeText(Buffer.from('Doe^John'), []), 'Doe^John');
  assert.equal(decodeText(Buffer.from('Zoë', 'utf8'), []), 'Zoë');
  assert.equal(decodeText(Buffer.from('Zoë', 'latin1'), []), 'Zoë');
  assert.equal(decodeText(Buffer.from('Zoë', 'latin1'), ['NOT A CHARSET']), 'Zoë');
});

test('ISO 2022 IR 87: Japanese PN with escape sequences (PS3.5 H.3.1)', () => {
  const bytes = b(
    'Yamada^Tarou=',
    [ESC, 0x24, 0x42, 0x3b, 0x33, 0x45, 0x44, ESC, 0x28, 0x42], '^',
    [ESC, 0x24, 0x42, 0x42, 0x40, 0x4f, 0x3a, ESC, 0x28, 0x42], '=',
    [ESC, 0x24, 0x42, 0x24, 0x64, 0x24, 0x5e, 0x24, 0x40, ESC, 0x28, 0x42], '^',
    [ESC, 0x24, 0x42, 0x24, 0x3f, 0x24, 0x6d, 0x24, 0x26, ESC, 0x28, 0x42],
  );
  assert.equal(decodeText(bytes, ['', 'ISO 2022 IR 87']), 'Yamada^Tarou=山田^太郎=やまだ^たろう');
});

test('ISO 2022 IR 149: Korean G1 designated again after each delimiter', () => {
  const bytes = b('Hong^Gildong=', [ESC, 0x24, 0x29, 0x43, 0xc8, 0xab], '^', [ESC, 0x24, 0x29, 0x43, 0xb1, 0xe6, 0xb5, 0xbf]);
  assert.equal(decodeText(bytes, ['', 'ISO 2022 IR 149']), 'Hong^Gildong=홍^길동');
});

test('ISO 2022 IR 100 as first term: G1 is Latin-1 from the start', () => {
  assert.equal(decodeText(Buffer.from('Müller', 'latin1'), ['ISO 2022 IR 100']), 'Müller');
});

test('ISO 2022: bytes in an undesignated G1 become U+FFFD, never throw', () => {
  assert.equal(decodeText(Buffer.from([0x41, 0xe9]), ['ISO 2022 IR 6']), 'A\ufffd');
});

test('charset terms, PN groups and the normalised matching key', () => {
  assert.deepEqual(parseCharsetTerms('\\ISO 2022 IR 87 '), ['', 'ISO 2022 IR 87']);
  assert.deepEqual(parseCharsetTerms(null), []);
  assert.deepEqual(personNameGroups('Yamada^Tarou=山田^太郎=やまだ^たろう'), { alphabetic: 'Yamada^Tarou', ideographic: '山田^太郎', phonetic: 'やまだ^たろう' });
  assert.equal(normalizePersonName('Müller^Jürgen^^^'), 'MÜLLER^JÜRGEN');
});
