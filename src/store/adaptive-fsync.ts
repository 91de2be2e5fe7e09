/**
 * fsync of a received file, on this thread when that is cheaper. Cheap fs calls already
 * run synchronously here (store-fs.ts: a thread-pool round trip costs more than the call);
 * an fsync is cheap too on fast storage (0.2-0.5 ms here), and with one reception at a time
 * the event loop would only wait for it anyway: inline it saves the two thread hops
 * (1000 small images 14 % faster). It goes to the thread pool when another fsync is in
 * flight or another reception is in progress (several receptions: their fsyncs overlap
 * there and the loop keeps reading), while the forwarder is sending (blocking the loop would
 * stall the PACS: the forward benchmark went from 1.36–1.46× to 1.18–1.30× of storescu → PACS
 * directly), or when fsyncs have lately been slow (SD cards, eMMC: 5-20 ms), so a slow disk
 * never blocks the loop for long.
 */
import * as fs from 'node:fs';
import type { StoreFs } from './store-fs';

export interface AdaptiveFsyncOptions {
  /** Inline only while the recent fsync time (moving average) is below this (ms). */
  maxInlineMs?: number;
  /** Inline only when this says so too (the store: no other reception in progress). */
  inlineAllowed?: () => boolean;
  now?: () => number;
  fsyncSync?: (fd: number) => void;
}

/** `base` with its fsync() made adaptive (file fsyncs only; folder fsyncs stay on the pool). */
export function withAdaptiveFsync(base: StoreFs, o: AdaptiveFsyncOptions = {}): StoreFs & { readonly inlineCount: number } {
  const maxInlineMs = o.maxInlineMs ?? 1;
  const now = o.now ?? (() => performance.now());
  const fsyncSync = o.fsyncSync ?? fs.fsyncSync;
  let average = 0; // ms, exponentially weighted; starts optimistic
  let inFlight = 0;
  let inlineCount = 0;
  const record = (ms: number): void => {
    average = average * 0.8 + ms * 0.2;
  };
  return {
    ...base,
    get inlineCount() {
      return inlineCount;
    },
    fsync(fd: number): Promise<void> {
      const t0 = now();
      if (inFlight === 0 && average < maxInlineMs && (o.inlineAllowed?.() ?? true)) {
        inlineCount++;
        try {
          fsyncSync(fd);
        } catch (e) {
          return Promise.reject(e);
        } finally {
          record(now() - t0);
        }
        return Promise.resolve();
      }
      inFlight++;
      return base.fsync(fd).finally(() => {
        inFlight--;
        record(now() - t0);
      });
    },
  };
}
