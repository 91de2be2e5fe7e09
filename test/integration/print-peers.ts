/**
 * Helpers of the print integration tests: DCMTK print configurations (dcmpstat.cfg
 * format), dcmprscp as the printer on a fixed port (so it can be restarted), a test
 * image, and an in-process dicom-edge that can be restarted on the same data folder.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Agent } from '../../src/agent/agent';
import { createLogger } from '../../src/util/log';
import { parseTestConfig, testIni } from '../helpers/agent';
import { peerEnv, runDcmtk, spawnPeer, type PeerProcess } from '../helpers/peers';
import { waitForPort } from '../helpers/ports';

export interface PrinterSection { section: string; aet: string; port: number }

/** A dcmpstat.cfg with one LOCALPRINTER section per entry; folders are created under `dir`. */
export async function dcmtkPrintConfig(dir: string, printers: PrinterSection[], aetitle = 'MODALITY'): Promise<string> {
  for (const d of ['log', 'spool', 'db', 'lut']) await fsp.mkdir(path.join(dir, d), { recursive: true });
  const lines = [
    '[[GENERAL]]', '[APPLICATION]', `LogDirectory = ${dir}/log`, 'LogFile = general.log', 'LogLevel = INFO',
    '[PRINT]', `Directory = ${dir}/spool`, 'DetailedLog = false', 'BinaryLog = false', 'Sleep = 1', 'DeletePrintJobs = false',
    '[DATABASE]', `Directory = ${dir}/db`, '[LUT]', `Directory = ${dir}/lut`, '[NETWORK]', `aetitle = ${aetitle}`,
    '[[COMMUNICATION]]',
  ];
  for (const p of printers) {
    lines.push(`[${p.section}]`, `Aetitle = ${p.aet}`, 'Description = test printer', 'Hostname = 127.0.0.1', `Port = ${p.port}`,
      'Type = LOCALPRINTER', 'DisplayFormat = 1,1\\1,2\\2,2', 'FilmSizeID = 8INX10IN\\14INX17IN', 'MediumType = PAPER\\CLEAR FILM',
      'MagnificationType = REPLICATE\\BILINEAR\\CUBIC\\NONE', 'MaxDensity = 320', 'MinDensity = 20', 'MaxPDU = 32768',
      'Supports12Bit = true', 'SupportsPresentationLUT = false');
  }
  const cfg = path.join(dir, 'print.cfg');
  await fsp.writeFile(cfg, lines.join('\n') + '\n');
  return cfg;
}

/** dcmprscp (the DICOM printer) on the port of its config; bound to loopback by the shim. */
export async function startDcmprscp(cfg: string, port: number): Promise<PeerProcess> {
  const peer = spawnPeer('dcmprscp', ['-c', cfg, '-p', 'PRINTER'], { env: peerEnv(true) });
  await waitForPort(port, '127.0.0.1', 15000, () => (peer.proc.exitCode !== null ? new Error(`dcmprscp exited:\n${peer.output()}`) : undefined));
  return peer;
}

/** Files dcmprscp stored: SP_* (stored print) and HG_* (hardcopy grayscale images). */
export async function storedPrints(dir: string): Promise<{ sp: string[]; hg: string[] }> {
  const names = await fsp.readdir(path.join(dir, 'db')).catch(() => [] as string[]);
  return { sp: names.filter((n) => n.startsWith('SP_')).map((n) => path.join(dir, 'db', n)), hg: names.filter((n) => n.startsWith('HG_')).map((n) => path.join(dir, 'db', n)) };
}

/** A 64x64 MONOCHROME2 16/12-bit image with a ramp and a window, written with dump2dcm. */
export async function rampImage(dir: string, name = 'img.dcm'): Promise<string> {
  const px = Buffer.alloc(64 * 64 * 2);
  for (let i = 0; i < 64 * 64; i++) px.writeUInt16LE(i % 4096, i * 2);
  const raw = path.join(dir, `${name}.raw`);
  await fsp.writeFile(raw, px);
  const dump = path.join(dir, `${name}.dump`);
  await fsp.writeFile(dump, [
    '(0008,0016) UI =SecondaryCaptureImageStorage', `(0008,0018) UI [1.2.826.0.1.3680043.2.1143.${Date.now()}]`, '(0008,0060) CS [OT]',
    '(0010,0010) PN [PRINT^TEST]', '(0010,0020) LO [P1]', '(0020,000d) UI [1.2.826.0.1.3680043.2.1143.7]', '(0020,000e) UI [1.2.826.0.1.3680043.2.1143.7.1]',
    '(0028,0002) US 1', '(0028,0004) CS [MONOCHROME2]', '(0028,0010) US 64', '(0028,0011) US 64', '(0028,0100) US 16', '(0028,0101) US 12',
    '(0028,0102) US 11', '(0028,0103) US 0', '(0028,1050) DS [2048]', '(0028,1051) DS [4096]', `(7fe0,0010) OW =${raw}`, '',
  ].join('\n'));
  const out = path.join(dir, name);
  const r = await runDcmtk('dump2dcm', ['+te', dump, out]);
  if (r.code !== 0) throw new Error(`dump2dcm: ${r.stdout}${r.stderr}`);
  return out;
}

export interface PrintEdgeSetup { printLines?: string[]; port: number; dataDir: string; printerPort: number; printerAet?: string; printAs?: string; extraRemotes?: string; name?: string }

/** INI of a dicom-edge that spools for one printer (fast retries). */
export function printIni(s: PrintEdgeSetup): string {
  return testIni({
    port: s.port, dataDir: s.dataDir,
    sections: {
      Server: ['scp = basicGrayPrint, basicColorPrint, presentationLut, printJob', 'accept = MODALITY, 127.0.0.1', 'accept = DCMJS, 127.0.0.1', 'accept = EDGE, 127.0.0.1'],
      Print: ['retryBase = 200ms', 'retryCap = 1s', ...(s.printLines ?? [])],
    },
    tail: [
      `[RemoteAE]\nuserName = ${s.name ?? 'FILM'}\naetitle = ${s.printerAet ?? 'PRINTSCP'}\nip = 127.0.0.1\nport = ${s.printerPort}\nprinter = yes\nprintAs = ${s.printAs ?? 'EDGEPRINT'}`,
      'filmSizes = 8INX10IN\\14INX17IN\ndisplayFormats = 1,1\\1,2\\2,2\nmagnificationTypes = REPLICATE\\BILINEAR\\CUBIC\\NONE\nsupports12Bit = yes\n',
      s.extraRemotes ?? '',
    ].join('\n'),
  });
}

export interface Edge { agent: Agent; logs: string[]; stop(): Promise<void> }

export async function startEdge(ini: string): Promise<Edge> {
  const config = parseTestConfig(ini);
  const logs: string[] = [];
  const agent = new Agent({ config, log: createLogger({ debug: !!process.env.EDGE_TEST_DEBUG, write: (l) => { logs.push(l); if (process.env.EDGE_TEST_DEBUG) process.stderr.write(l + '\n'); } }) });
  await agent.start();
  return { agent, logs, stop: () => agent.stop(500) };
}
