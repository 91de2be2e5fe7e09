/**
 * Loads a native addon (.node) in the single executable (SEA) as well as under plain Node.
 *
 * In the single executable the addons (better-sqlite3, sockopt, @serialport/bindings-cpp) are
 * SEA assets: there is no node_modules to load them from, and dlopen() needs a real file. The
 * asset is written once to a private cache folder under a name that carries its content hash
 * (so an upgrade never loads a stale addon), then loaded with process.dlopen.
 * scripts/build-binary.mjs aliases the `bindings` and `node-gyp-build` loaders of those
 * packages to `loadNative(<asset>, <normal require>)`. Outside the SEA the fallback runs.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync,
  unlinkSync, writeSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { EdgeError } from '../util/errors';

/** The part of `node:sea` we use (Node ≥ 20.12). */
export interface SeaApi {
  isSea(): boolean;
  getRawAsset(key: string): ArrayBuffer;
}

export interface LoadNativeOptions {
  /** Defaults to `require('node:sea')` when present. */
  sea?: SeaApi | null;
  /** Defaults to process.env (CACHE_DIRECTORY, XDG_CACHE_HOME, HOME). */
  env?: NodeJS.ProcessEnv;
  /** Defaults to process.dlopen. */
  dlopen?: (module: { exports: unknown }, filename: string) => void;
}

const loaded = new Map<string, unknown>();

/** `node:sea` if this Node has it, else null (Node < 20.12). */
export function seaApi(): SeaApi | null {
  try {
    return require('node:sea') as SeaApi;
  } catch {
    return null;
  }
}

/** True when running as a single executable application. */
export function isSea(sea: SeaApi | null = seaApi()): boolean {
  return sea !== null && sea.isSea();
}

/**
 * The addon stored as SEA asset `asset` (e.g. "better_sqlite3.node") when running as a single
 * executable; otherwise `fallback()` (the package's normal loader). Loaded once per process.
 */
export function loadNative<T = unknown>(asset: string, fallback: () => T, opts: LoadNativeOptions = {}): T {
  const sea = opts.sea === undefined ? seaApi() : opts.sea;
  if (!isSea(sea)) return fallback();
  const hit = loaded.get(asset);
  if (hit !== undefined) return hit as T;
  const bytes = Buffer.from((sea as SeaApi).getRawAsset(asset));
  const file = extractAddon(asset, bytes, nativeCacheDir(opts.env ?? process.env));
  const mod = { exports: {} as unknown };
  try {
    (opts.dlopen ?? process.dlopen)(mod, file);
  } catch (e) {
    throw new EdgeError('NATIVE_LOAD_FAILED', `cannot load native addon ${asset} from ${file}: ${(e as Error).message}`, { cause: e });
  }
  loaded.set(asset, mod.exports);
  return mod.exports as T;
}

/**
 * The private folder for extracted addons: $CACHE_DIRECTORY (systemd's CacheDirectory=; the
 * first of a colon-separated list), else $XDG_CACHE_HOME/dicom-edge, else ~/.cache/dicom-edge,
 * else <tmpdir>/dicom-edge-<uid> when there is no home.
 */
export function nativeCacheDir(env: NodeJS.ProcessEnv): string {
  const systemd = env.CACHE_DIRECTORY?.split(':')[0];
  if (systemd) return join(systemd, 'native');
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'dicom-edge');
  const home = env.HOME || safeHomedir();
  if (home) return join(home, '.cache', 'dicom-edge');
  return join(tmpdir(), `dicom-edge-${process.getuid?.() ?? 'user'}`);
}

function safeHomedir(): string {
  try {
    return homedir();
  } catch {
    return '';
  }
}

/** "<name>-<sha256 prefix>.node": a new build never reuses an old file. */
export function addonFileName(asset: string, bytes: Buffer): string {
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  return `${basename(asset).replace(/\.node$/, '')}-${hash}.node`;
}

/**
 * Writes `bytes` to <dir>/<addonFileName> unless an identical file is already there; returns
 * the path. The folder is 0700 and must belong to us (another user could swap the addon);
 * the file is written to a temporary name, fsynced, made 0500 and renamed into place.
 */
export function extractAddon(asset: string, bytes: Buffer, dir: string): string {
  ensurePrivateDir(dir);
  const target = join(dir, addonFileName(asset, bytes));
  if (sameContent(target, bytes)) return target;
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(tmp, 0o500);
    renameSync(tmp, target);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  return target;
}

function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory()) throw new EdgeError('NATIVE_CACHE_UNSAFE', `native addon cache ${dir} is not a directory`);
  if (uid !== undefined && st.uid !== uid) {
    throw new EdgeError('NATIVE_CACHE_UNSAFE', `native addon cache ${dir} belongs to uid ${st.uid}, not to us (${uid})`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** True when `file` exists, is a regular file, and holds exactly `bytes` (a damaged copy is replaced). */
function sameContent(file: string, bytes: Buffer): boolean {
  try {
    const st = lstatSync(file);
    if (!st.isFile() || st.size !== bytes.length) return false;
    return readFileSync(file).equals(bytes);
  } catch {
    return false;
  }
}
