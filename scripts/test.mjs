#!/usr/bin/env node
// Transpiles src/ and test/ (no bundling) into dist/test-build, then runs node:test on
// every test/**/*.test.ts. `node scripts/test.mjs unit` runs only test/unit.
// Node 20 cannot strip TypeScript types itself, hence the transpile step.
import { build } from 'esbuild';
import { readdirSync, statSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { jpegWorkerSource } from './lib/jpeg-worker.mjs';

const only = process.argv[2];
const outdir = 'dist/test-build';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

await build({
  entryPoints: [...walk('src'), ...walk('test')],
  outdir,
  outbase: '.',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  define: { __DICOM_EDGE_VERSION__: JSON.stringify(pkg.version), __JPEG_WORKER__: JSON.stringify(await jpegWorkerSource()) },
  logLevel: 'warning',
});

if (!process.env.SKIP_TSC) {
  const tc = spawnSync('npx', ['tsc', '--noEmit', '-p', '.'], { stdio: 'inherit' });
  if (tc.status !== 0) process.exit(tc.status ?? 1);
}

// Integration tests run the bundled CLI (dist/dicom-edge.js) as a separate process.
if (!only || only.startsWith('integration')) {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const filter = (f) => f.endsWith('.test.ts') && (!only || f.startsWith(join('test', only)));
const files = walk('test').filter(filter).sort().map((f) => join(outdir, f.replace(/\.ts$/, '.js')));
const extra = process.env.TEST_ARGS ? process.env.TEST_ARGS.split(' ') : [];
const r = spawnSync(process.execPath, ['--test', '--test-timeout=120000', ...extra, ...files], {
  stdio: 'inherit',
  env: { ...process.env, TCP_NODELAY: '1', DICOM_EDGE_TEST_BUILD: outdir },
});
process.exit(r.status ?? 1);
