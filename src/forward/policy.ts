/**
 * What a C-STORE response means for a forwarding job, and when to try again. Pure.
 *
 * PS3.4 B.2.3 (Storage Service Class statuses) and PS3.7 C (status classes):
 *  - 0000 Success, B000 coercion of data elements, B006 elements discarded, B007 data set
 *    does not match SOP class: the PACS stored the instance → delivered.
 *  - A7xx Refused: out of resources → the PACS may recover: retry with back-off.
 *  - 0122 SOP class not supported, A9xx data set does not match SOP class, Cxxx cannot
 *    understand → sending the same bytes again cannot succeed: dead letter at once.
 *  - anything else (0110 processing failure, 0211, unknown codes) → retried within the
 *    limits, so nothing is dropped on a code we did not foresee.
 */
export type Verdict = 'delivered' | 'retry' | 'dead';

export function verdictOf(status: number): Verdict {
  if (status === 0x0000 || status === 0xb000 || status === 0xb006 || status === 0xb007) return 'delivered';
  if (status === 0x0122 || (status & 0xff00) === 0xa900 || (status & 0xf000) === 0xc000) return 'dead';
  return 'retry';
}

/** A7xx: the destination as a whole is short of resources (back off, like a network failure). */
export function isOutOfResources(status: number): boolean {
  return (status & 0xff00) === 0xa700;
}

/**
 * Exponential back-off with "equal jitter": the n-th consecutive failure (n ≥ 1) waits
 * between half and all of min(cap, base·2^(n-1)), so retries of many boxes spread out.
 */
export function backoffMs(failures: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const n = Math.max(1, failures);
  const d = Math.min(capMs, baseMs * 2 ** Math.min(n - 1, 40));
  return Math.round(d / 2 + random() * (d / 2));
}

/** True when a job that just failed for the `attempts`-th time must become a dead letter. */
export function limitReached(attempts: number, createdAt: number, now: number, maxAttempts: number, maxAgeMs: number): boolean {
  return (maxAttempts > 0 && attempts >= maxAttempts) || (maxAgeMs > 0 && now - createdAt >= maxAgeMs);
}
