/**
 * What `dicom-edge tune` (and the serial console's `tune`) prints: the detected hardware,
 * the kernel limits, each derived value with why, and whether the INI's own value wins.
 */
import type { Config } from '../config/types';
import type { Hardware, Nic, TcpMem } from './detect';
import { fmtBytes, type TunedKey, type Tuning } from './derive';
import { TUNABLE_OPTIONS } from './apply';

export interface TuneReportInput {
  hardware: Hardware;
  tuning: Tuning;
  /** The configuration as loaded (before tuning): tells explicit from auto. */
  config: Config;
}

function nicLine(n: Nic): string {
  const flags = [n.loopback ? 'loopback' : '', n.virtual && !n.loopback ? 'virtual' : '', n.wireless ? 'wireless' : ''].filter(Boolean);
  const speed = n.speedMbps === null ? 'speed unknown' : `${n.speedMbps} Mb/s`;
  const mtu = n.mtu === null ? 'MTU ?' : `MTU ${n.mtu}`;
  return `  ${n.name.padEnd(16)} ${n.operstate.padEnd(8)} ${speed.padEnd(14)} ${mtu.padEnd(10)} ${flags.join(', ')}`.trimEnd();
}

const tcpMem = (t: TcpMem | null) => (t === null ? 'unknown' : `${t.min} ${t.default} ${t.max} (min default max of the kernel's autotuning)`);
const limit = (n: number | null) => (n === null ? 'unknown' : String(n));

export function formatHardware(hw: Hardware): string[] {
  const m = hw.memory;
  const mem = m.totalBytes === null ? 'unknown' : `${fmtBytes(m.totalBytes)} total, ${m.availableBytes === null ? '?' : fmtBytes(m.availableBytes)} available`;
  return [
    'Hardware',
    `  memory  ${mem} (${m.source})`,
    `  CPUs    ${hw.cpus.count ?? 'unknown'} (${hw.cpus.source})`,
    '  NICs',
    ...(hw.nics.length ? hw.nics.map(nicLine) : ['  (none found)']),
    'Kernel limits (Linux caps SO_SNDBUF/SO_RCVBUF here, then doubles the value for bookkeeping)',
    `  net.core.wmem_max  ${limit(hw.kernel.wmemMax)}`,
    `  net.core.rmem_max  ${limit(hw.kernel.rmemMax)}`,
    `  net.ipv4.tcp_wmem  ${tcpMem(hw.kernel.tcpWmem)}`,
    `  net.ipv4.tcp_rmem  ${tcpMem(hw.kernel.tcpRmem)}`,
    ...(hw.notes.length ? ['Notes', ...hw.notes.map((n) => `  ${n}`)] : []),
  ];
}

function currentValue(c: Config, key: TunedKey): number {
  return key === 'dimseSize' ? c.memory.dimseSize : c.network[key];
}

export function formatTuning(r: TuneReportInput): string[] {
  const auto = new Set(r.config.autoKeys.map((k) => k.toLowerCase()));
  const i = r.tuning.inputs;
  const lines = [`Derived values (RTT ${i.rttMs} ms, memory budget ${i.memoryBudgetFraction} of RAM${i.nic ? `, NIC ${i.nic}` : ''})`];
  for (const t of TUNABLE_OPTIONS) {
    const v = r.tuning.values[t.key];
    const state = auto.has(t.option.toLowerCase()) ? 'auto: used' : `explicit in the INI: ${currentValue(r.config, t.key)} wins`;
    lines.push(`  [${t.section}] ${t.option.padEnd(16)} ${String(v).padStart(9)}  (${state})`);
    lines.push(`      why: ${r.tuning.reasons[t.key]}`);
  }
  return lines;
}

export function formatReport(r: TuneReportInput): string {
  return [...formatHardware(r.hardware), ...formatTuning(r)].join('\n') + '\n';
}

/** `tune --json`: everything above as one object. */
export function reportJson(r: TuneReportInput): Record<string, unknown> {
  const auto = new Set(r.config.autoKeys.map((k) => k.toLowerCase()));
  return {
    hardware: r.hardware,
    inputs: r.tuning.inputs,
    nic: r.tuning.nic?.name ?? null,
    values: Object.fromEntries(TUNABLE_OPTIONS.map((t) => [t.option, {
      section: t.section,
      derived: r.tuning.values[t.key],
      auto: auto.has(t.option.toLowerCase()),
      effective: auto.has(t.option.toLowerCase()) ? r.tuning.values[t.key] : currentValue(r.config, t.key),
      reason: r.tuning.reasons[t.key],
    }])),
    file: r.config.file ?? null,
  };
}
