/**
 * Print configuration, registered in the INI schema at module load:
 *
 *   [RemoteAE]                      ; a DICOM printer dicom-edge spools for
 *   printer = yes
 *   printAs = FILM1                 ; called AE title modalities print to (default: aetitle)
 *   filmSizes = 8INX10IN\14INX17IN  ; PS3.3 C.13.3 Film Size ID values the printer accepts
 *   displayFormats = 1,1\1,2\2,2    ; STANDARD\c,r formats it accepts (DCMTK DisplayFormat syntax)
 *   magnificationTypes = REPLICATE\BILINEAR\CUBIC\NONE
 *   supports12Bit = yes             ; else 12-bit images are sent as 8-bit
 *   printerDpi = 300                ; resolution: image box size in pixels (src/print/fit.ts)
 *   minDensity = 20  maxDensity = 320  ; the printer's density range, hundredths of OD (B605)
 *
 *   [Print]                         ; the spool (durations as in [Forward])
 *   retryBase = 5s  retryCap = 5m  maxAttempts = 0 (no limit)  maxQueued = 100 (per printer)
 *   eventReports = yes              ; N-EVENT-REPORT printer/job state changes to the modality
 *   oversize = demagnify            ; image larger than its box: demagnify (B604) | crop (B609) | fail (C603)
 *   keepDays = 7                    ; done/failed jobs (folder, previews, row) deleted after; 0 = kept
 *
 * Every list takes `\`, `,` between words (display formats: `\` or blanks, since `c,r` has a comma).
 */
import type { Config, RemoteAe } from '../config/types';
import { findSection, registerOptions, registerSection, registerValidator, type OptionDef, type ParseResult } from '../config/schema';
import type { LoadedConfig } from '../config/load';
import { parseDuration } from '../forward/config';
import { DEFAULT_DPI, OVERSIZE_POLICIES, type OversizePolicy } from './fit';
import './uids';

export interface PrinterCapabilities {
  /** Empty = anything (the printer's default is used when unknown). */
  filmSizes: string[];
  /** STANDARD formats as [columns, rows]. */
  displayFormats: Array<[number, number]>;
  magnificationTypes: string[];
  supports12Bit: boolean;
  /** Printer resolution (dots per inch); DEFAULT_DPI when not configured. */
  dpi?: number;
  /** The printer's density range in hundredths of OD (PS3.3 C.13.3 Min/Max Density); unset = not checked. */
  minDensity?: number;
  maxDensity?: number;
}

export interface PrinterDef {
  /** Queue name: the remote's userName, else its AE title. */
  name: string;
  /** Called AE title the modality uses to reach this printer's queue on dicom-edge. */
  printAs: string;
  remote: RemoteAe;
  caps: PrinterCapabilities;
}

export interface SpoolSettings {
  baseMs: number;
  capMs: number;
  maxAttempts: number;
  maxQueued: number;
  eventReports: boolean;
  /** `[Print] oversize`: what to do with an image larger than its box when the SCU did not say (PS3.3 C.13.5). */
  oversize: OversizePolicy;
  /** Done and failed jobs older than this are deleted; 0 = never. */
  keepMs: number;
}

function words(raw: string): string[] {
  return raw.split(/[\\,\s]+/).map((w) => w.trim().toUpperCase()).filter(Boolean);
}

/** `1,1\2,2 3,4` → [[1,1],[2,2],[3,4]]. */
export function parseDisplayFormats(raw: string): Array<[number, number]> | string {
  const out: Array<[number, number]> = [];
  for (const part of raw.split(/[\\\s;]+/).map((p) => p.trim()).filter(Boolean)) {
    const m = /^(?:STANDARD\\?)?(\d{1,2}),(\d{1,2})$/i.exec(part);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) return `"${part}" is not a display format c,r`;
    out.push([Number(m[1]), Number(m[2])]);
  }
  return out;
}

const list = (check?: RegExp): OptionDef => ({
  type: 'custom',
  parse: (raw): ParseResult => {
    const w = words(raw);
    const bad = check ? w.find((x) => !check.test(x)) : undefined;
    return bad ? { problem: `"${bad}" is not a valid value` } : { value: w };
  },
});

const duration = (d: string): OptionDef => ({ type: 'custom', parse: parseDuration, default: (parseDuration(d) as { value: number }).value });

/** Registers the RemoteAE printer keys and [Print] once. */
export function registerPrintConfig(): void {
  if (findSection('Print')) return;
  registerOptions('RemoteAE', {
    printer: { type: 'bool', default: false },
    printAs: { type: 'aeTitle' },
    filmSizes: list(/^[0-9A-Z]+$/),
    displayFormats: { type: 'custom', parse: (raw) => { const r = parseDisplayFormats(raw); return typeof r === 'string' ? { problem: r } : { value: r }; } },
    magnificationTypes: list(/^(REPLICATE|BILINEAR|CUBIC|NONE)$/),
    supports12Bit: { type: 'bool', default: false },
    printerDpi: { type: 'int', min: 50, max: 4800 },
    minDensity: { type: 'int', min: 0, max: 65535 },
    maxDensity: { type: 'int', min: 0, max: 65535 },
  });
  registerSection('Print', {
    retryBase: duration('5s'),
    retryCap: duration('5m'),
    maxAttempts: { type: 'int', default: 0, min: 0, max: 1_000_000 },
    maxQueued: { type: 'int', default: 100, min: 1, max: 100_000 },
    // N-EVENT-REPORTs to the modality (Printer and Print Job state changes, PS3.4 H.4.5/H.4.6);
    // some SCUs cannot take a request from the SCP (dcmjs-dimse's client fails on one).
    eventReports: { type: 'bool', default: true },
    oversize: { type: 'enum', values: OVERSIZE_POLICIES, default: 'demagnify' },
    keepDays: { type: 'int', default: 7, min: 0, max: 36500 },
  });
}
registerPrintConfig();

function isYes(v: string | undefined): boolean {
  return /^(yes|on|true|1)$/i.test((v ?? '').trim());
}

/** The configured printers ([RemoteAE] printer = yes). */
export function printersOf(config: Config): PrinterDef[] {
  return config.remotes.filter((r) => isYes(r.extra.printer)).map((r) => {
    const formats = r.extra.displayFormats ? parseDisplayFormats(r.extra.displayFormats) : [];
    return {
      name: r.userName?.trim() || r.aeTitle,
      printAs: (r.extra.printAs ?? '').trim() || r.aeTitle,
      remote: r,
      caps: {
        filmSizes: words(r.extra.filmSizes ?? ''),
        displayFormats: typeof formats === 'string' ? [] : formats,
        magnificationTypes: words(r.extra.magnificationTypes ?? ''),
        supports12Bit: isYes(r.extra.supports12Bit),
        dpi: dpiOf(r.extra.printerDpi),
        minDensity: densityOf(r.extra.minDensity),
        maxDensity: densityOf(r.extra.maxDensity),
      },
    };
  });
}

function densityOf(raw: string | undefined): number | undefined {
  const n = Number((raw ?? '').trim());
  return raw !== undefined && raw.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

function dpiOf(raw: string | undefined): number {
  const n = Number((raw ?? '').trim());
  return Number.isInteger(n) && n >= 50 && n <= 4800 ? n : DEFAULT_DPI;
}

/** The printer by queue name (userName or AE title). */
export function findPrinter(config: Config, name: string): PrinterDef | undefined {
  const n = name.trim().toLowerCase();
  return printersOf(config).find((p) => p.name.toLowerCase() === n || p.remote.aeTitle.toLowerCase() === n);
}

/** The printer a modality reaches by calling `calledAe` on dicom-edge. */
export function printerForCalledAe(config: Config, calledAe: string): PrinterDef | undefined {
  return printersOf(config).find((p) => p.printAs === calledAe.trim());
}

export function spoolSettings(config: Config): SpoolSettings {
  const v = (config as LoadedConfig).sections?.Print?.[0]?.values ?? {};
  const n = (x: unknown, d: number): number => (typeof x === 'number' ? x : d);
  const oversize = OVERSIZE_POLICIES.find((p) => p === v.oversize) ?? 'demagnify';
  return {
    baseMs: n(v.retryBase, 5000), capMs: n(v.retryCap, 300_000), maxAttempts: n(v.maxAttempts, 0), maxQueued: n(v.maxQueued, 100),
    eventReports: v.eventReports !== false, oversize, keepMs: n(v.keepDays, 7) * 86_400_000,
  };
}

/** Whole-configuration checks: printAs titles must be unique and not the local AE title. */
export function printProblems(config: Config): { line: number; message: string }[] {
  const problems: { line: number; message: string }[] = [];
  const seen = new Map<string, string>();
  for (const r of config.remotes) {
    if (!isYes(r.extra.printer) && (r.extra.printAs || r.extra.filmSizes || r.extra.displayFormats || r.extra.printerDpi || r.extra.minDensity || r.extra.maxDensity)) {
      problems.push({ line: r.line, message: `[RemoteAE] ${r.aeTitle}: printer options without printer = yes` });
    }
  }
  for (const p of printersOf(config)) {
    if (p.printAs === config.localAe.aeTitle) problems.push({ line: p.remote.line, message: `[RemoteAE] ${p.name}: printAs ${p.printAs} is the [Local AE] title` });
    const other = seen.get(p.printAs);
    if (other) problems.push({ line: p.remote.line, message: `[RemoteAE] ${p.name}: printAs ${p.printAs} is also used by ${other}` });
    seen.set(p.printAs, p.name);
    const { minDensity: lo, maxDensity: hi } = p.caps;
    if (lo !== undefined && hi !== undefined && lo >= hi) problems.push({ line: p.remote.line, message: `[RemoteAE] ${p.name}: minDensity ${lo} is not below maxDensity ${hi}` });
  }
  return problems;
}
registerValidator(printProblems);
