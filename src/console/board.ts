/**
 * Board profiles (hw/boards/*.json) and the USB-serial map (hw/usb-serial.json): which
 * serial device the setup console uses when [Console] device is not set. A profile matches
 * the device tree's model/compatible strings (ARM boards) or, last, the CPU architecture.
 * Host paths go through `root` (like the tuner's fixtures) so tests can fake a board.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConsoleSettings } from './config-section';

export interface BoardProfile {
  name: string;
  description?: string;
  match: { model?: string; compatible?: string; arch?: string };
  console: { device: string | null; baud: number };
  nics?: string[];
  disk?: string;
  tuning?: { nic?: string; rttMs?: number; memoryBudgetFraction?: number };
}

export interface UsbSerialAdapter { vendorId: string; productId: string; name: string; role?: string }

/** Where hw/ is: $DICOM_EDGE_HW_DIR, /usr/share/dicom-edge/hw (installed), ./hw, or next to the program. */
export function hwDirCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    env.DICOM_EDGE_HW_DIR ?? '',
    '/usr/share/dicom-edge/hw', '/usr/local/share/dicom-edge/hw',
    join(process.cwd(), 'hw'), join(dirname(process.argv[1] ?? '.'), '..', 'hw'),
  ].filter((d) => d !== '');
}

export function findHwDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return hwDirCandidates(env).find((d) => existsSync(join(d, 'boards')));
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Every valid profile in <hwDir>/boards; `notes` says what was skipped. */
export function loadBoards(hwDir: string, notes: string[] = []): BoardProfile[] {
  const dir = join(hwDir, 'boards');
  const out: BoardProfile[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    try {
      const b = readJson(join(dir, f)) as BoardProfile;
      if (typeof b.name !== 'string' || typeof b.match !== 'object' || typeof b.console !== 'object') throw new Error('needs name, match and console');
      out.push(b);
    } catch (e) {
      notes.push(`${f}: ${(e as Error).message}`);
    }
  }
  return out;
}

export function loadUsbSerialMap(hwDir: string): UsbSerialAdapter[] {
  try {
    const m = readJson(join(hwDir, 'usb-serial.json')) as { adapters?: UsbSerialAdapter[] };
    return Array.isArray(m.adapters) ? m.adapters : [];
  } catch {
    return [];
  }
}

function readDt(root: string, name: string): string[] {
  for (const base of ['proc/device-tree', 'sys/firmware/devicetree/base']) {
    try {
      return readFileSync(join(root, base, name), 'latin1').split('\0').filter((s) => s !== '');
    } catch { /* next */ }
  }
  return [];
}

/** $DICOM_EDGE_BOARD names one; else a device-tree match; else an architecture match. */
export function detectBoard(boards: BoardProfile[], o: { root?: string; arch?: string; env?: NodeJS.ProcessEnv } = {}): BoardProfile | undefined {
  const named = (o.env ?? process.env).DICOM_EDGE_BOARD;
  if (named) return boards.find((b) => b.name === named);
  const root = o.root ?? '/';
  const model = readDt(root, 'model')[0] ?? '';
  const compatible = readDt(root, 'compatible');
  const byDt = boards.find((b) => (b.match.model && model.startsWith(b.match.model)) || (b.match.compatible && compatible.includes(b.match.compatible)));
  return byDt ?? boards.find((b) => b.match.arch !== undefined && b.match.arch === (o.arch ?? process.arch));
}

/** /dev/ttyUSBn or /dev/ttyACMn of the first plugged adapter in the map (sysfs idVendor/idProduct). */
export function findUsbSerial(adapters: UsbSerialAdapter[], root = '/'): { device: string; adapter: UsbSerialAdapter } | undefined {
  const ttyDir = join(root, 'sys/class/tty');
  let names: string[];
  try {
    names = readdirSync(ttyDir).filter((n) => /^tty(USB|ACM)\d+$/.test(n)).sort();
  } catch {
    return undefined;
  }
  for (const name of names) {
    const ids = usbIds(join(ttyDir, name, 'device'), join(root, 'sys'));
    const adapter = ids && adapters.find((a) => a.vendorId.toLowerCase() === ids.vendor && a.productId.toLowerCase() === ids.product);
    if (adapter) return { device: `/dev/${name}`, adapter };
  }
  return undefined;
}

/** Walks up from the tty's device to the USB device that has idVendor/idProduct. */
function usbIds(deviceLink: string, stop: string): { vendor: string; product: string } | undefined {
  let dir: string;
  try {
    dir = realpathSync(deviceLink);
  } catch {
    return undefined;
  }
  for (let i = 0; i < 8 && dir.startsWith(stop) && dir !== stop; i++, dir = dirname(dir)) {
    try {
      const vendor = readFileSync(join(dir, 'idVendor'), 'utf8').trim().toLowerCase();
      const product = readFileSync(join(dir, 'idProduct'), 'utf8').trim().toLowerCase();
      return { vendor, product };
    } catch { /* go up */ }
  }
  return undefined;
}

export interface ConsoleDevice { device: string; baud: number; source: string }

/** [Console] device, else the board profile's, else a known USB-serial adapter; null: none / `off`. */
export function resolveConsoleDevice(s: ConsoleSettings, o: { hwDir?: string; root?: string; arch?: string; env?: NodeJS.ProcessEnv } = {}): ConsoleDevice | null {
  if (s.device === null) return null;
  if (s.device) return { device: s.device, baud: s.baud, source: '[Console] device' };
  const hwDir = o.hwDir ?? findHwDir(o.env);
  if (!hwDir) return null;
  const board = detectBoard(loadBoards(hwDir), o);
  const baud = (b?: number) => (s.present || !b ? s.baud : b);
  if (board?.console.device) return { device: board.console.device, baud: baud(board.console.baud), source: `board profile ${board.name}` };
  const usb = findUsbSerial(loadUsbSerialMap(hwDir), o.root);
  return usb ? { device: usb.device, baud: baud(board?.console.baud), source: `USB-serial adapter ${usb.adapter.name}` } : null;
}
