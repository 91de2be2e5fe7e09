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
 * −15–25 %, peak RSS +~10 MiB (bench ingest, same run). The flag is read at each limit
 * computation, so setting it at run time is effective (`--initial-old-space-size`, which
 * would do the same, only works on the command line).
 *
 * A fixed factor scales with the live heap, though: 4 × a 40 MB heap (a large query result
 * held by the web page) would allow 120 MB of garbage on a box whose budget is 150 MB. So
 * the factor is chosen after each mark-compact from the live size, for a bounded headroom:
 * limit ≈ live + HEADROOM_BYTES, never more than 4× (V8 reads the flag at its next limit
 * computation). Applied by `run` only; an explicit `--heap-growing-percent` on node's command
 * line (`node --heap-growing-percent=N dicom-edge.js run`; NODE_OPTIONS does not accept V8
 * heap flags) wins and turns this off.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** The factor for a small heap (idle agent: ~13 MB live). */
export const HEAP_GROWING_PERCENT = 300;
/** Garbage allowed above the live heap before a mark-compact, for larger heaps. */
export const HEADROOM_BYTES = 48 * 1024 * 1024;
/** Least factor used (1.25×): below that V8's own dynamic factor is as good. */
const MIN_PERCENT = 25;

const FLAG = '--heap-growing-percent';

/** The node options given to this process (command line, and NODE_OPTIONS for completeness). */
function nodeOptions(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string[] {
  return [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];
}

/** True when the operator chose a growth factor (either spelling, `-` or `_`). */
export function growthGiven(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): boolean {
  return nodeOptions(env, execArgv).some((o) => o.replace(/_/g, '-').startsWith(FLAG));
}

/** Growing percent for a heap of `liveBytes` after a mark-compact: limit ≈ live + headroom, at most 4×. */
export function growthPercentFor(liveBytes: number): number {
  if (liveBytes <= 0) return HEAP_GROWING_PERCENT;
  const p = Math.round((HEADROOM_BYTES / liveBytes) * 100);
  return Math.max(MIN_PERCENT, Math.min(HEAP_GROWING_PERCENT, p));
}

/** Keeps V8's growing factor in line with the live heap; `update` is called after each mark-compact. */
export class HeapGovernor {
  percent: number | null = null;

  constructor(private readonly set: (flag: string) => void) {}

  /** Sets the flag when the percent for `liveBytes` differs from the one set; returns it. */
  update(liveBytes: number): number {
    const p = growthPercentFor(liveBytes);
    if (p !== this.percent) {
      this.set(`${FLAG}=${p}`);
      this.percent = p;
    }
    return p;
  }
}

export interface HeapGrowthHandle {
  /** A line for the log. */
  readonly line: string;
  stop(): void;
}

/**
 * Sets the heap growth (unless given) and re-chooses it after each mark-compact from the
 * heap then in use (what survived, plus the little allocated since).
 */
export function startHeapGrowth(
  onChange: (line: string) => void = () => undefined,
  set: (flag: string) => void = setFlagsFromString,
): HeapGrowthHandle {
  if (growthGiven()) return { line: 'V8 heap growth: as given on the command line', stop: () => undefined };
  const governor = new HeapGovernor(set);
  governor.update(0);
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        const before = governor.percent;
        const live = getHeapStatistics().used_heap_size;
        const p = governor.update(live);
        if (p !== before) onChange(`V8 heap growth: ${FLAG}=${p} for ${(live / 2 ** 20).toFixed(1)} MiB in use after a mark-compact`);
        return;
      }
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    line: `V8 heap growth: ${FLAG}=${HEAP_GROWING_PERCENT} (limit ≈ live heap + ${HEADROOM_BYTES >> 20} MiB above ${HEADROOM_BYTES / 3 / 2 ** 20} MiB live)`,
    stop: () => obs.disconnect(),
  };
}
