/**
 * What the tuner needs to know about the machine: memory, CPUs, NICs (speed, MTU, state) and
 * the kernel's socket buffer limits.
 *
 * NICs come from /sys/class/net/<if>/{speed,mtu,operstate,type} (every interface, even those
 * without an address, which os.networkInterfaces and systeminformation skip); memory and CPU
 * count from systeminformation (si.mem, si.cpu), which also serves as the NIC source where
 * sysfs is unreadable. Every host path is injectable, by option or environment
 * (balena-supervisor habit), so tests read the trees under hw/fixtures/. An injected path
 * wins over systeminformation for what it describes. Nothing here throws: each failure
 * leaves the value unknown (null) and adds a note saying why.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../util/log';

export interface Nic {
  name: string;
  /** Mb/s; null when the driver does not know (virtio reports -1, a down link EINVAL). */
  speedMbps: number | null;
  mtu: number | null;
  /** RFC 2863 operstate as sysfs spells it: up, down, unknown, dormant, lowerlayerdown… */
  operstate: string;
  /** ARPHRD_LOOPBACK (type 772). */
  loopback: boolean;
  /** No backing device (bridge, veth, tun, docker0, lo): /sys/class/net/<if>/device absent. */
  virtual: boolean;
  wireless: boolean;
  source: 'sysfs' | 'systeminformation';
}

/** net.ipv4.tcp_rmem / tcp_wmem: the kernel's autotuning range. */
export interface TcpMem { min: number; default: number; max: number }

export interface KernelLimits {
  /** net.core.rmem_max: SO_RCVBUF is capped here (then doubled). */
  rmemMax: number | null;
  /** net.core.wmem_max: SO_SNDBUF is capped here (then doubled). */
  wmemMax: number | null;
  tcpRmem: TcpMem | null;
  tcpWmem: TcpMem | null;
}

export interface Hardware {
  memory: { totalBytes: number | null; availableBytes: number | null; source: string };
  cpus: { count: number | null; source: string };
  nics: Nic[];
  kernel: KernelLimits;
  /** Why something is unknown or came from a fallback, one line each. */
  notes: string[];
}

export interface DetectOptions {
  /** Prefix for every default host path (a fixture tree such as hw/fixtures/pi4-1gbe); env DICOM_EDGE_HOST_ROOT. */
  root?: string;
  sysClassNet?: string;
  procNetCore?: string;
  procNetIpv4?: string;
  procMeminfo?: string;
  /** /sys/devices/system/cpu/online ("0-3"). */
  sysCpuOnline?: string;
  /** Default true: memory, CPUs (and NICs when sysfs fails) from systeminformation. */
  useSysteminformation?: boolean;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}

type SiModule = typeof import('systeminformation');
const SI_TIMEOUT_MS = 5000;

interface Paths { sysClassNet: string; procNetCore: string; procNetIpv4: string; procMeminfo: string; sysCpuOnline: string }

/** Each path: option, else environment, else root + the Linux default. `injected` marks the first two and root. */
function resolvePaths(o: DetectOptions): { paths: Paths; injected: Set<keyof Paths> } {
  const env = o.env ?? process.env;
  const root = o.root ?? env.DICOM_EDGE_HOST_ROOT;
  const defs: [keyof Paths, string, string][] = [
    ['sysClassNet', 'DICOM_EDGE_SYS_CLASS_NET', '/sys/class/net'],
    ['procNetCore', 'DICOM_EDGE_PROC_NET_CORE', '/proc/sys/net/core'],
    ['procNetIpv4', 'DICOM_EDGE_PROC_NET_IPV4', '/proc/sys/net/ipv4'],
    ['procMeminfo', 'DICOM_EDGE_PROC_MEMINFO', '/proc/meminfo'],
    ['sysCpuOnline', 'DICOM_EDGE_SYS_CPU_ONLINE', '/sys/devices/system/cpu/online'],
  ];
  const paths = {} as Paths;
  const injected = new Set<keyof Paths>();
  for (const [key, envName, def] of defs) {
    const given = o[key] ?? env[envName];
    paths[key] = given ?? (root ? join(root, def) : def);
    if (given !== undefined || root) injected.add(key);
  }
  return { paths, injected };
}

export async function detectHardware(o: DetectOptions = {}): Promise<Hardware> {
  const { paths, injected } = resolvePaths(o);
  const notes: string[] = [];
  const note = (msg: string) => {
    notes.push(msg);
    o.log?.debug(`tune: ${msg}`);
  };
  const si = o.useSysteminformation === false ? undefined : loadSi(note);
  const memory = await detectMemory(paths.procMeminfo, injected.has('procMeminfo') ? undefined : si, note);
  const cpus = await detectCpus(paths.sysCpuOnline, injected.has('sysCpuOnline') ? undefined : si, note);
  let nics = readSysClassNet(paths.sysClassNet, note);
  if (nics.length === 0 && si && !injected.has('sysClassNet')) nics = await siNics(si, note);
  const kernel = readKernelLimits(paths.procNetCore, paths.procNetIpv4, note);
  return { memory, cpus, nics, kernel, notes };
}

function loadSi(note: (m: string) => void): SiModule | undefined {
  try {
    // Loaded lazily: it is only needed by `tune` and at agent start.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('systeminformation') as SiModule;
  } catch (e) {
    note(`systeminformation unavailable (${(e as Error).message}): reading /proc and /sys only`);
    return undefined;
  }
}

async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${SI_TIMEOUT_MS} ms`)), SI_TIMEOUT_MS);
    timer.unref();
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

async function detectMemory(meminfo: string, si: SiModule | undefined, note: (m: string) => void): Promise<Hardware['memory']> {
  if (si) {
    try {
      const m = await withTimeout(si.mem(), 'si.mem()');
      if (m.total > 0) return { totalBytes: m.total, availableBytes: m.available > 0 ? m.available : null, source: 'systeminformation' };
      note('si.mem() reported no total memory: reading meminfo');
    } catch (e) {
      note(`si.mem() failed (${(e as Error).message}): reading ${meminfo}`);
    }
  }
  const text = readText(meminfo);
  if (text === undefined) {
    note(`cannot read ${meminfo}: memory unknown`);
    return { totalBytes: null, availableBytes: null, source: 'unknown' };
  }
  const total = meminfoBytes(text, 'MemTotal');
  // MemAvailable exists since Linux 3.14; before that, free + page cache is the usual estimate.
  const avail = meminfoBytes(text, 'MemAvailable') ?? sumOrNull(meminfoBytes(text, 'MemFree'), meminfoBytes(text, 'Cached'));
  if (total === null) note(`${meminfo} has no MemTotal line: memory unknown`);
  return { totalBytes: total, availableBytes: avail, source: meminfo };
}

/** `MemTotal:  3884376 kB` → bytes. */
export function meminfoBytes(text: string, key: string): number | null {
  const m = new RegExp(`^${key}:\\s*(\\d+)\\s*(kB)?\\s*$`, 'm').exec(text);
  if (!m) return null;
  return Number(m[1]) * (m[2] ? 1024 : 1);
}

function sumOrNull(a: number | null, b: number | null): number | null {
  return a === null ? null : a + (b ?? 0);
}

async function detectCpus(online: string, si: SiModule | undefined, note: (m: string) => void): Promise<Hardware['cpus']> {
  if (si) {
    try {
      const c = await withTimeout(si.cpu(), 'si.cpu()');
      if (c.cores > 0) return { count: c.cores, source: 'systeminformation' };
    } catch (e) {
      note(`si.cpu() failed (${(e as Error).message})`);
    }
    return { count: availableParallelism(), source: 'os.availableParallelism' };
  }
  const text = readText(online);
  const n = text === undefined ? null : cpuListCount(text);
  if (n === null) note(`cannot read a CPU list from ${online}: CPU count unknown`);
  return { count: n, source: n === null ? 'unknown' : online };
}

/** Kernel CPU list "0-3,6,8-9" → 7; null when malformed. */
export function cpuListCount(text: string): number | null {
  let n = 0;
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    n += m[2] === undefined ? 1 : Number(m[2]) - Number(m[1]) + 1;
  }
  return n > 0 ? n : null;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A positive integer from a file, or null (missing, EINVAL on a down link, -1, garbage). */
function readPositiveInt(path: string): number | null {
  const t = readText(path)?.trim();
  if (t === undefined || !/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n > 0 ? n : null;
}

const ARPHRD_LOOPBACK = 772;
/** Some drivers report an unknown speed as (u32)-1 instead of -1. */
const SPEED_UNKNOWN_U32 = 4294967295;

function readSysClassNet(dir: string, note: (m: string) => void): Nic[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    note(`cannot list ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    return [];
  }
  const nics: Nic[] = [];
  for (const name of names) {
    const p = join(dir, name);
    if (!existsSync(join(p, 'operstate'))) continue; // bonding_masters and other plain files
    let speed = readPositiveInt(join(p, 'speed'));
    if (speed === SPEED_UNKNOWN_U32) speed = null;
    const type = readPositiveInt(join(p, 'type'));
    nics.push({
      name,
      speedMbps: speed,
      mtu: readPositiveInt(join(p, 'mtu')),
      operstate: readText(join(p, 'operstate'))?.trim() || 'unknown',
      loopback: type === ARPHRD_LOOPBACK || name === 'lo',
      virtual: !existsSync(join(p, 'device')),
      wireless: existsSync(join(p, 'wireless')) || existsSync(join(p, 'phy80211')),
      source: 'sysfs',
    });
  }
  return nics;
}

async function siNics(si: SiModule, note: (m: string) => void): Promise<Nic[]> {
  try {
    const list = await withTimeout(si.networkInterfaces(), 'si.networkInterfaces()');
    const arr = Array.isArray(list) ? list : [list];
    note('NICs from systeminformation (sysfs gave none)');
    return arr.map((n) => ({
      name: n.iface,
      speedMbps: typeof n.speed === 'number' && n.speed > 0 ? n.speed : null,
      mtu: typeof n.mtu === 'number' && n.mtu > 0 ? n.mtu : null,
      operstate: n.operstate || 'unknown',
      loopback: n.internal,
      virtual: n.virtual || n.internal,
      wireless: n.type === 'wireless',
      source: 'systeminformation' as const,
    }));
  } catch (e) {
    note(`si.networkInterfaces() failed (${(e as Error).message}): no NICs known`);
    return [];
  }
}

function readKernelLimits(core: string, ipv4: string, note: (m: string) => void): KernelLimits {
  const one = (dir: string, name: string): number | null => {
    const n = readPositiveInt(join(dir, name));
    if (n === null) note(`cannot read ${join(dir, name)}: limit unknown`);
    return n;
  };
  const triple = (name: string): TcpMem | null => {
    const parts = readText(join(ipv4, name))?.trim().split(/\s+/).map(Number);
    if (!parts || parts.length !== 3 || parts.some((n) => !Number.isInteger(n) || n <= 0)) return null;
    return { min: parts[0], default: parts[1], max: parts[2] };
  };
  return { rmemMax: one(core, 'rmem_max'), wmemMax: one(core, 'wmem_max'), tcpRmem: triple('tcp_rmem'), tcpWmem: triple('tcp_wmem') };
}
