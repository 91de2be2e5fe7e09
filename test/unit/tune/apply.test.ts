import '../../../src/config/features';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load';
import { defaultIniText } from '../../../src/config/default-ini';
import { applyTuning, iniWithValues, tuningLogLine, valuesToWrite, writeTuning } from '../../../src/tune/apply';

const tuned = { values: { socketSndBuf: 126976, socketRcvBuf: 212992, dimseSize: 2097152, maxPdu: 131072, maxAssociations: 143 } };

const ini = (network: string, memory = '') => `[Network]\nport = 11112\n${network}\n[Memory]\n${memory}\n[Local AE]\naeTitle = EDGE\n[Options]\nverifyIPAddr = Off\n`;
const parse = (text: string) => {
  const r = parseConfig(text, '/x/edge.ini');
  assert.deepEqual(r.problems, []);
  return r.config!;
};

test('applyTuning replaces only auto/absent options; explicit INI values win', () => {
  const c = parse(ini('socketSndBuf = 65536\nsocketRcvBuf = auto\nmaxpdu = 16384', 'dimseSize = auto'));
  assert.deepEqual(c.autoKeys.sort(), ['dimseSize', 'maxAssociations', 'socketRcvBuf']);
  const r = applyTuning(c, tuned);
  assert.deepEqual(r.applied, ['socketRcvBuf', 'maxAssociations', 'dimseSize']);
  assert.equal(r.config.network.socketSndBuf, 65536, 'explicit');
  assert.equal(r.config.network.maxPdu, 16384, 'explicit');
  assert.equal(r.config.network.socketRcvBuf, 212992);
  assert.equal(r.config.network.maxAssociations, 143);
  assert.equal(r.config.memory.dimseSize, 2097152);
  assert.equal(c.network.socketRcvBuf, 131072, 'the input config is not changed');
  assert.equal(r.config.network.port, 11112);
  assert.deepEqual(r.config.sections, c.sections, 'extra fields of LoadedConfig survive');
  assert.equal(tuningLogLine(r), 'tuned socketRcvBuf=212992 maxAssociations=143 dimseSize=2097152; explicit in the INI: maxpdu=16384 socketSndBuf=65536');
});

test('the default INI (all auto) takes every tuned value', () => {
  const c = parseConfig(defaultIniText(), '/x/edge.ini').config!;
  const r = applyTuning(c, tuned);
  assert.deepEqual(r.applied.sort(), ['dimseSize', 'maxAssociations', 'maxpdu', 'socketRcvBuf', 'socketSndBuf']);
  assert.equal(r.config.network.maxPdu, 131072);
  assert.equal(r.config.network.socketSndBuf, 126976);
});

test('iniWithValues edits in place, keeps key spelling, spacing and comments, adds missing keys under the section', () => {
  const text = '; head comment\n[network]\n; the port\nport = 11112\nSOCKETSNDBUF=auto\nmaxpdu   =  auto\n\n[Local AE]\naeTitle = X\n';
  const out = iniWithValues(text, { socketSndBuf: 126976, maxpdu: 65530, maxAssociations: 143, dimseSize: 2097152 });
  assert.equal(out, '; head comment\n[network]\n; the port\nport = 11112\nSOCKETSNDBUF=126976\nmaxpdu   =  65530\nmaxAssociations = 143\n\n[Local AE]\naeTitle = X\n\n[Memory]\ndimseSize = 2097152\n');
});

test('iniWithValues keeps CRLF line endings and a missing final newline', () => {
  const out = iniWithValues('[Network]\r\nsocketRcvBuf = auto\r\n[Memory]', { socketRcvBuf: 212992, dimseSize: 1048576 });
  assert.equal(out, '[Network]\r\nsocketRcvBuf = 212992\r\n[Memory]\r\ndimseSize = 1048576');
});

test('the rewritten default INI parses with the tuned values as explicit ones and nothing else changed', () => {
  const text = defaultIniText();
  const out = iniWithValues(text, valuesToWrite(['maxpdu', 'socketSndBuf', 'socketRcvBuf', 'maxAssociations', 'dimseSize'], tuned));
  const before = text.split('\n');
  const after = out.split('\n');
  assert.equal(after.length, before.length);
  const changed = before.map((l, i) => [l, after[i]]).filter(([a, b]) => a !== b);
  assert.deepEqual(changed, [
    ['maxpdu = auto', 'maxpdu = 131072'],
    ['socketSndBuf = auto', 'socketSndBuf = 126976'],
    ['socketRcvBuf = auto', 'socketRcvBuf = 212992'],
    ['maxAssociations = auto', 'maxAssociations = 143'],
    ['dimseSize = auto', 'dimseSize = 2097152'],
  ]);
  const c = parseConfig(out, '/x/edge.ini').config!;
  assert.deepEqual(c.autoKeys, []);
  assert.equal(c.network.maxPdu, 131072);
  assert.equal(c.memory.dimseSize, 2097152);
});

test('writeTuning: atomic replace with a .bak of the old text, same mode, no temp file left; explicit keys untouched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tune-write-'));
  const path = join(dir, 'edge.ini');
  const text = ini('socketSndBuf = 65536\n; keep me\nsocketRcvBuf = auto', '');
  writeFileSync(path, text);
  chmodSync(path, 0o640);
  const c = parse(text);
  const r = writeTuning(path, c.autoKeys, tuned);
  assert.deepEqual(r.written, { maxpdu: 131072, socketRcvBuf: 212992, maxAssociations: 143, dimseSize: 2097152 });
  assert.equal(r.backup, `${path}.bak`);
  assert.equal(readFileSync(`${path}.bak`, 'utf8'), text);
  const now = readFileSync(path, 'utf8');
  assert.match(now, /^socketSndBuf = 65536$/m);
  assert.match(now, /^; keep me\nsocketRcvBuf = 212992$/m);
  assert.match(now, /^\[Memory\]\ndimseSize = 2097152$/m);
  assert.equal(statSync(path).mode & 0o777, 0o640);
  assert.deepEqual(readdirSync(dir).sort(), ['edge.ini', 'edge.ini.bak']);
  const again = writeTuning(path, parse(now).autoKeys, tuned);
  assert.deepEqual(again, { written: {} }, 'nothing left to tune: file not rewritten');
});
