/**
 * Product version and the Implementation Version Name sent in A-ASSOCIATE (PS3.7 D.3.3.2,
 * 1-16 characters of VR SH). The statement's form is VV.vv.ff.bb: major, minor, bug fix,
 * build, two digits each ("0.1.0" → "00.01.00.00"; "1.2.3-rc.4" → "01.02.03.04").
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Defined by scripts/build.mjs and scripts/test.mjs (esbuild `define`). */
declare const __DICOM_EDGE_VERSION__: string;

let cached: string | undefined;

/** The package version: the build-time constant, else the nearest package.json above this file. */
export function packageVersion(): string {
  if (typeof __DICOM_EDGE_VERSION__ === 'string') return __DICOM_EDGE_VERSION__;
  cached ??= readPackageJsonVersion();
  return cached;
}

function readPackageJsonVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'dicom-edge' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // unreadable package.json: keep looking upwards
      }
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}

/** "MAJOR.MINOR.PATCH[-pre.N][+build]" → "VV.vv.ff.bb"; the build number is the first number after the patch. */
export function implementationVersionName(version: string = packageVersion()): string {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\D+?(\d+))?/.exec(version.trim());
  if (!m) return '00.00.00.00';
  const parts = [m[1], m[2], m[3], m[4]].map((p) => (p ?? '0').padStart(2, '0'));
  // SH allows 16 characters; four parts of up to 3 digits still fit, longer ones are cut.
  return parts.join('.').slice(0, 16);
}
