import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load';

const MIN = '[Local AE]\naeTitle = EDGE\n';

/** The single problem a snippet (appended after MIN, so it starts on line 3) produces. */
function oneProblem(snippet: string): string {
  const r = parseConfig(MIN + snippet, 'p.ini');
  assert.equal(r.config, undefined);
  assert.equal(r.problems.length, 1, r.problems.join('\n'));
  return r.problems[0];
}

test('one file with 6 mistakes gives 6 problems at once, sorted, with FILE:LINE:', () => {
  const text = [
    '[Local AE]', //                      1
    'aeTitle = WAY_TOO_LONG_AE_TITLE', // 2  AE title > 16
    '[Network]', //                       3
    'port = 70000', //                    4  out of range
    'colour = blue', //                   5  unknown option
    '[Options]', //                       6
    'debug = maybe', //                   7  bad boolean
    '[Server]', //                        8
    'scp = ct, jpegLossless', //          9  unknown abbreviation / syntax
    '[Frobnicate]', //                    10 unknown section
    'x = 1', //                           11 (belongs to the unknown section: not reported again)
  ].join('\n');
  const r = parseConfig(text, 'six.ini');
  assert.equal(r.config, undefined);
  assert.deepEqual(r.problems.map((p) => p.split(': ')[0]), [
    'six.ini:2', 'six.ini:4', 'six.ini:5', 'six.ini:7', 'six.ini:9', 'six.ini:10',
  ]);
  assert.match(r.problems[0], /longer than 16/);
  assert.match(r.problems[1], /70000 is out of range 1-65535/);
  assert.match(r.problems[2], /unknown option "colour" in \[Network\]/);
  assert.match(r.problems[3], /"maybe" is not On\/Off/);
  assert.match(r.problems[4], /"jpegLossless"/);
  assert.match(r.problems[5], /unknown section \[Frobnicate\]/);
});

test('numbers', () => {
  assert.match(oneProblem('[Network]\nport = 0\n'), /^p\.ini:4: \[Network\] port: 0 is out of range/);
  assert.match(oneProblem('[Network]\nport = 12ab\n'), /^p\.ini:4: .*not a whole number/);
  assert.match(oneProblem('[Network]\nreadTimeout = -1\n'), /^p\.ini:4: .*out of range 0-/);
  assert.match(oneProblem('[Network]\nmaxpdu = 1e5\n'), /^p\.ini:4: .*not a whole number/);
  assert.match(oneProblem('[Network]\nmaxpdu = 100\n'), /^p\.ini:4: .*maxpdu: 100 is out of range/);
  assert.match(oneProblem('[Network]\nsocketRcvBuf = \n'), /^p\.ini:4: .*not a whole number/);
});

test('maxpdu: 0 (no limit) and 4096 are fine', () => {
  for (const v of ['0', '4096', '4294967295']) {
    assert.deepEqual(parseConfig(`${MIN}[Network]\nmaxpdu = ${v}\n`).problems, [], v);
  }
});

test('AE titles', () => {
  assert.match(oneProblem('[RemoteAE]\naetitle = A\\B\nip=::1\nport=1\n'), /^p\.ini:4: .*backslash/);
  assert.match(oneProblem('[RemoteAE]\naetitle = A\u0007B\nip=::1\nport=1\n'), /^p\.ini:4: .*control/);
  assert.match(oneProblem('[RemoteAE]\naetitle =    \nip=::1\nport=1\n'), /^p\.ini:4: .*empty/);
  assert.match(oneProblem('[Server]\nscp=echo\naccept = 12345678901234567, 10.0.0.1\n'), /^p\.ini:5: .*longer than 16/);
});

test('missing [Local AE] aeTitle', () => {
  const r = parseConfig('[Network]\nport = 5\n', 'm.ini');
  assert.deepEqual(r.problems, ['m.ini:2: missing [Local AE] aeTitle (the AE title of this server)']);
  const r2 = parseConfig('[Network]\n[Local AE]\n', 'm.ini');
  assert.deepEqual(r2.problems, ['m.ini:2: missing [Local AE] aeTitle (the AE title of this server)']);
});

test('UIDs, transfer syntaxes and abbreviations', () => {
  assert.match(oneProblem('implementationClassUid = 1.02.3\n'), /^p\.ini:3: .*bad UID syntax "1\.02\.3"/);
  assert.match(oneProblem('implementationClassUid = 1.2.x\n'), /bad UID syntax/);
  assert.match(oneProblem('[Server]\nscp = 1..2\n'), /^p\.ini:4: .*bad UID syntax "1\.\.2"/);
  assert.match(oneProblem('[Server]\nscp = cat\n'), /^p\.ini:4: .*unknown SOP class abbreviation or transfer syntax "cat"/);
  assert.match(oneProblem('[Server]\nscp = ct, 1.2.840.10008.1.2.4.50\n'), /unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.50/);
  assert.match(oneProblem('[Server]\nscp = explicitLittle\n'), /no SOP class given/);
  assert.match(oneProblem('[Server]\nscp = ct, explicitLittle, mr\n'), /SOP class "mr" after a transfer syntax/);
  assert.match(oneProblem('[Server]\nscp = ct,, mr\n'), /empty item/);
  assert.match(oneProblem('[Transfer Syntax]\ntrSyn = explicitLittle, littleOld\n'), /^p\.ini:4: .*unknown transfer syntax "littleOld"/);
  assert.match(oneProblem('[Server]\nscp=echo\ntrSynOrder = sometimes\n'), /^p\.ini:5: .*not one of server, client/);
});

test('accept', () => {
  assert.match(oneProblem('[Server]\nscp=echo\naccept = CT1\n'), /^p\.ini:5: .*AE_TITLE, IP_ADDRESS pairs/);
  assert.match(oneProblem('[Server]\nscp=echo\naccept = CT1, host.example\n'), /^p\.ini:5: .*not an IPv4\/IPv6 address or \*/);
});

test('remote AEs: missing keys, duplicates, bad ip', () => {
  const r = parseConfig(`${MIN}[RemoteAE]\nuserName = X\n[RemoteAE]\naetitle = A\nip = 10.0.0.1\nport = 1\nuserName = Same\n[RemoteAE]\naetitle = A\nip = 10.0.0.2\nport = 2\nuserName = same\n`, 'r.ini');
  assert.deepEqual(r.problems, [
    'r.ini:3: [RemoteAE] has no aetitle',
    'r.ini:3: [RemoteAE] has no ip',
    'r.ini:3: [RemoteAE] has no port',
    'r.ini:11: duplicate remote AE title "A" (also at line 5)',
    'r.ini:14: duplicate remote userName "same" (also at line 5)',
  ]);
  assert.match(oneProblem('[RemoteAE]\naetitle=A\nip=localhost\nport=1\n'), /^p\.ini:5: .*"localhost" is not an IPv4\/IPv6 address/);
});

test('a single-valued option given twice', () => {
  assert.match(oneProblem('[Network]\nport = 1\nPort = 2\n'), /^p\.ini:5: \[Network\] Port: given more than once \(first at line 4\)/);
  // non-repeated sections merge, so the same holds across two [Network] headers
  assert.match(oneProblem('[Network]\nport = 1\n[Network]\nport = 2\n'), /^p\.ini:6: .*first at line 4/);
});

test('lines that are neither header nor name=value', () => {
  assert.match(oneProblem('[Network\n'), /^p\.ini:3: section header without closing bracket/);
  assert.match(oneProblem('port 104\n'), /^p\.ini:3: neither a \[Section\] header nor name=value/);
  assert.match(parseConfig('port = 1\n' + MIN).problems[0], /:1: option "port" before any \[Section\] header/);
});
