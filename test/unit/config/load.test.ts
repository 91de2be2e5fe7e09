import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, readKernelBufferLimits, resolveConfigPath } from '../../../src/config/load';
import { checkConfigFile, configCheckCommand } from '../../../src/config/check';
import { ConfigError } from '../../../src/util/errors';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'edge-cfg-'));

test('resolveConfigPath: --config, then DICOM_CONFIG_FILE, then the embedded default', () => {
  assert.equal(resolveConfigPath('/a/cli.ini', { DICOM_CONFIG_FILE: '/b/env.ini' }), '/a/cli.ini');
  assert.equal(resolveConfigPath(undefined, { DICOM_CONFIG_FILE: '/b/env.ini' }), '/b/env.ini');
  assert.equal(resolveConfigPath(undefined, { DICOM_CONFIG_FILE: 'rel.ini' }), resolve('rel.ini'));
  assert.equal(resolveConfigPath(undefined, {}), undefined);
  assert.equal(resolveConfigPath('', { DICOM_CONFIG_FILE: '' }), undefined);
});

test('loadConfig(FILE): paths relative to the file folder', () => {
  const dir = tmp();
  const file = join(dir, 'edge.ini');
  writeFileSync(file, '[Local AE]\naeTitle = FROMFILE\n[Storage]\npath = store\n[Server]\nscp = ct\naccept = X, 127.0.0.1\n');
  const c = loadConfig(file);
  assert.equal(c.localAe.aeTitle, 'FROMFILE');
  assert.equal(c.storage.path, join(dir, 'store'));
  assert.equal(c.options.dumpDir, join(dir, 'store', 'dumps'));
  assert.equal(c.file, file);
  assert.deepEqual(c.warnings, []);
});

test('loadConfig(): the embedded default, data under ./var', () => {
  const c = loadConfig();
  assert.equal(c.localAe.aeTitle, 'DICOM_EDGE');
  assert.equal(c.network.port, 11112);
  assert.equal(c.storage.path, resolve('var'));
  assert.equal(c.file, undefined);
});

test('loadConfig throws ConfigError with every problem', () => {
  const dir = tmp();
  const file = join(dir, 'bad.ini');
  writeFileSync(file, '[Network]\nport = x\n[Nope]\n');
  assert.throws(() => loadConfig(file), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.deepEqual(e.problems.map((p) => p.slice(file.length)), [
      ':2: [Network] port: "x" is not a whole number',
      ':3: unknown section [Nope]',
      ':3: missing [Local AE] aeTitle (the AE title of this server)',
    ]);
    return true;
  });
  assert.throws(() => loadConfig(join(dir, 'missing.ini')), /cannot read/);
});

test('kernel buffer maximum read from an injectable proc folder', () => {
  const dir = tmp();
  const proc = join(dir, 'proc');
  mkdirSync(proc);
  writeFileSync(join(proc, 'wmem_max'), '212992\n');
  writeFileSync(join(proc, 'rmem_max'), '4194304\n');
  assert.deepEqual(readKernelBufferLimits(proc), { wmemMax: 212992, rmemMax: 4194304 });
  assert.deepEqual(readKernelBufferLimits(join(dir, 'none')), { wmemMax: undefined, rmemMax: undefined });
  const file = join(dir, 'b.ini');
  writeFileSync(file, '[Local AE]\naeTitle=A\n[Network]\nsocketSndBuf = 1048576\nsocketRcvBuf = 1048576\n[Server]\nscp=echo\naccept = B, ::1\n');
  const c = loadConfig(file, { procDir: proc });
  assert.equal(c.warnings.length, 1, c.warnings.join('\n'));
  assert.match(c.warnings[0], /:4: warning: socketSndBuf 1048576 is above the kernel maximum 212992/);
});

test('config check: every problem and warning, ok flag, exit code', () => {
  const dir = tmp();
  const bad = join(dir, 'bad.ini');
  writeFileSync(bad, '[Local AE]\naeTitle = A\n[Options]\nverifyIPAddr = Off\ndebug = perhaps\n');
  const r = checkConfigFile(bad);
  assert.equal(r.ok, false);
  assert.deepEqual(r.lines.map((l) => l.slice(bad.length)), [
    ':5: [Options] debug: "perhaps" is not On/Off, Yes/No, true/false or 1/0',
    ':4: warning: verifyIPAddr is Off: anyone may connect: keep it On in a clinical (production) environment',
    ':5: warning: [Server] has no scu/scp/scuscp lines: acting as SCP for echo, every storage class, Q/R FIND/MOVE/GET and worklist',
    ': 1 problem(s), 2 warning(s)',
  ]);
  assert.equal(configCheckCommand(bad, {}).exitCode, 1);
  const good = join(dir, 'good.ini');
  writeFileSync(good, '[Local AE]\naeTitle = A\n[Server]\nscp = ct\naccept = M, 127.0.0.1\n');
  const g = configCheckCommand(undefined, { DICOM_CONFIG_FILE: good });
  assert.equal(g.exitCode, 0);
  assert.deepEqual(g.lines.length, 1);
  assert.match(g.lines[0], /OK — AE A on 0\.0\.0\.0:104, 1 server SOP classes, 0 remote AE/);
  assert.equal(checkConfigFile(join(dir, 'nope.ini')).ok, false);
  const embedded = configCheckCommand(undefined, {});
  assert.equal(embedded.exitCode, 0);
  assert.equal(embedded.lines.filter((l) => l.includes('warning:')).length, 2);
});
