#!/usr/bin/env node
// Builds dist/dicom-edge, a Node single executable application (SEA) that runs with no
// node_modules and no Node installed. Named steps (TypeSpec standalone build habit):
//   1 bundle   esbuild bundle for the SEA: everything bundled, the native packages' loaders
//              (`bindings`, `node-gyp-build`) replaced by src/native/load-native.ts
//   2 addons   the .node files those loaders would load, collected as SEA assets
//   3 blob     sea-config.json + `node --experimental-sea-config`
//   4 node     copy this Node binary and strip it (BEFORE injection: stripping after breaks it)
//   5 inject   postject the blob into the copy
//   6 smoke    run the binary alone in an empty temp folder: --version, config check,
//              its embedded addons, and `run` + `echo` against itself
// Also writes dist/dicom-edge.ini (the embedded default configuration) for scripts/install.
// Usage: node scripts/build-binary.mjs [--skip-smoke] [--only ini]
import { build } from 'esbuild';
import { jpegWorkerSource } from './lib/jpeg-worker.mjs';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync,
  statSync, writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const WORK = join(DIST, 'sea');
const OUT = join(DIST, 'dicom-edge');
const SHIM = join(ROOT, 'src/native/load-native.ts');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const args = process.argv.slice(2);
const requireHere = createRequire(join(ROOT, 'package.json'));

/** Native packages: which loader each one calls, and the asset name of its addon. */
const ADDONS = [
  { pkg: 'better-sqlite3', loader: 'bindings', asset: 'better_sqlite3.node', file: (dir) => join(dir, 'build/Release/better_sqlite3.node') },
  { pkg: 'sockopt', loader: 'node-gyp-build', asset: 'sockopt.node', file: (dir) => nodeGypBuildPath(dir) },
  { pkg: '@serialport/bindings-cpp', loader: 'node-gyp-build', asset: 'serialport_bindings.node', file: (dir) => nodeGypBuildPath(dir) },
];

function step(n, name, fn) {
  const t0 = performance.now();
  process.stdout.write(`[${n}] ${name} ... `);
  const r = fn();
  const done = (v) => { console.log(`ok (${((performance.now() - t0) / 1000).toFixed(1)} s)`); return v; };
  return r instanceof Promise ? r.then(done) : done(r);
}

function packageDir(name) {
  return dirname(requireHere.resolve(`${name}/package.json`));
}

/** The file node-gyp-build itself would load for the package in `dir` (build/Release first, then prebuilds). */
function nodeGypBuildPath(dir) {
  return createRequire(join(dir, 'package.json'))('node-gyp-build').path(dir);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

// Step 0 (also used alone by scripts/install): the embedded default INI as a file.
async function writeDefaultIni() {
  const r = await build({
    entryPoints: [join(ROOT, 'src/config/default-ini.ts')], bundle: true, platform: 'node', format: 'cjs',
    target: 'node20', write: false, logLevel: 'warning',
  });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', r.outputFiles[0].text)(mod, mod.exports, requireHere);
  mkdirSync(DIST, { recursive: true });
  writeFileSync(join(DIST, 'dicom-edge.ini'), mod.exports.defaultIniText(), { mode: 0o644 });
}

/**
 * esbuild plugin: `require('bindings')` / `require('node-gyp-build')` inside a native package
 * becomes loadNative(<its asset>, <the real loader>), so the SEA loads the embedded addon.
 */
const nativeLoaderPlugin = {
  name: 'native-loaders',
  setup(b) {
    b.onResolve({ filter: /^(bindings|node-gyp-build)$/ }, (a) => {
      const addon = ADDONS.find((x) => a.importer.startsWith(packageDir(x.pkg) + sep) && x.loader === a.path);
      if (!addon) throw new Error(`native loader ${a.path} required by ${a.importer}: not a known addon (add it to ADDONS)`);
      return { path: addon.asset, namespace: 'native-addon', pluginData: { addon, resolveDir: dirname(a.importer) } };
    });
    b.onLoad({ filter: /.*/, namespace: 'native-addon' }, (a) => {
      const { addon, resolveDir } = a.pluginData;
      const real = createRequire(join(resolveDir, 'x.js')).resolve(addon.loader);
      return {
        resolveDir,
        loader: 'js',
        contents: `const { loadNative } = require(${JSON.stringify(SHIM)});
module.exports = function (...args) {
  return loadNative(${JSON.stringify(addon.asset)}, () => require(${JSON.stringify(real)})(...args));
};`,
      };
    });
  },
};

// The SEA entry. DICOM_EDGE_SEA_SELFTEST=native loads every embedded addon and exits (used by
// the smoke test: the agent itself does not open a serial port). Otherwise: the CLI.
const ENTRY = `
if (process.env.DICOM_EDGE_SEA_SELFTEST === 'native') {
  const db = new (require('better-sqlite3'))(':memory:');
  const v = db.prepare('select sqlite_version() as v').get().v;
  db.close();
  const so = require('sockopt');
  const { binding } = require('@serialport/bindings-cpp/dist/serialport-bindings');
  const ok = typeof so.setsockopt === 'function' && typeof binding.open === 'function';
  process.stdout.write('native: sqlite ' + v + ', sockopt, serialport ' + (ok ? 'ok' : 'MISSING') + '\\n');
  process.exit(ok ? 0 : 1);
}
const { main } = require('./src/cli/main');
main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  process.stderr.write('dicom-edge: ' + (e && e.message || e) + '\\n');
  process.exit(1);
});
`;

async function bundle() {
  mkdirSync(WORK, { recursive: true });
  const r = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, sourcefile: 'sea-entry.js', loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: join(WORK, 'dicom-edge-sea.js'),
    // main.ts starts itself when `require.main === module`; here the entry above starts it.
    define: { __DICOM_EDGE_VERSION__: JSON.stringify(pkg.version), __JPEG_WORKER__: JSON.stringify(await jpegWorkerSource()), 'require.main': 'undefined' },
    plugins: [nativeLoaderPlugin],
    legalComments: 'none',
    logLevel: 'error',
    metafile: true,
  });
  const inputs = Object.keys(r.metafile.inputs);
  for (const a of ADDONS) {
    if (!inputs.includes(`native-addon:${a.asset}`)) throw new Error(`${a.pkg}'s loader was not replaced: its addon would not load in the SEA`);
  }
}

function collectAddons() {
  const assets = {};
  for (const a of ADDONS) {
    const file = a.file(packageDir(a.pkg));
    if (!existsSync(file)) throw new Error(`${a.pkg}: addon ${file} missing (run npm ci)`);
    assets[a.asset] = file;
  }
  return assets;
}

function makeBlob(assets) {
  const config = {
    main: join(WORK, 'dicom-edge-sea.js'),
    output: join(WORK, 'sea-prep.blob'),
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    assets,
  };
  writeFileSync(join(WORK, 'sea-config.json'), `${JSON.stringify(config, null, 2)}\n`);
  run(process.execPath, ['--experimental-sea-config', join(WORK, 'sea-config.json')], { cwd: ROOT });
}

function copyNode() {
  const tmp = `${OUT}.tmp`;
  rmSync(tmp, { force: true });
  copyFileSync(process.execPath, tmp);
  chmodSync(tmp, 0o755);
  run('strip', ['--strip-all', tmp]);
  return tmp;
}

function inject(tmp) {
  const postject = join(dirname(requireHere.resolve('postject/package.json')), 'dist/cli.js');
  run(process.execPath, [postject, tmp, 'NODE_SEA_BLOB', join(WORK, 'sea-prep.blob'), '--sentinel-fuse', FUSE]);
  renameSync(tmp, OUT);
}

export { smokeTest };

/** Runs the binary copied alone into an empty temp folder with a PATH that holds no node. */
async function smokeTest(binary = OUT) {
  const dir = mkdtempSync(join(tmpdir(), 'dicom-edge-smoke-'));
  const bin = join(dir, 'dicom-edge');
  copyFileSync(binary, bin);
  chmodSync(bin, 0o755);
  const env = { PATH: '/nonexistent', HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), LANG: 'C' };
  const opts = { cwd: dir, env, timeout: 30000 };
  try {
    const version = run(bin, ['--version'], opts).trim();
    if (version !== pkg.version) throw new Error(`--version printed "${version}", expected ${pkg.version}`);
    run(bin, ['config', 'check'], opts);
    const native = run(bin, [], { ...opts, env: { ...env, DICOM_EDGE_SEA_SELFTEST: 'native' } });
    if (!/serialport ok/.test(native)) throw new Error(`native self-test: ${native}`);
    await echoItself(bin, dir, opts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function echoItself(bin, dir, opts) {
  const port = await freePort();
  const ini = readFileSync(join(DIST, 'dicom-edge.ini'), 'utf8')
    .replace(/^port = .*$/m, `port = ${port}`).replace(/^bind = .*$/m, 'bind = 127.0.0.1')
    .replace(/^aeTitle = .*$/m, 'aeTitle = EDGE').replace(/^path = .*$/m, `path = ${join(dir, 'data')}`);
  writeFileSync(join(dir, 'edge.ini'), ini);
  const agent = spawn(bin, ['run', '--config', join(dir, 'edge.ini')], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  agent.stdout.on('data', (d) => { log += d; });
  agent.stderr.on('data', (d) => { log += d; });
  try {
    await waitListening(port, agent, () => log);
    const out = run(bin, ['echo', '-aec', 'EDGE', '--config', join(dir, 'edge.ini'), '127.0.0.1', String(port)], opts);
    if (!/Success/.test(out)) throw new Error(`echo: ${out}`);
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => (agent.exitCode !== null ? r() : agent.once('exit', r)));
  }
  if (agent.exitCode !== 0) throw new Error(`agent exited ${agent.exitCode} after SIGTERM:\n${log}`);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

async function waitListening(port, child, log) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}:\n${log()}`);
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`agent not listening on ${port} after 15 s:\n${log()}`);
}

async function main() {
  if (args.includes('--only')) {
    const what = args[args.indexOf('--only') + 1];
    if (what !== 'ini') throw new Error(`--only ${what}: only "ini" is supported`);
    await writeDefaultIni();
    console.log(`wrote ${relative(ROOT, join(DIST, 'dicom-edge.ini'))}`);
    return;
  }
  await writeDefaultIni();
  await step(1, 'bundle (esbuild, native loaders → load-native)', bundle);
  const assets = step(2, 'collect native addons as SEA assets', collectAddons);
  step(3, 'SEA config and blob', () => makeBlob(assets));
  const tmp = step(4, 'copy and strip node', copyNode);
  step(5, 'inject blob (postject)', () => inject(tmp));
  const size = statSync(OUT).size;
  const sha = createHash('sha256').update(readFileSync(OUT)).digest('hex').slice(0, 16);
  console.log(`built ${relative(ROOT, OUT)}: ${(size / 1048576).toFixed(1)} MiB, sha256 ${sha}…`);
  if (!args.includes('--skip-smoke')) await step(6, 'smoke test (alone in an empty folder, no node on PATH)', () => smokeTest());
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`\nbuild-binary: ${e.message}`);
    process.exit(1);
  });
}
