/**
 * Hardware → tunable values, with one sentence of why for each. Pure: no I/O.
 *
 * - Socket buffers: the bandwidth-delay product (BDP) of the link, so one association can
 *   keep the wire full (TCP can have at most a window of data in flight, and the window
 *   is bounded by the buffers). Never below the conformance statement's defaults
 *   (socketSndBuf 16384, socketRcvBuf 131072), the send buffer never below
 *   SEND_BUFFER_FLOOR, capped by net.core.{w,r}mem_max because
 *   Linux silently caps SO_SNDBUF/SO_RCVBUF there (and then doubles the value for its
 *   own bookkeeping, which is why the doubled half is not counted as data room).
 * - dimseSize: how much of one data set is held in memory before spilling to a file
 *   (src/dimse/dataset-sink.ts): 1/1024 of the RAM, a power of two from 1 MiB to 16 MiB.
 * - maxPdu: the Maximum Length we announce (PS3.8 D.1) only limits the PDUs the peer sends
 *   to us; the peer's own announced maximum limits ours. We keep the statement's 65530 and
 *   raise it to 131072 only on >= 10 Gb/s links with >= 2 GiB of RAM: 131072 is DCMTK's
 *   ASC_MAXIMUMPDUSIZE ("we only handle this big"), the largest receive size the most
 *   common peer stack uses itself, so its senders are well tested with it. Larger PDUs
 *   save only per-PDU header work, which is negligible against the copy of the data.
 * - maxAssociations: a share of the RAM divided by what one association may hold.
 */
import type { Hardware, Nic } from './detect';

export const STATEMENT_DEFAULTS = {
  socketSndBuf: 16384,
  socketRcvBuf: 131072,
  dimseSize: 1048576,
  maxPdu: 65530,
  maxAssociations: 32,
} as const;

export type TunedKey = keyof typeof STATEMENT_DEFAULTS;
export type TunedValues = Record<TunedKey, number>;

export interface TuningInputs {
  /** Round-trip time the buffers should cover, in ms. Default 1 (a switched LAN, campus). */
  rttMs?: number;
  /** Size the buffers for this interface instead of the fastest up one. */
  nic?: string;
  /** Share of the total RAM associations may use. Default 0.25. */
  memoryBudgetFraction?: number;
}

export interface Tuning {
  values: TunedValues;
  reasons: Record<TunedKey, string>;
  /** The interface the buffers were sized for, if any. */
  nic?: Nic;
  /** The inputs actually used (defaults filled in). */
  inputs: { rttMs: number; nic?: string; memoryBudgetFraction: number };
}

export const DEFAULT_RTT_MS = 1;
export const DEFAULT_MEMORY_BUDGET_FRACTION = 0.25;
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** Ceiling when the kernel limits are unknown (not Linux): more never helps a single LAN link. */
const BUFFER_CEILING = 64 * MIB;
/**
 * Derived send buffers are never below this, although the statement's default is 16384: with
 * a 16 KiB SO_SNDBUF the kernel takes one segment, then waits for an ACK the receiver delays
 * by ~40 ms; forwarding 512 KiB CT images to Orthanc took 7 ms each instead of 4 (and 60 ms
 * when several PDUs go in one write). An explicit socketSndBuf still wins.
 */
export const SEND_BUFFER_FLOOR = 131072;
const DIMSE_MIN = MIB;
const DIMSE_MAX = 16 * MIB;
const LARGE_PDU = 131072;
/** Heap objects, parser state, index work and socket skbs beyond the buffers, per association. */
const ASSOCIATION_OVERHEAD = 4 * MIB;
const MIN_ASSOCIATIONS = 4;
const MAX_ASSOCIATIONS = 256;

export function deriveTuning(hw: Hardware, inputs: TuningInputs = {}): Tuning {
  const used = {
    rttMs: inputs.rttMs !== undefined && inputs.rttMs > 0 ? inputs.rttMs : DEFAULT_RTT_MS,
    nic: inputs.nic,
    memoryBudgetFraction: fractionOrDefault(inputs.memoryBudgetFraction),
  };
  const pick = chooseNic(hw.nics, used.nic);
  const buffers = deriveBuffers(hw, pick.nic, pick.why, used.rttMs);
  const dimse = deriveDimseSize(hw.memory.totalBytes);
  const pdu = deriveMaxPdu(pick.nic?.speedMbps ?? null, hw.memory.totalBytes);
  const values = { ...buffers.values, dimseSize: dimse.value, maxPdu: pdu.value, maxAssociations: 0 };
  const assoc = deriveMaxAssociations(hw.memory.totalBytes, used.memoryBudgetFraction, values);
  values.maxAssociations = assoc.value;
  return {
    values,
    reasons: { ...buffers.reasons, dimseSize: dimse.why, maxPdu: pdu.why, maxAssociations: assoc.why },
    nic: pick.nic,
    inputs: used,
  };
}

function fractionOrDefault(f: number | undefined): number {
  return f !== undefined && f > 0 && f <= 1 ? f : DEFAULT_MEMORY_BUDGET_FRACTION;
}

const isUp = (n: Nic) => n.operstate === 'up' || n.operstate === 'unknown';

/**
 * The named NIC, else the fastest up, non-loopback one; physical NICs before virtual ones
 * (a docker0 bridge or a veth must not size the buffers of a box with a real 1 GbE port),
 * virtual ones only when there is nothing else (containers, VMs with veth).
 */
export function chooseNic(nics: Nic[], name?: string): { nic?: Nic; why: string } {
  if (name !== undefined) {
    const n = nics.find((x) => x.name === name);
    return n ? { nic: n, why: `${name} (named)` } : { why: `NIC ${name} not found (have: ${nics.map((x) => x.name).join(', ') || 'none'})` };
  }
  const up = nics.filter((n) => !n.loopback && isUp(n));
  if (up.length === 0) return { why: 'no NIC is up besides loopback' };
  const physical = up.filter((n) => !n.virtual);
  const pool = physical.length ? physical : up;
  const best = [...pool].sort((a, b) => (b.speedMbps ?? -1) - (a.speedMbps ?? -1) || a.name.localeCompare(b.name))[0];
  const kind = physical.length ? 'fastest up physical NIC' : 'fastest up NIC (all are virtual)';
  return { nic: best, why: `${best.name} (${kind})` };
}

const roundUp4k = (n: number) => Math.ceil(n / 4096) * 4096;

function deriveBuffers(hw: Hardware, nic: Nic | undefined, why: string, rttMs: number): { values: Pick<TunedValues, 'socketSndBuf' | 'socketRcvBuf'>; reasons: Pick<Tuning['reasons'], 'socketSndBuf' | 'socketRcvBuf'> } {
  const d = STATEMENT_DEFAULTS;
  let base: string;
  let bdp = 0;
  if (!nic) base = `${why}: the statement's default`;
  else if (!isUp(nic)) base = `${why} is ${nic.operstate}: the statement's default`;
  else if (nic.speedMbps === null) base = `link speed of ${why} unknown (virtio and many virtual NICs report -1): the statement's default`;
  else {
    bdp = roundUp4k((nic.speedMbps * 1e6 / 8) * (rttMs / 1000));
    base = `bandwidth-delay product of ${why} at ${nic.speedMbps} Mb/s x ${rttMs} ms RTT = ${bdp} bytes`;
  }
  const one = (def: number, max: number | null, sysctl: string, floorWhy = `the statement's default ${def}`) => {
    let v = Math.max(def, bdp);
    let why = def > bdp ? (bdp > 0 || floorWhy !== `the statement's default ${def}` ? `${base}, raised to ${floorWhy}` : base) : base;
    if (max === null && v > BUFFER_CEILING) {
      v = BUFFER_CEILING;
      why += `, capped at ${BUFFER_CEILING}`;
    }
    if (max !== null && v > max) {
      why += `, clamped to the kernel maximum ${sysctl} = ${max} (Linux caps there; raise it with sysctl -w ${sysctl}=${v} for full speed)`;
      v = max;
    }
    return { v, why };
  };
  const snd = one(Math.max(d.socketSndBuf, SEND_BUFFER_FLOOR), hw.kernel.wmemMax, 'net.core.wmem_max', `${SEND_BUFFER_FLOOR} (a send buffer below that stalls multi-PDU writes on delayed ACKs)`);
  const rcv = one(d.socketRcvBuf, hw.kernel.rmemMax, 'net.core.rmem_max');
  return { values: { socketSndBuf: snd.v, socketRcvBuf: rcv.v }, reasons: { socketSndBuf: snd.why, socketRcvBuf: rcv.why } };
}

function deriveDimseSize(total: number | null): { value: number; why: string } {
  if (total === null) return { value: STATEMENT_DEFAULTS.dimseSize, why: "memory unknown: the statement's default" };
  let v = DIMSE_MIN;
  while (v * 2 <= total / 1024 && v * 2 <= DIMSE_MAX) v *= 2;
  return { value: v, why: `RAM ${fmtBytes(total)} / 1024, as a power of two between 1 MiB and 16 MiB` };
}

function deriveMaxPdu(speedMbps: number | null, total: number | null): { value: number; why: string } {
  if (speedMbps !== null && speedMbps >= 10000 && total !== null && total >= 2 * GIB) {
    return { value: LARGE_PDU, why: `${speedMbps} Mb/s link and ${fmtBytes(total)} RAM: 131072 (DCMTK's largest receive PDU); it only limits what peers send us` };
  }
  return { value: STATEMENT_DEFAULTS.maxPdu, why: "the statement's default (131072 only on >= 10 Gb/s links with >= 2 GiB RAM)" };
}

/** Worst case one association holds: a data set in memory, both socket buffers (doubled by Linux), a PDU each way. */
export function perAssociationBytes(v: Pick<TunedValues, 'dimseSize' | 'socketSndBuf' | 'socketRcvBuf' | 'maxPdu'>): number {
  return v.dimseSize + 2 * (v.socketSndBuf + v.socketRcvBuf) + 2 * v.maxPdu + ASSOCIATION_OVERHEAD;
}

function deriveMaxAssociations(total: number | null, fraction: number, v: TunedValues): { value: number; why: string } {
  if (total === null) return { value: STATEMENT_DEFAULTS.maxAssociations, why: 'memory unknown: the default 32' };
  const budget = Math.floor(total * fraction);
  const per = perAssociationBytes(v);
  const raw = Math.floor(budget / per);
  const value = Math.min(MAX_ASSOCIATIONS, Math.max(MIN_ASSOCIATIONS, raw));
  const clamp = value !== raw ? `, clamped to ${MIN_ASSOCIATIONS}..${MAX_ASSOCIATIONS}` : '';
  return { value, why: `${fraction} x RAM ${fmtBytes(total)} = ${fmtBytes(budget)} / ${fmtBytes(per)} per association (dimseSize + 2 x both socket buffers + 2 x maxPdu + 4 MiB) = ${raw}${clamp}` };
}

export function fmtBytes(n: number): string {
  if (n >= GIB) return `${(n / GIB).toFixed(1)} GiB`;
  if (n >= MIB) return `${(n / MIB).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
