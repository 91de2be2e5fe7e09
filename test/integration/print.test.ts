/**
 * Print spooling with real peers on loopback: DCMTK dcmpsprt + dcmprscu are the modality,
 * dicom-edge's print SCP spools, DCMTK dcmprscp is the printer (its stored print objects
 * show what arrived). A printer that is down gets the job after it restarts, across a
 * restart of dicom-edge; `dicom-edge print` prints straight to dcmprscp.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runDcmtk } from '../helpers/peers';
import { freePort } from '../helpers/ports';
import { tmpDir } from '../helpers/tmp';
import { agentDataDir } from '../helpers/agent';
import { decodeSimplePng } from '../../src/dicom/render/png';
import { SpoolDb } from '../../src/print/spool-db';
import { run as printCommand } from '../../src/cli/commands/print';
import { run as printQueueCommand } from '../../src/cli/commands/print-queue';
import { dcmtkPrintConfig, printIni, rampImage, startDcmprscp, startEdge, storedPrints } from './print-peers';

async function eventually(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 60000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Captures what a CLI command run in this process writes to stdout. */
async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => { out += chunk.toString(); return true; }) as typeof process.stdout.write;
  try {
    return { code: await fn(), out };
  } finally {
    process.stdout.write = write;
  }
}

async function modalityPrints(cfg: string, dbDir: string, image: string): Promise<void> {
  const before = new Set((await storedPrints(dbDir)).sp);
  const p = await runDcmtk('dcmpsprt', ['-c', cfg, '-p', 'PRINTER', image]);
  assert.equal(p.code, 0, p.stdout + p.stderr);
  const sp = (await storedPrints(dbDir)).sp.filter((f) => !before.has(f));
  assert.equal(sp.length, 1, 'dcmpsprt wrote one stored print object');
  const r = await runDcmtk('dcmprscu', ['-c', cfg, '-p', 'PRINTER', '-v', sp[0]]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /E: /, 'dcmprscu reports no error');
}

test('dcmpsprt+dcmprscu → dicom-edge print SCP → dcmprscp; printer down → held, delivered after restarts of edge and printer', async (t) => {
  const printerPort = await freePort();
  const edgePort = await freePort();
  const prDir = await tmpDir('dcmprscp-', t);
  const modDir = await tmpDir('modality-', t);
  const dataDir = await agentDataDir('edge-print-');
  const prCfg = await dcmtkPrintConfig(prDir, [{ section: 'PRINTER', aet: 'PRINTSCP', port: printerPort }]);
  const modCfg = await dcmtkPrintConfig(modDir, [{ section: 'PRINTER', aet: 'EDGEPRINT', port: edgePort }]);
  const image = await rampImage(modDir);
  const ini = printIni({ port: edgePort, dataDir, printerPort });

  let printer = await startDcmprscp(prCfg, printerPort);
  let edge = await startEdge(ini);
  t.after(() => edge.stop());
  const jobs = () => new SpoolDb(edge.agent.index.db).list();

  await modalityPrints(modCfg, modDir, image);
  await eventually('job 1 printed', () => jobs()[0]?.state === 'done');
  await eventually('dcmprscp stored the film', async () => (await storedPrints(prDir)).sp.length === 1);
  const { hg } = await storedPrints(prDir);
  assert.equal(hg.length, 1, 'one hardcopy image at the printer');
  const dump = await runDcmtk('dcmdump', ['+P', 'Rows', '+P', 'BitsStored', hg[0]]);
  assert.match(dump.stdout, /\(0028,0010\) US 64/);
  assert.match(dump.stdout, /\(0028,0101\) US 12/, 'the printer supports 12 bits: sent as 12-bit');
  const j1 = jobs()[0];
  assert.equal(j1.calling_ae, 'MODALITY');
  const png = path.join(dataDir, j1.dir, 'film1.png');
  const preview = decodeSimplePng(readFileSync(png));
  assert.ok(preview.height > preview.width, '8INX10IN portrait preview is taller than wide');
  assert.ok(new Set(preview.data).size > 16, 'the preview shows the ramp');
  const history = new SpoolDb(edge.agent.index.db).historyOf(j1.id).map((h) => h.state);
  assert.deepEqual(history, ['queued', 'printing', 'done']);

  // Printer down: the modality still prints (spooled), the job is held and retried.
  await printer.stop();
  await modalityPrints(modCfg, modDir, image);
  await eventually('job 2 held for the printer', () => jobs()[0]?.state === 'held' && jobs()[0]?.hold_reason === 'printer');
  assert.ok((jobs()[0].attempts) >= 1);

  // dicom-edge restarts: nothing lost.
  await edge.stop();
  edge = await startEdge(ini);
  assert.equal(jobs().length, 2);
  assert.ok(['held', 'queued', 'printing'].includes(jobs()[0].state));

  printer = await startDcmprscp(prCfg, printerPort);
  await eventually('job 2 printed after the printer came back', () => jobs()[0]?.state === 'done');
  await eventually('dcmprscp has both films', async () => (await storedPrints(prDir)).sp.length === 2);

  // The queue command sees both jobs and reprints one.
  const iniPath = path.join(dataDir, 'edge.ini');
  writeFileSync(iniPath, ini);
  const listed = await capture(() => printQueueCommand(['list', '--config', iniPath]));
  assert.equal(listed.code, 0);
  assert.match(listed.out, /FILM\s+done/);
  const re = await capture(() => printQueueCommand(['reprint', '--job', String(j1.id), '--config', iniPath]));
  assert.match(re.out, /1 job\(s\) queued for reprint/);
  edge.agent.print.wake();
  await eventually('reprint delivered', async () => (await storedPrints(prDir)).sp.length === 3);
  await printer.stop();
});

test('dicom-edge print → dcmprscp: 16-bit image windowed to the printer, format, film size, copies', async (t) => {
  const printerPort = await freePort();
  const prDir = await tmpDir('dcmprscp-', t);
  const dataDir = await agentDataDir('edge-print-cli-');
  const prCfg = await dcmtkPrintConfig(prDir, [{ section: 'PRINTER', aet: 'PRINTSCP', port: printerPort }]);
  const image = await rampImage(prDir, 'cli.dcm');
  const printer = await startDcmprscp(prCfg, printerPort);
  t.after(() => printer.stop());
  const iniPath = path.join(dataDir, 'edge.ini');
  writeFileSync(iniPath, printIni({ port: await freePort(), dataDir, printerPort }));
  const r = await capture(() => printCommand(['FILM', image, image, '--format', 'STANDARD\\1,2', '--film', '14INX17IN', '--copies', '2', '--config', iniPath]));
  assert.equal(r.code, 0);
  assert.match(r.out, /printed 2 image\(s\) on 1 film\(s\), 2 copies, to FILM/);
  await eventually('dcmprscp stored the film', async () => (await storedPrints(prDir)).sp.length === 1 && (await storedPrints(prDir)).hg.length === 2);
  const sp = (await storedPrints(prDir)).sp[0];
  const d = await runDcmtk('dcmdump', [sp]);
  assert.match(d.stdout, /STANDARD\\1,2/);
  assert.match(d.stdout, /14INX17IN/);
  assert.ok(existsSync(sp));
});
