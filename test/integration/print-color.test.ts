/**
 * Colour print jobs into dicom-edge's print SCP (DCMTK has no colour printer): from our own
 * print SCU and from a dcmjs-dimse N-service client. The printer is unreachable, so the
 * jobs stay spooled (held, retried) with colour previews; statuses of bad requests follow
 * PS3.4 H.4 and every response names the Affected SOP Class and Instance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../helpers/ports';
import { dimseResponses, constants, Dataset, requests } from '../helpers/dcmjs-dimse';
import { decodeSimplePng } from '../../src/dicom/render/png';
import { SpoolDb } from '../../src/print/spool-db';
import { composeJob } from '../../src/print/compose';
import { colourItem } from '../../src/print/pixels';
import { printToPrinter } from '../../src/print/print-scu';
import type { PrinterDef } from '../../src/print/config';
import { UID } from '../../src/print/uids';
import { parseTestConfig, agentDataDir } from '../helpers/agent';
import { silentLogger } from '../../src/util/log';
import { printIni, startEdge } from './print-peers';


/** 16x16 RGB: red, green, blue vertical bands. */
function stripes(): Uint8Array {
  const d = new Uint8Array(16 * 16 * 3);
  for (let i = 0; i < 256; i++) d[i * 3 + Math.min(2, Math.floor((i % 16) / 6))] = 255;
  return d;
}

function hasColour(png: Buffer): boolean {
  const img = decodeSimplePng(png);
  if (img.channels !== 3) return false;
  for (let i = 0; i < img.data.length; i += 3) if (img.data[i] > 200 && img.data[i + 1] < 50 && img.data[i + 2] < 50) return true;
  return false;
}

async function eventually(what: string, probe: () => boolean, timeoutMs = 30000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('colour job from our print SCU → spooled, colour preview, held while the printer is unreachable', async (t) => {
  const edgePort = await freePort();
  const dataDir = await agentDataDir('edge-colour-');
  const ini = printIni({ port: edgePort, dataDir, printerPort: await freePort() });
  const edge = await startEdge(ini);
  t.after(() => edge.stop());
  const config = parseTestConfig(ini);
  const self: PrinterDef = {
    name: 'EDGE', printAs: 'EDGEPRINT',
    remote: { aeTitle: 'EDGEPRINT', ip: '127.0.0.1', port: edgePort, contexts: [], transferSyntaxes: [], extra: {}, line: 0 },
    caps: { filmSizes: [], displayFormats: [], magnificationTypes: [], supports12Bit: false },
  };
  const content = composeJob([{ item: colourItem(16, 16, stripes()), colour: true }], { format: 'STANDARD\\1,1', film: '10INX12IN', orientation: 'LANDSCAPE' }, self.caps);
  const out = await printToPrinter(config, self, content, silentLogger);
  assert.equal(out.kind, 'done', JSON.stringify(out));
  const db = new SpoolDb(edge.agent.index.db);
  await eventually('job held for the unreachable printer', () => db.list()[0]?.state === 'held');
  const job = db.list()[0];
  assert.equal(job.images, 1);
  assert.equal(job.calling_ae, 'EDGE');
  const png = readFileSync(path.join(dataDir, job.dir, 'film1.png'));
  assert.ok(hasColour(png), 'the preview keeps the colours');
  const img = decodeSimplePng(png);
  assert.ok(img.width > img.height, 'landscape film');
});

interface Rsp { getStatus(): number; getAffectedSopInstanceUid(): string; getDataset(): { getElements(): Record<string, unknown> } | undefined }

/** All requests on one association, as the print SCU "DCMJS" calling EDGEPRINT. */
function dimseAll(port: number, list: unknown[]): Promise<{ rsps: Rsp[]; error?: string }> {
  return dimseResponses<Rsp>(port, 'DCMJS', 'EDGEPRINT', list);
}

const affectedClass = (r: Rsp): string => (r as unknown as { getCommandDataset(): { getElement(k: string): string } }).getCommandDataset().getElement('AffectedSOPClassUID');

test('colour job from a dcmjs-dimse N-service client: session, film box, colour image box, print', async (t) => {
  const edgePort = await freePort();
  const dataDir = await agentDataDir('edge-dcmjs-print-');
  // dcmjs-dimse's client fails on an N-EVENT-REPORT-RQ from the SCP (the unreachable printer triggers one).
  const edge = await startEdge(printIni({ port: edgePort, dataDir, printerPort: await freePort(), printLines: ['eventReports = no'] }));
  t.after(() => edge.stop());
  const meta = constants.SopClass.BasicColorPrintManagementMeta ?? UID.ColorMeta;
  // SCU-chosen instance UIDs (PS3.7 10.1.5.1: N-CREATE may carry them); image box UIDs are the film box UID + position.
  const sessionUid = '1.2.826.0.1.3680043.2.1143.55.1';
  const filmBoxUid = '1.2.826.0.1.3680043.2.1143.55.2';
  const px = Buffer.from(stripes());
  const planar = Buffer.alloc(px.length);
  for (let i = 0; i < 256; i++) for (let c = 0; c < 3; c++) planar[c * 256 + i] = px[i * 3 + c];
  const session = new requests.NCreateRequest(UID.FilmSession, sessionUid, meta);
  session.setDataset(new Dataset({ NumberOfCopies: '1', MediumType: 'PAPER', FilmSessionLabel: 'dcmjs colour' }));
  const fb = new requests.NCreateRequest(UID.FilmBox, filmBoxUid, meta);
  fb.setDataset(new Dataset({
    ImageDisplayFormat: 'STANDARD\\1,1', FilmOrientation: 'PORTRAIT', FilmSizeID: '8INX10IN',
    ReferencedFilmSessionSequence: [{ ReferencedSOPClassUID: UID.FilmSession, ReferencedSOPInstanceUID: sessionUid }],
  }));
  const set = new requests.NSetRequest(UID.ColorImageBox, `${filmBoxUid}.1`, meta);
  set.setDataset(new Dataset({
    ImageBoxPosition: 1,
    BasicColorImageSequence: [{
      _vrMap: { PixelData: 'OB' },
      SamplesPerPixel: 3, PhotometricInterpretation: 'RGB', PlanarConfiguration: 1, Rows: 16, Columns: 16,
      BitsAllocated: 8, BitsStored: 8, HighBit: 7, PixelRepresentation: 0, PixelData: [planar.buffer.slice(planar.byteOffset, planar.byteOffset + planar.length)],
    }],
  }));
  const action = new requests.NActionRequest(UID.FilmBox, filmBoxUid, 1, meta);
  const del = new requests.NDeleteRequest(UID.FilmSession, sessionUid, meta);
  const r = await dimseAll(edgePort, [session, fb, set, action, del]);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.rsps.map((x) => x.getStatus()), [0, 0, 0, 0, 0]);
  assert.deepEqual(r.rsps.map(affectedClass), [UID.FilmSession, UID.FilmBox, UID.ColorImageBox, UID.FilmBox, UID.FilmSession], 'Affected SOP Class UID in every response');
  assert.equal(r.rsps[1].getAffectedSopInstanceUid(), filmBoxUid);
  const refs = (r.rsps[1].getDataset()?.getElements().ReferencedImageBoxSequence ?? []) as Array<{ ReferencedSOPClassUID: string; ReferencedSOPInstanceUID: string }>;
  assert.deepEqual(refs.map((x) => [x.ReferencedSOPClassUID, x.ReferencedSOPInstanceUID]), [[UID.ColorImageBox, `${filmBoxUid}.1`]]);
  const db = new SpoolDb(edge.agent.index.db);
  assert.equal(db.list().length, 1);
  const job = db.list()[0];
  assert.equal(job.calling_ae, 'DCMJS');
  assert.equal(job.label, 'dcmjs colour');
  assert.ok(hasColour(readFileSync(path.join(dataDir, job.dir, 'film1.png'))));
});

test('print SCP statuses: film box without a session, bad enumerated value, N-ACTION on an empty session', async (t) => {
  const edgePort = await freePort();
  const dataDir = await agentDataDir('edge-print-status-');
  const edge = await startEdge(printIni({ port: edgePort, dataDir, printerPort: await freePort() }));
  t.after(() => edge.stop());
  const meta = UID.GrayMeta;
  const sessionUid = '1.2.826.0.1.3680043.2.1143.56.1';
  const noSession = new requests.NCreateRequest(UID.FilmBox, '', meta);
  noSession.setDataset(new Dataset({ ImageDisplayFormat: 'STANDARD\\1,1' }));
  const bad = new requests.NCreateRequest(UID.FilmSession, '', meta);
  bad.setDataset(new Dataset({ MediumType: 'GLASS' }));
  const good = new requests.NCreateRequest(UID.FilmSession, sessionUid, meta);
  good.setDataset(new Dataset({ NumberOfCopies: '1' }));
  const r = await dimseAll(edgePort, [
    noSession, bad, good,
    new requests.NActionRequest(UID.FilmSession, sessionUid, 1, meta),
    new requests.NGetRequest(UID.Printer, UID.PrinterInstance, [], meta),
    new requests.NActionRequest(UID.FilmSession, sessionUid, 7, meta),
  ]);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.rsps.map((x) => x.getStatus()), [0x0117, 0x0106, 0x0000, 0xc600, 0x0000, 0x0123]);
  assert.equal(r.rsps[4].getDataset()?.getElements().PrinterStatus, 'NORMAL');
  assert.equal(r.rsps[4].getDataset()?.getElements().PrinterName, 'FILM');
  assert.equal(new SpoolDb(edge.agent.index.db).list().length, 0, 'nothing spooled');
});
