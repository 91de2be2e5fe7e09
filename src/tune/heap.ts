/**
 * V8 heap growth for the long-running agent.
 *
 * Every socket read is a fresh Buffer and every stored file is read into one: a 300-image
 * CT study moves ~300 MB through short-lived ArrayBuffers. V8 counts their backing stores
 * towards the old generation's allocation limit, and with its dynamic growing factor a heap
 * of ~13 MB live gets a limit ~12 MB above that (factor 1.1 when GC is fast): a full
 * mark-compact every ~16 CT images (measured: 33–66 per 900 CT images, `--trace-gc`), each
 * freeing ~30 MB of dead backing stores. A fixed growing factor of 4 (V8's own maximum for
 * small heaps) leaves 0–2 mark-compacts for the same work: CPU per CT study −30–40 %, time
 * −15–25 %, peak RSS +0–13 MiB (bench ingest, same run). The flag is read at each limit
 * computation, so setting it at run time is effective (`--initial-old-space-size`, which
 * would do the same, only works on the command line).
 *
 * Applied by `run` only; an explicit `--heap-growing-percent` in the node options wins.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 300;

const FLAG = '--heap-growing-percent';

/** The node options given to this process (command line and NODE_OPTIONS). */
function nodeOptions(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string[] {
  return [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];
}

/** The flag to set, or null when the operator chose a value (either spelling, `-` or `_`). */
export function heapGrowthFlag(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): string | null {
  const given = nodeOptions(env, execArgv).some((o) => o.replace(/_/g, '-').startsWith(FLAG));
  return given ? null : `${FLAG}=${HEAP_GROWING_PERCENT}`;
}

/** Sets the heap growing factor unless given; returns a line for the log. */
export function applyHeapGrowth(set: (flag: string) => void = setFlagsFromString): string {
  const flag = heapGrowthFlag();
  if (flag === null) return 'V8 heap growth: as given in the node options';
  set(flag);
  return `V8 heap growth: ${flag}`;
}
