#!/usr/bin/env node
// Bundles the agent into dist/dicom-edge.js (one file, native addons stay external).
// `--out dist/other.js` writes another bundle (benchmarks compare builds; keep it in dist/
// so the native addons resolve).
import { build } from 'esbuild';
import { readFileSync, chmodSync } from 'node:fs';
import { jpegWorkerSource } from './lib/jpeg-worker.mjs';

const outIdx = process.argv.indexOf('--out');
const outfile = outIdx > 0 ? process.argv[outIdx + 1] : 'dist/dicom-edge.js';
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile,
  banner: { js: '#!/usr/bin/env node' },
  define: { __DICOM_EDGE_VERSION__: JSON.stringify(pkg.version), __JPEG_WORKER__: JSON.stringify(await jpegWorkerSource()) },
  external: ['better-sqlite3', 'serialport', '@serialport/*', 'sockopt', 'systeminformation'],
  sourcemap: 'linked',
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
console.log(`built ${outfile}`);
