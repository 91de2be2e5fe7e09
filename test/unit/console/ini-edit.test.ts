import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendSection, maskSecrets, removeOption, removeSection, setOption } from '../../../src/console/ini-edit';
import '../../../src/console/config-section';

const TEXT = '; head\n[Network]\n; port comment\nPort   =  104\nbind = 0.0.0.0\n\n[Server]\nscp = echo\nscp = ct\n\n[RemoteAE]\naetitle = A\nip = 1.2.3.4\nport = 1\n; next\n\n[RemoteAE]\naetitle = B\nip = 1.2.3.5\nport = 2\n';

test('setOption edits the line in place: key spelling and spacing kept, everything else byte for byte', () => {
  assert.equal(setOption(TEXT, 'network', 'port', '11113'), TEXT.replace('Port   =  104', 'Port   =  11113'));
});

test('setOption adds a missing option after the section\'s last entry, and a missing section at the end', () => {
  assert.equal(setOption(TEXT, 'Network', 'readTimeout', '5'), TEXT.replace('bind = 0.0.0.0\n', 'bind = 0.0.0.0\nreadTimeout = 5\n'));
  assert.equal(setOption(TEXT, 'Console', 'baud', '9600'), `${TEXT}\n[Console]\nbaud = 9600\n`);
  assert.equal(setOption('', 'Console', 'baud', '9600'), '[Console]\nbaud = 9600\n');
});

test('CRLF files stay CRLF', () => {
  const crlf = TEXT.replace(/\n/g, '\r\n');
  assert.equal(setOption(crlf, 'Network', 'port', '1'), crlf.replace('Port   =  104', 'Port   =  1'));
});

test('a multi-valued option set replaces all its lines with one; removeOption drops them', () => {
  assert.equal(setOption(TEXT, 'Server', 'scp', 'mr'), TEXT.replace('scp = echo\nscp = ct\n', 'scp = mr\n'));
  const r = removeOption(TEXT, 'Server', 'scp');
  assert.equal(r.removed, 2);
  assert.equal(r.text, TEXT.replace('scp = echo\nscp = ct\n', ''));
});

test('unknown sections/options and line breaks in values are refused', () => {
  assert.throws(() => setOption(TEXT, 'Nope', 'x', '1'), /unknown section/);
  assert.throws(() => setOption(TEXT, 'Network', 'nope', '1'), /has no option "nope"/);
  assert.throws(() => setOption(TEXT, 'Network', 'port', '1\n[Evil]'), /line break/);
});

test('removeSection takes the header to the last entry and one blank line; the comment after stays', () => {
  assert.equal(removeSection(TEXT, 11), TEXT.replace('[RemoteAE]\naetitle = A\nip = 1.2.3.4\nport = 1\n', ''));
  assert.equal(removeSection(TEXT, 17), TEXT.replace('\n[RemoteAE]\naetitle = B\nip = 1.2.3.5\nport = 2\n', ''));
  assert.throws(() => removeSection(TEXT, 3), /no section starts at line 3/);
});

test('appendSection and maskSecrets', () => {
  assert.equal(appendSection('[A]\nx = 1\n', 'RemoteAE', [['aetitle', 'C']]), '[A]\nx = 1\n\n[RemoteAE]\naetitle = C\n');
  assert.equal(maskSecrets('[Console]\npassword = hunter2\r\nPassword=\n'), '[Console]\npassword = ********\r\nPassword=\n');
});
