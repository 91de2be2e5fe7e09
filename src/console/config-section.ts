/**
 * The [Console] section (ours), registered in the INI schema at module load:
 *
 *   [Console]
 *   device   = /dev/ttyUSB0   ; serial device of the setup console; `off` = none. Absent:
 *                            ; the board profile's device, else a known USB-serial adapter
 *   baud     = 115200        ; 8N1 always
 *   password = secret        ; optional; asked before any command
 *
 * Importing this module is what makes [Console] a known section (src/cli/main.ts and the
 * agent import it, like src/forward/config.ts does for [Route]).
 */
import type { Config } from '../config/types';
import { findSection, registerSection } from '../config/schema';
import { sectionValues, type LoadedConfig } from '../config/load';

/** Rates a UART or USB adapter may be set to (termios' standard list from 50 to 4 Mbaud). */
export const BAUD_RATES: readonly number[] = [
  50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600,
  115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000,
  2500000, 3000000, 3500000, 4000000,
];

function parseBaud(raw: string) {
  const v = raw.trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || !BAUD_RATES.includes(n)) return { problem: `"${v}" is not a standard baud rate (e.g. 9600, 115200)` };
  return { value: n };
}

export function registerConsoleConfig(): void {
  if (findSection('Console')) return;
  registerSection('Console', {
    device: { type: 'path' },
    baud: { type: 'custom', parse: parseBaud, default: 115200 },
    password: { type: 'text' },
  });
}
registerConsoleConfig();

export interface ConsoleSettings {
  /** undefined: not set (use the board profile); null: `off`. */
  device: string | null | undefined;
  baud: number;
  password?: string;
  /** The INI has a [Console] section (else a board profile's baud applies). */
  present: boolean;
}

export function consoleSettings(config: Config): ConsoleSettings {
  const v = 'sections' in config ? sectionValues(config as LoadedConfig, 'Console') : {};
  const device = typeof v.device === 'string' ? v.device : undefined;
  const password = typeof v.password === 'string' && v.password !== '' ? v.password : undefined;
  return {
    device: device !== undefined && /^(off|none|no)$/i.test(device) ? null : device,
    baud: typeof v.baud === 'number' ? v.baud : 115200,
    password,
    present: 'sections' in config && (config as LoadedConfig).sections.Console !== undefined,
  };
}
