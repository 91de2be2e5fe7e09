/**
 * Builds test/helpers/bindlo.c (the loopback bind() shim) once with gcc and returns
 * the path of the shared object, for LD_PRELOAD. The file name carries a hash of
 * the source, so an edited shim is rebuilt; parallel test files race safely
 * (each compiles to a private name, then renames into place).
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let cached: string | undefined;

/** Finds bindlo.c next to this file, or (when run from dist/test-build) in the source tree above. */
export function bindloSourcePath(): string {
  const candidates: string[] = [path.join(__dirname, 'bindlo.c')];
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'test', 'helpers', 'bindlo.c'));
    if (path.dirname(dir) === dir) break;
  }
  candidates.push(path.join(process.cwd(), 'test', 'helpers', 'bindlo.c'));
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`bindlo: cannot find bindlo.c (looked in ${candidates.slice(0, 4).join(', ')}, ...)`);
  return found;
}

/** Directory where the compiled shim is kept between test runs. */
export function bindloCacheDir(): string {
  return path.join(os.tmpdir(), 'dicom-edge-test');
}

/** Returns the path of bindlo.so, compiling it first if needed (gcc -shared -fPIC ... -ldl). */
export function bindloPath(): string {
  if (cached && fs.existsSync(cached)) return cached;
  const src = bindloSourcePath();
  const hash = crypto.createHash('sha256').update(fs.readFileSync(src)).digest('hex').slice(0, 12);
  const dir = bindloCacheDir();
  const out = path.join(dir, `bindlo-${hash}.so`);
  if (!fs.existsSync(out)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    try {
      execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-o', tmp, src, '-ldl'], { stdio: 'pipe' });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new Error(`bindlo: gcc failed: ${e.stderr?.toString() || e.message}`);
    }
    fs.renameSync(tmp, out);
  }
  cached = out;
  return out;
}

/** Environment additions that make a child process listen on loopback only. */
export function loopbackEnv(): Record<string, string> {
  const existing = process.env.LD_PRELOAD;
  const so = bindloPath();
  return { LD_PRELOAD: existing ? `${so}:${existing}` : so };
}
