/**
 * `dicom-edge print NAME FILE…`: prints images straight to a configured printer
 * ([RemoteAE] printer = yes) with the print SCU. 16-bit (any depth) grey images go
 * through their Modality LUT and window to the printer's depth (12 bits when
 * supports12Bit, else 8); colour images print in colour when the printer accepts the
 * Basic Color Print Management Meta SOP Class, else as grey.
 */
import { readDataSetFile } from '../../dicom/render/load';
import { pixelModuleOf } from '../../dicom/render/pixel-module';
import { composeJob } from '../../print/compose';
import { findPrinter, printersOf } from '../../print/config';
import { printItemFromImage } from '../../print/pixels';
import { printToPrinter } from '../../print/print-scu';
import { EdgeError } from '../../util/errors';
import { COMMON_FLAGS, bool, parseArgs, str } from '../args';
import { cliLogger, loadCliConfig } from '../context';

export const usage = "print NAME FILE... [--format 'STANDARD\\2,2'] [--film 14INX17IN] [--copies N] [--orientation PORTRAIT|LANDSCAPE] [--magnification TYPE] [--window C,W] [--config FILE]";

const FLAGS = [
  ...COMMON_FLAGS,
  { names: ['--format'], value: true, key: 'format' },
  { names: ['--film'], value: true, key: 'film' },
  { names: ['--copies'], value: true, key: 'copies' },
  { names: ['--orientation'], value: true, key: 'orientation' },
  { names: ['--magnification'], value: true, key: 'magnification' },
  { names: ['--window'], value: true, key: 'window' },
];

function parseWindow(v: string | undefined): { center: number; width: number } | undefined {
  if (v === undefined) return undefined;
  const [c, w] = v.split(',').map(Number);
  if (!Number.isFinite(c) || !Number.isFinite(w) || w < 1) throw new EdgeError('CLI_BAD_WINDOW', `--window ${v}: expected CENTER,WIDTH`);
  return { center: c, width: w };
}

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  const [name, ...files] = a.positionals;
  if (bool(a, 'help') || !name || !files.length) {
    process.stderr.write(`usage: dicom-edge ${usage}\n`);
    return 2;
  }
  const config = loadCliConfig(str(a, 'config'));
  const printer = findPrinter(config, name);
  if (!printer) throw new EdgeError('CLI_UNKNOWN_PRINTER', `no printer "${name}" (printers: ${printersOf(config).map((p) => p.name).join(', ') || 'none; set printer = yes in a [RemoteAE]'})`);
  const copies = Number(str(a, 'copies') ?? '1');
  if (!Number.isInteger(copies) || copies < 1 || copies > 99) throw new EdgeError('CLI_BAD_NUMBER', `--copies ${str(a, 'copies')}: 1..99`);
  const window = parseWindow(str(a, 'window'));
  const bits = printer.caps.supports12Bit ? 12 : 8;
  const items = [];
  for (const f of files) {
    const pm = pixelModuleOf((await readDataSetFile(f)).dataSet);
    items.push({ item: printItemFromImage(pm, bits, window), colour: pm.samplesPerPixel === 3 });
  }
  const content = composeJob(items, {
    format: str(a, 'format'), film: str(a, 'film'), copies, orientation: str(a, 'orientation'), magnification: str(a, 'magnification'),
    label: `dicom-edge print ${files.length} image(s)`,
  }, printer.caps);
  const log = cliLogger({ debug: bool(a, 'debug'), verbose: bool(a, 'verbose'), quiet: bool(a, 'quiet') });
  const out = await printToPrinter(config, printer, content, log);
  for (const w of out.warnings) process.stderr.write(`warning: ${w}\n`);
  if (out.kind !== 'done') {
    process.stderr.write(`dicom-edge: print to ${printer.name} failed${out.kind === 'printer-down' ? ' (printer unavailable)' : ''}: ${out.error}\n`);
    return 1;
  }
  process.stdout.write(`printed ${items.length} image(s) on ${content.films.length} film(s), ${copies} cop${copies === 1 ? 'y' : 'ies'}, to ${printer.name}\n`);
  return 0;
}
