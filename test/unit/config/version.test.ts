import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { implementationVersionName, packageVersion } from '../../../src/config/version';

test('VV.vv.ff.bb from the package version', () => {
  assert.equal(implementationVersionName('0.1.0'), '00.01.00.00');
  assert.equal(implementationVersionName('2.0.3-rc.5'), '02.00.03.05');
  assert.equal(implementationVersionName('12.34.56+build.7'), '12.34.56.07');
  assert.ok(implementationVersionName('123.456.789-1000').length <= 16);
});

test('packageVersion is the package.json version', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  assert.equal(packageVersion(), pkg.version);
});
