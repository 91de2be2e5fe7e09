/**
 * Where instance files live. File names are never built from UIDs: a UID arrives from
 * the network and, unvalidated, could be `../../x`. The final path is derived from the
 * SHA-1 of the (validated) SOP Instance UID, so it cannot escape `<root>/instances`.
 */
import { hash, randomBytes } from 'node:crypto';
import { join, resolve, sep } from 'node:path';

/** Why a UID string is not a valid UID (PS3.5 9.1), or null when it is. */
export type UidProblem = 'empty' | 'too-long' | 'bad-character' | 'empty-component' | 'leading-zero';

/**
 * Removes the padding a UI value may carry: PS3.5 6.2 pads UI to even length with a
 * single trailing NUL (0x00); some peers pad with a space instead.
 */
export function trimUid(raw: string): string {
  return raw.replace(/[\0 ]+$/, '').replace(/^ +/, '');
}

/**
 * PS3.5 9.1: a UID is digits and dots, at most 64 characters, every component non-empty,
 * and no component starts with 0 unless it is the single digit "0".
 */
export function checkUid(uid: string): UidProblem | null {
  const n = uid.length;
  if (n === 0) return 'empty';
  if (n > 64) return 'too-long';
  // One pass (this runs several times per received instance); the problems keep their order.
  let emptyComponent = false;
  let leadingZero = false;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? uid.charCodeAt(i) : DOT; // the end closes the last component
    if (c === DOT) {
      if (i === start) emptyComponent = true;
      else if (i - start > 1 && uid.charCodeAt(start) === ZERO) leadingZero = true;
      start = i + 1;
    } else if (c < ZERO || c > ZERO + 9) return 'bad-character';
  }
  if (emptyComponent) return 'empty-component';
  return leadingZero ? 'leading-zero' : null;
}

const DOT = 0x2e;
const ZERO = 0x30;

/**
 * True when the UID is acceptable for storage. Leading zeros in a component break
 * PS3.5 9.1 but are common in old equipment; they cannot harm a hash-derived path, so
 * `lenient` (the store's choice) accepts them.
 */
export function isAcceptableUid(uid: string, lenient = true): boolean {
  const p = checkUid(uid);
  return p === null || (lenient && p === 'leading-zero');
}

export function instancesDir(root: string): string {
  return join(root, 'instances');
}

export function tmpDir(root: string): string {
  return join(root, 'tmp');
}

/** Empty temp files created ahead of need (TempPool); apart from tmp/ so "no partial file" checks stay simple. */
export function spareDir(root: string): string {
  return join(root, 'spare');
}

/** A fresh temp file name: random, never derived from anything the peer sent. */
export function tmpFileName(): string {
  return `${randomBytes(12).toString('hex')}.part`;
}

/** The 256 first-level folders (00..ff) under instances/, created once at start. */
export const INSTANCE_BUCKETS: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Relative path (POSIX separators, stored in the index) of an instance file:
 * `instances/ab/<sha1(sopInstanceUid)>.dcm`. One level of 256 folders, all created at
 * start, so storing an instance never creates a folder (no parent fsync on the hot path).
 * Stores written by earlier versions used `instances/ab/cd/<sha1>.dcm`; the index keeps
 * each file's own path, so both stay readable. Throws if the UID is not acceptable.
 */
export function instanceRelPath(sopInstanceUid: string): string {
  if (!isAcceptableUid(sopInstanceUid)) throw new Error(`not a valid UID: ${JSON.stringify(sopInstanceUid)}`);
  const h = uidHash(sopInstanceUid);
  return `instances/${h.slice(0, 2)}/${h}.dcm`;
}

/** SHA-1 of a (valid, ASCII) UID in hex: crypto.hash, one call without a Hash object. */
function uidHash(uid: string): string {
  return hash('sha1', uid, 'hex');
}

/** True when `rel` is where an instance with this UID may live (current or earlier layout). */
export function isInstanceRelPathOf(sopInstanceUid: string, rel: string): boolean {
  if (!isAcceptableUid(sopInstanceUid)) return false;
  const h = uidHash(sopInstanceUid);
  return rel === `instances/${h.slice(0, 2)}/${h}.dcm` || rel === `instances/${h.slice(0, 2)}/${h.slice(2, 4)}/${h}.dcm`;
}

/**
 * Absolute path of a stored file from the index's relative path. Defence in depth: a
 * relative path that resolves outside `<root>/instances` (a tampered index) throws.
 */
export function absoluteInstancePath(root: string, relPath: string): string {
  const base = resolve(instancesDir(root));
  const abs = resolve(root, relPath);
  if (!abs.startsWith(base + sep)) throw new Error(`path escapes the store: ${relPath}`);
  return abs;
}
