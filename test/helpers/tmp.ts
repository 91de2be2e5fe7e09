/**
 * Temporary directories and a cleanup registry shared by the test helpers.
 *
 * Cleanup runs, in reverse order of registration:
 *  - per test, when a node:test context `t` is passed (t.after);
 *  - otherwise at the end of the test file: this module registers a root-level
 *    node:test `after(cleanupAll)` when it is first imported (import it at the top
 *    of the test file, as ES imports are), and `cleanupAll()` can be called by hand;
 *  - as a last resort on process exit (synchronous: SIGKILL children, rmSync dirs).
 * Do not rely on node:test's `after()` inside a `before()` hook for peers: there it
 * is attached to the hook itself and would run before the suite's tests.
 */
import { after } from 'node:test';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The part of node:test's TestContext the helpers need. */
export interface AfterContext {
  after(fn: () => unknown): unknown;
}

interface Entry {
  run: () => unknown;
  /** Synchronous fallback used on process exit. */
  sync?: () => void;
  done: boolean;
}

const entries: Entry[] = [];

/** Registers a cleanup. Returns a function that runs it now (once). */
export function onCleanup(run: () => unknown, opts: { t?: AfterContext; sync?: () => void } = {}): () => Promise<void> {
  const entry: Entry = { run, sync: opts.sync, done: false };
  entries.push(entry);
  const runOnce = async (): Promise<void> => {
    if (entry.done) return;
    entry.done = true;
    const i = entries.indexOf(entry);
    if (i >= 0) entries.splice(i, 1);
    await run();
  };
  if (opts.t) perTest(opts.t).push(runOnce);
  return runOnce;
}

/**
 * One t.after hook per test that runs its cleanups newest first: node:test runs a test's
 * after hooks in registration order, which removed a folder (a Chromium profile, an agent's
 * data) before the process still writing into it was stopped.
 */
const testCleanups = new WeakMap<AfterContext, Array<() => Promise<void>>>();
function perTest(t: AfterContext): Array<() => Promise<void>> {
  let list = testCleanups.get(t);
  if (!list) {
    const own: Array<() => Promise<void>> = [];
    list = own;
    testCleanups.set(t, own);
    t.after(async () => {
      const errors: unknown[] = [];
      for (const run of own.splice(0).reverse()) {
        try {
          await run();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cleanup(s) failed`);
    });
  }
  return list;
}

/** Runs every pending cleanup, newest first. Errors are collected and reported once. */
export async function cleanupAll(): Promise<void> {
  const errors: unknown[] = [];
  while (entries.length > 0) {
    const entry = entries.pop() as Entry;
    if (entry.done) continue;
    entry.done = true;
    try {
      await entry.run();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `cleanupAll: ${errors.length} cleanup(s) failed`);
}

/** Creates a fresh directory under os.tmpdir(); removed at cleanup (see module comment). */
export async function tmpDir(prefix = 'dicom-edge-', t?: AfterContext): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), prefix.endsWith('-') ? prefix : `${prefix}-`));
  onCleanup(() => fsp.rm(dir, { recursive: true, force: true }), {
    t,
    sync: () => fs.rmSync(dir, { recursive: true, force: true }),
  });
  return dir;
}

try {
  after(() => cleanupAll());
} catch {
  // Not under node:test: the exit handler below still cleans up.
}

process.once('exit', () => {
  for (const entry of entries.splice(0).reverse()) {
    if (entry.done || !entry.sync) continue;
    try {
      entry.sync();
    } catch {
      // best effort at exit
    }
  }
});
