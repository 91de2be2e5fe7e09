import { test } from 'node:test';
import assert from 'node:assert/strict';
import { absoluteInstancePath, checkUid, instanceRelPath, isAcceptableUid, isInstanceRelPathOf, trimUid } from '../../../src/store/paths';

test('checkUid follows PS3.5 9.1', () => {
  assert.equal(checkUid('1.2.840.10008.5.1.4.1.1.2'), null);
  assert.equal(checkUid('1.0.3'), null);
  assert.equal(checkUid(''), 'empty');
  assert.equal(checkUid('1.' + '2'.repeat(63)), 'too-long');
  assert.equal(checkUid('../../x'), 'bad-character');
  assert.equal(checkUid('1.2/3'), 'bad-character');
  assert.equal(checkUid('1..2'), 'empty-component');
  assert.equal(checkUid('1.2.'), 'empty-component');
  assert.equal(checkUid('1.02.3'), 'leading-zero');
  assert.equal(isAcceptableUid('1.02.3'), true, 'the store tolerates leading zeros');
  assert.equal(isAcceptableUid('1.02.3', false), false);
});

test('checkUid: the one-pass check answers as the plain definition on random strings (problem order kept)', () => {
  const reference = (uid: string): string | null => {
    if (uid.length === 0) return 'empty';
    if (uid.length > 64) return 'too-long';
    if (!/^[0-9.]+$/.test(uid)) return 'bad-character';
    const parts = uid.split('.');
    if (parts.some((p) => p.length === 0)) return 'empty-component';
    if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return 'leading-zero';
    return null;
  };
  let seed = 7;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const alphabet = '0123456789....0a/ ';
  for (let i = 0; i < 20000; i++) {
    const uid = Array.from({ length: rnd(70) }, () => alphabet[rnd(alphabet.length)]).join('');
    assert.equal(checkUid(uid), reference(uid), JSON.stringify(uid));
  }
  assert.equal(checkUid('1..02.x'), 'bad-character', 'a bad character comes first, wherever it is');
  assert.equal(checkUid('01..2'), 'empty-component');
});

test('trimUid removes NUL and space padding', () => {
  assert.equal(trimUid('1.2.3\0'), '1.2.3');
  assert.equal(trimUid(' 1.2.3 '), '1.2.3');
});

test('instance paths are hashes, never built from the UID text', () => {
  const rel = instanceRelPath('1.2.3.4');
  assert.match(rel, /^instances\/[0-9a-f]{2}\/[0-9a-f]{40}\.dcm$/);
  assert.equal(rel.split('/')[1], rel.split('/')[2].slice(0, 2));
  assert.ok(isInstanceRelPathOf('1.2.3.4', rel));
  const h = rel.split('/')[2].slice(0, 40);
  assert.ok(isInstanceRelPathOf('1.2.3.4', `instances/${h.slice(0, 2)}/${h.slice(2, 4)}/${h}.dcm`), 'the earlier two-level layout is still recognised');
  assert.ok(!isInstanceRelPathOf('1.2.3.5', rel));
  assert.ok(!rel.includes('1.2.3.4'));
  assert.throws(() => instanceRelPath('../../x'));
  assert.throws(() => instanceRelPath('1.2/../../etc'));
});

test('absoluteInstancePath refuses relative paths that leave instances/', () => {
  assert.equal(absoluteInstancePath('/srv/store', 'instances/ab/cd/x.dcm'), '/srv/store/instances/ab/cd/x.dcm');
  assert.throws(() => absoluteInstancePath('/srv/store', 'instances/../../etc/passwd'));
  assert.throws(() => absoluteInstancePath('/srv/store', '/etc/passwd'));
  assert.throws(() => absoluteInstancePath('/srv/store', 'tmp/x.part'));
});
