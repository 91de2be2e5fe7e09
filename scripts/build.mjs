#!/usr/bin/env node
// Bundles the agent into dist/dicom-edge.js (one file, native addons stay external).
import { build } from 'esbuild';
import { readFileSync, chmodSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'dist/dicom-edge.js',
  banner: { js: '#!/usr/bin/env node' },
  define: { __DICOM_EDGE_VERSION__: JSON.stringify(pkg.version) },
  external: ['better-sqlite3', 'serialport', '@serialport/*', 'sockopt', 'systeminformation'],
  sourcemap: 'linked',
  logLevel: 'warning',
});
chmodSync('dist/dicom-edge.js', 0o755);
console.log('built dist/dicom-edge.js');
