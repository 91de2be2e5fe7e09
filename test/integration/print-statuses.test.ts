/**
 * PS3.4 Annex H statuses decided by dicom-edge's print SCP, seen by a dcmjs-dimse N-service
 * client (an independent implementation): images larger than their image box (box size from
 * Film Size ID, display format and [RemoteAE] printerDpi) → B604 demagnified, B609 cropped,
 * B60A decimated, C603 (Tables H.4.3.1.2.1.2-1, H.4-9) with the spooled pixels and preview
 * following the decision; print queue full → C602 (Film Box N-ACTION, Table H.4-9) and C601
 * (Film Session N-ACTION, Table H.4-4); done jobs older than [Print] keepDays removed at start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../helpers/ports';
import { agentDataDir } from '../helpers/agent';
import { dimseResponses, Dataset, requests } from '../helpers/dcmjs-dimse';
import { get } from '../../src/dicom/identifier';
import { decodeSimplePng } from '../../src/dicom/render/png';
import { imageItem } from '../../src/print/job';
import { SpoolDb } from '../../src/print/spool-db';
import { readJob } from '../../src/print/spool-files';
import { TAG, UID } from '../../src/print/uids';
import { printIni, startEdge } from './print-peers';


interface Rsp { getStatus(): number; getCommandDataset(): { getElement(k: string): unknown } }

/** All requests on one association, as the print SCU "DCMJS" calling EDGEPRINT. */
function dimseAll(port: number, list: unknown[]): Promise<{ rsps: Rsp[]; error?: string }> {
  return dimseResponses<Rsp>(port, 'DCMJS', 'EDGEPRINT', list);
}

const META = UID.GrayMeta;

function filmSession(uid: string): unknown {
  const rq = new requests.NCreateRequest(UID.FilmSession, uid, META);
  rq.setDataset(new Dataset({ NumberOfCopies: '1', FilmSessionLabel: 'sizes' }));
  return rq;
}

function filmBox(uid: string, sessionUid: string, format: string): unknown {
  const rq = new requests.NCreateRequest(UID.FilmBox, uid, META);
  rq.setDataset(new Dataset({
    ImageDisplayFormat: format, FilmOrientation: 'PORTRAIT', FilmSizeID: '8INX10IN', MagnificationType: 'REPLICATE',
    ReferencedFilmSessionSequence: [{ ReferencedSOPClassUID: UID.FilmSession, ReferencedSOPInstanceUID: sessionUid }],
  }));
  return rq;
}

/** Image Box N-SET of a `cols` x `rows` 8-bit grey image (a left-to-right ramp) with extra image box attributes. */
function imageBox(uid: string, pos: number, cols: number, rows: number, extra: Record<string, unknown> = {}): unknown {
  const px = Buffer.alloc(cols * rows);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(((i % cols) * 255) / (cols - 1));
  const rq = new requests.NSetRequest(UID.GrayImageBox, uid, META);
  rq.setDataset(new Dataset({
    ImageBoxPosition: pos, ...extra,
    BasicGrayscaleImageSequence: [{
      _vrMap: { PixelData: 'OB' },
      SamplesPerPixel: 1, PhotometricInterpretation: 'MONOCHROME2', Rows: rows, Columns: cols,
      BitsAllocated: 8, BitsStored: 8, HighBit: 7, PixelRepresentation: 0, PixelData: [px.buffer.slice(px.byteOffset, px.byteOffset + px.length)],
    }],
  }));
  return rq;
}

const comment = (r: Rsp): string => String(r.getCommandDataset().getElement('ErrorComment') ?? '');

test('oversize images: B604 demagnified, B609 cropped, C603 (magnification NONE), B60A decimated; N-ACTION B609; spool and preview follow', async (t) => {
  const edgePort = await freePort();
  const dataDir = await agentDataDir('edge-print-size-');
  // 8INX10IN at 50 dpi = 400x500 px; STANDARD\2,2 → image boxes of 200x250 px.
  const edge = await startEdge(printIni({ port: edgePort, dataDir, printerPort: await freePort(), printLines: ['eventReports = no'], extraRemotes: 'printerDpi = 50' }));
  t.after(() => edge.stop());
  const sessionUid = '1.2.826.0.1.3680043.2.1143.57.1';
  const fb = '1.2.826.0.1.3680043.2.1143.57.2';
  const r = await dimseAll(edgePort, [
    filmSession(sessionUid),
    filmBox(fb, sessionUid, 'STANDARD\\2,2'),
    imageBox(`${fb}.1`, 1, 100, 100),
    imageBox(`${fb}.2`, 2, 300, 100),
    imageBox(`${fb}.3`, 3, 300, 100, { RequestedDecimateCropBehavior: 'CROP' }),
    imageBox(`${fb}.4`, 4, 300, 100, { MagnificationType: 'NONE' }),
    imageBox(`${fb}.4`, 4, 300, 100, { MagnificationType: 'BILINEAR', RequestedDecimateCropBehavior: 'DECIMATE' }),
    new requests.NActionRequest(UID.FilmBox, fb, 1, META),
  ]);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.rsps.map((x) => x.getStatus().toString(16)), ['0', '0', '0', 'b604', 'b609', 'c603', 'b60a', 'b609']);
  assert.match(comment(r.rsps[3]), /300x100 > box 200x250px: demagnified to 200x66/);
  assert.match(comment(r.rsps[5]), /magnification NONE/);
  const job = new SpoolDb(edge.agent.index.db).list()[0];
  assert.ok(job, 'the film was spooled');
  const content = readJob(dataDir, job.dir);
  const sizes = content.films[0].boxes.map((b) => { const i = imageItem(b.dataset)!; return `${b.position}:${get(i, TAG.Columns)}x${get(i, TAG.Rows)}`; });
  assert.deepEqual(sizes, ['1:100x100', '2:200x66', '3:200x100', '4:200x66'], 'the job holds the demagnified and cropped pixels the printer will get');
  const crop = imageItem(content.films[0].boxes[2].dataset)!;
  const px = crop.find((e) => e.tag === TAG.PixelData)!.value as Buffer;
  assert.deepEqual([px[0], px[199]], [42, 212], 'the centre 200 of 300 columns (50..249) were kept: ramp values 42..212');
  const png = decodeSimplePng(readFileSync(path.join(dataDir, job.dir, 'film1.png')));
  assert.ok(png.width < png.height, 'portrait film preview');
});

test('print queue full: Film Box N-ACTION → C602, Film Session N-ACTION → C601, nothing more spooled', async (t) => {
  const edgePort = await freePort();
  const dataDir = await agentDataDir('edge-print-full-');
  const edge = await startEdge(printIni({ port: edgePort, dataDir, printerPort: await freePort(), printLines: ['eventReports = no', 'maxQueued = 1'] }));
  t.after(() => edge.stop());
  const sessionUid = '1.2.826.0.1.3680043.2.1143.58.1';
  const fb = '1.2.826.0.1.3680043.2.1143.58.2';
  const r = await dimseAll(edgePort, [
    filmSession(sessionUid),
    filmBox(fb, sessionUid, 'STANDARD\\1,1'),
    imageBox(`${fb}.1`, 1, 64, 64),
    new requests.NActionRequest(UID.FilmBox, fb, 1, META),
    new requests.NActionRequest(UID.FilmBox, fb, 1, META),
    new requests.NActionRequest(UID.FilmSession, sessionUid, 1, META),
  ]);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.rsps.map((x) => x.getStatus().toString(16)), ['0', '0', '0', '0', 'c602', 'c601']);
  assert.match(comment(r.rsps[4]), /print queue of FILM is full/);
  assert.equal(new SpoolDb(edge.agent.index.db).list().length, 1, 'the printer is unreachable: the first job waits, the queue holds 1');
});

test('density range: Film Box N-CREATE/N-SET asking beyond [RemoteAE] minDensity/maxDensity → B605 with the printer\'s limits; the spooled job carries them', async (t) => {
  const edgePort = await freePort();
  const dataDir = await agentDataDir('edge-print-density-');
  const edge = await startEdge(printIni({ port: edgePort, dataDir, printerPort: await freePort(), printLines: ['eventReports = no'], extraRemotes: 'minDensity = 20\nmaxDensity = 320\n' }));
  t.after(() => edge.stop());
  const sessionUid = '1.2.826.0.1.3680043.2.1143.59.1';
  const fb = '1.2.826.0.1.3680043.2.1143.59.2';
  const box = filmBox(fb, sessionUid, 'STANDARD\\1,1') as { getDataset(): { setElement(k: string, v: unknown): void } };
  box.getDataset().setElement('MinDensity', 5);
  box.getDataset().setElement('MaxDensity', 400);
  const set = new requests.NSetRequest(UID.FilmBox, fb, META);
  set.setDataset(new Dataset({ MaxDensity: 300 }));
  const tooLow = new requests.NSetRequest(UID.FilmBox, fb, META);
  tooLow.setDataset(new Dataset({ MinDensity: 10 }));
  const r = await dimseAll(edgePort, [filmSession(sessionUid), box, set, tooLow, imageBox(`${fb}.1`, 1, 64, 64), new requests.NActionRequest(UID.FilmBox, fb, 1, META)]);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.rsps.map((x) => x.getStatus().toString(16)), ['0', 'b605', '0', 'b605', '0', '0']);
  assert.match(comment(r.rsps[1]), /density Min 5->20, Max 400->320 \(printer 20..320\)/);
  const created = (r.rsps[1] as unknown as { getDataset(): { getElement(k: string): unknown } }).getDataset();
  assert.deepEqual([created.getElement('MinDensity'), created.getElement('MaxDensity')], [20, 320], 'the response shows the values the printer will use');
  const job = new SpoolDb(edge.agent.index.db).list()[0];
  const spooled = readJob(dataDir, job.dir);
  assert.deepEqual([get(spooled.films[0].attrs, TAG.MinDensity), get(spooled.films[0].attrs, TAG.MaxDensity)], ['20', '300']);
});

test('cleanup at start: a done job older than keepDays goes with its folder; an old held job and a recent done job stay', async (t) => {
  const edgePort = await freePort();
  const dataDir = await agentDataDir('edge-print-clean-');
  const ini = printIni({ port: edgePort, dataDir, printerPort: await freePort(), printLines: ['eventReports = no', 'keepDays = 7'] });
  let edge = await startEdge(ini);
  const ids: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s = `1.2.826.0.1.3680043.2.1143.59.${i}.1`;
    const fb = `1.2.826.0.1.3680043.2.1143.59.${i}.2`;
    const r = await dimseAll(edgePort, [filmSession(s), filmBox(fb, s, 'STANDARD\\1,1'), imageBox(`${fb}.1`, 1, 32, 32), new requests.NActionRequest(UID.FilmBox, fb, 1, META)]);
    assert.deepEqual(r.rsps.map((x) => x.getStatus()), [0, 0, 0, 0]);
  }
  let db = new SpoolDb(edge.agent.index.db);
  ids.push(...db.list().map((j) => j.id).sort((a, b) => a - b));
  assert.equal(ids.length, 3);
  await edge.stop();
  // While stopped: job 1 printed 8 days ago, job 2 held by the operator 8 days ago, job 3 printed yesterday.
  const Database = (await import('better-sqlite3')).default;
  const sql = new Database(edge.agent.index.db.name);
  const day = 86_400_000;
  const now = Date.now();
  sql.prepare(`UPDATE print_jobs SET state = 'done', updated_at = ? WHERE id = ?`).run(now - 8 * day, ids[0]);
  sql.prepare(`UPDATE print_jobs SET state = 'held', hold_reason = 'operator', updated_at = ? WHERE id = ?`).run(now - 8 * day, ids[1]);
  sql.prepare(`UPDATE print_jobs SET state = 'done', updated_at = ? WHERE id = ?`).run(now - day, ids[2]);
  const dirs = (sql.prepare('SELECT dir FROM print_jobs ORDER BY id').all() as { dir: string }[]).map((d) => path.join(dataDir, d.dir));
  sql.close();
  edge = await startEdge(ini);
  t.after(() => edge.stop());
  db = new SpoolDb(edge.agent.index.db);
  assert.deepEqual(db.list().map((j) => j.id).sort((a, b) => a - b), [ids[1], ids[2]]);
  assert.deepEqual(dirs.map((d) => existsSync(d)), [false, true, true], 'folder and previews of the old done job removed');
  assert.equal(db.historyOf(ids[0]).length, 0);
  assert.match(edge.logs.join('\n'), /cleanup removed 1 done\/failed job/);
});
