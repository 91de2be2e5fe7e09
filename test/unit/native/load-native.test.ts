import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import {
  addonFileName, extractAddon, isSea, loadNative, nativeCacheDir, type SeaApi,
} from '../../../src/native/load-native';
import { tmpDir } from '../../helpers/tmp';

// The real sockopt addon (what node-gyp-build loads for it here): small and N-API.
const sockoptDir = resolve('node_modules/sockopt');
const sockoptFile = (createRequire(join(sockoptDir, 'package.json'))('node-gyp-build') as { path(d: string): string }).path(sockoptDir);
const sockoptBytes = readFileSync(sockoptFile);

function fakeSea(assets: Record<string, Buffer>): SeaApi {
  return {
    isSea: () => true,
    getRawAsset: (key) => {
      const b = assets[key];
      if (!b) throw new Error(`no asset ${key}`);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
  };
}

test('outside a single executable the normal loader runs', () => {
  assert.equal(isSea(), false, 'the test runner is plain node');
  let called = 0;
  const r = loadNative('never-extracted.node', () => { called++; return 'fallback'; });
  assert.equal(r, 'fallback');
  assert.equal(called, 1);
  assert.equal(loadNative('x.node', () => 7, { sea: null }), 7, 'Node without node:sea');
});

test('in a single executable the asset is extracted (0700 folder, 0500 file, hashed name) and dlopened once', async (t) => {
  const cache = await tmpDir('edge-native-', t);
  const env = { CACHE_DIRECTORY: `${cache}:/unused/second` };
  const opts = { sea: fakeSea({ 'sockopt-a.node': sockoptBytes }), env };
  const addon = loadNative<{ getsockopt: unknown; setsockopt: unknown }>('sockopt-a.node', () => assert.fail('fallback used'), opts);
  assert.equal(typeof addon.getsockopt, 'function', 'the real addon was loaded');
  const dir = join(cache, 'native');
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const files = readdirSync(dir);
  assert.deepEqual(files, [addonFileName('sockopt-a.node', sockoptBytes)], 'one file, no temporary left');
  assert.match(files[0], /^sockopt-a-[0-9a-f]{16}\.node$/);
  assert.equal(statSync(join(dir, files[0])).mode & 0o777, 0o500);
  assert.ok(readFileSync(join(dir, files[0])).equals(sockoptBytes));
  const again = loadNative('sockopt-a.node', () => assert.fail('fallback used'), { ...opts, sea: fakeSea({}) });
  assert.equal(again, addon, 'second call: the loaded module, the asset is not read again');
});

test('a file that is not a loadable addon fails with NATIVE_LOAD_FAILED naming the asset', async (t) => {
  const cache = await tmpDir('edge-native-', t);
  const opts = { sea: fakeSea({ 'bad.node': Buffer.from('not an ELF file') }), env: { CACHE_DIRECTORY: cache } };
  assert.throws(() => loadNative('bad.node', () => 0, opts), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'NATIVE_LOAD_FAILED');
    assert.match(e.message, /bad\.node/);
    return true;
  });
});

test('extractAddon keeps an identical file and replaces a damaged one', async (t) => {
  const dir = join(await tmpDir('edge-native-', t), 'c');
  const bytes = Buffer.from('addon v1');
  const p = extractAddon('a.node', bytes, dir);
  const ino = statSync(p).ino;
  assert.equal(extractAddon('a.node', bytes, dir), p);
  assert.equal(statSync(p).ino, ino, 'identical: not rewritten');
  chmodSync(p, 0o600);
  writeFileSync(p, 'addon v1 damaged');
  assert.equal(extractAddon('a.node', bytes, dir), p);
  assert.equal(readFileSync(p, 'utf8'), 'addon v1');
  assert.notEqual(extractAddon('a.node', Buffer.from('addon v2'), dir), p, 'new content, new name');
  assert.equal(readdirSync(dir).length, 2);
});

test('extractAddon tightens a group/world-accessible folder and refuses one owned by someone else', async (t) => {
  const base = await tmpDir('edge-native-', t);
  const loose = join(base, 'loose');
  mkdirSync(loose, { mode: 0o755 });
  chmodSync(loose, 0o755);
  extractAddon('a.node', Buffer.from('x'), loose);
  assert.equal(statSync(loose).mode & 0o777, 0o700);
  if (process.getuid?.() !== 0) return t.skip('needs root to chown a folder to another user');
  const foreign = join(base, 'foreign');
  mkdirSync(foreign, { mode: 0o700 });
  chownSync(foreign, 12345, 12345);
  assert.throws(() => extractAddon('a.node', Buffer.from('x'), foreign), { code: 'NATIVE_CACHE_UNSAFE' });
  assert.deepEqual(readdirSync(foreign), [], 'nothing written there');
});

test('nativeCacheDir: systemd CacheDirectory, then XDG_CACHE_HOME, then HOME', () => {
  assert.equal(nativeCacheDir({ CACHE_DIRECTORY: '/var/cache/dicom-edge', XDG_CACHE_HOME: '/x', HOME: '/h' }), '/var/cache/dicom-edge/native');
  assert.equal(nativeCacheDir({ CACHE_DIRECTORY: '/a:/b' }), '/a/native');
  assert.equal(nativeCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/dicom-edge');
  assert.equal(nativeCacheDir({ HOME: '/h' }), '/h/.cache/dicom-edge');
});
