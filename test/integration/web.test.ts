/**
 * The web server in a running agent: login and roles, study pages, downloads and zip,
 * rendering, QIDO-RS / WADO-RS / WADO-URI / STOW-RS, /metrics and the operations page,
 * with studies stored by DCMTK storescu.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ADMIN, VIEWER, basic, startWebAgent, storeStudy } from '../helpers/web';
import { decodeSimplePng } from '../../src/dicom/render/png';
import { decode as decodeJpeg } from 'jpeg-js';
import { readPart10Meta } from '../../src/dicom/part10-reader';
import { makeStudy } from '../helpers/dicom-files';
import { tmpDir } from '../helpers/tmp';
import { runCli } from '../helpers/agent';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { parseMultipart } from '../../src/web/multipart';
import { verifyPassword } from '../../src/web/users';

test('login form, session cookie, roles; no anonymous access by default', async (t) => {
  const a = await startWebAgent(t);
  const anon = await fetch(`${a.base}/`, { redirect: 'manual' });
  assert.equal(anon.status, 303);
  assert.match(anon.headers.get('location')!, /^\/login/);
  assert.equal((await fetch(`${a.base}/dicom-web/studies`)).status, 401);
  const bad = await fetch(`${a.base}/login`, { method: 'POST', body: new URLSearchParams({ user: ADMIN.name, password: 'wrong' }), redirect: 'manual' });
  assert.equal(bad.status, 401);
  const ok = await fetch(`${a.base}/login?next=/ops`, { method: 'POST', body: new URLSearchParams({ user: VIEWER.name, password: VIEWER.password }), redirect: 'manual' });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get('location'), '/ops');
  const cookie = ok.headers.get('set-cookie')!;
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.match(cookie, /Max-Age=\d+/);
  const session = cookie.split(';')[0];
  const home = await fetch(`${a.base}/`, { headers: { cookie: session } });
  assert.equal(home.status, 200);
  assert.match(await home.text(), /viewer \(viewer\)/);
  // A viewer may not change the configuration or STOW.
  const cfg = await fetch(`${a.base}/ops/config`, { method: 'POST', headers: { cookie: session }, body: new URLSearchParams({ ini: '' }) });
  assert.equal(cfg.status, 403);
  const out = await fetch(`${a.base}/logout`, { method: 'POST', headers: { cookie: session }, redirect: 'manual' });
  assert.equal(out.status, 303);
  assert.equal((await fetch(`${a.base}/`, { headers: { cookie: session }, redirect: 'manual' })).status, 303);
});

test('failed logins are rate-limited per address', async (t) => {
  const a = await startWebAgent(t);
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) {
    statuses.push((await fetch(`${a.base}/login`, { method: 'POST', body: new URLSearchParams({ user: ADMIN.name, password: `nope${i}` }) })).status);
  }
  assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
  assert.equal(statuses[5], 429);
  // Even the right password is refused while limited.
  const right = await fetch(`${a.base}/login`, { method: 'POST', body: new URLSearchParams({ user: ADMIN.name, password: ADMIN.password }), redirect: 'manual' });
  assert.equal(right.status, 429);
});

test('anonymous = viewer lets browsers in without a login', async (t) => {
  const a = await startWebAgent(t, { web: ['anonymous = viewer'] });
  const r = await fetch(`${a.base}/`);
  assert.equal(r.status, 200);
  assert.match(await r.text(), /anonymous \(viewer\)/);
  assert.equal((await fetch(`${a.base}/ops/config`, { method: 'POST', body: 'ini=' })).status, 403, 'anonymous is a viewer, not an admin');
});

test('study list search, study and series pages, original download and zip', async (t) => {
  const a = await startWebAgent(t);
  const s1 = await storeStudy(a, t, { count: 4, series: 2, modality: 'CT', patientName: 'DOE^JANE', patientId: 'P-100', rows: 16, cols: 16 });
  await storeStudy(a, t, { count: 1, modality: 'MR', patientName: 'ROE^RICHARD', patientId: 'P-200', rows: 8, cols: 8 });
  const h = basic(VIEWER);
  const all = await (await fetch(`${a.base}/`, { headers: h })).text();
  assert.match(all, /2 studies/);
  const doe = await (await fetch(`${a.base}/?name=doe`, { headers: h })).text();
  assert.match(doe, /1 study/);
  assert.match(doe, /DOE, JANE/);
  assert.doesNotMatch(doe, /ROE/);
  assert.match(await (await fetch(`${a.base}/?pid=P-2*`, { headers: h })).text(), /ROE, RICHARD/);
  assert.match(await (await fetch(`${a.base}/?mod=MR`, { headers: h })).text(), /1 study/);
  assert.match(await (await fetch(`${a.base}/?from=2030-01-01`, { headers: h })).text(), /0 studies/);
  const study = await (await fetch(`${a.base}/study/${s1.studyUid}`, { headers: h })).text();
  assert.equal((study.match(/class="series"/g) ?? []).length, 2);
  const series = await (await fetch(`${a.base}/series/${s1.seriesUids[0]}`, { headers: h })).text();
  assert.equal((series.match(/\.dcm"/g) ?? []).length, 2);
  const f = s1.files[0];
  const dl = await fetch(`${a.base}/instance/${f.sopInstanceUid}.dcm`, { headers: h });
  assert.equal(dl.headers.get('content-type'), 'application/dicom');
  const body = Buffer.from(await dl.arrayBuffer());
  const sent = readFileSync(f.path);
  assert.ok(body.subarray(readPart10Meta(body).datasetOffset).equals(sent.subarray(readPart10Meta(sent).datasetOffset)));
  const zip = Buffer.from(await (await fetch(`${a.base}/study/${s1.studyUid}/zip`, { headers: h })).arrayBuffer());
  assert.equal(zip.readUInt32LE(zip.length - 22), 0x06054b50);
  assert.equal(zip.readUInt16LE(zip.length - 12), 4, 'four entries');
  // Every entry is a stored Part 10 file whose data set is the one sent (central directory walk).
  let cd = zip.readUInt32LE(zip.length - 6);
  for (let i = 0; i < 4; i++) {
    const size = zip.readUInt32LE(cd + 24);
    const nameLen = zip.readUInt16LE(cd + 28);
    const local = zip.readUInt32LE(cd + 42);
    const name = zip.toString('utf8', cd + 46, cd + 46 + nameLen);
    const data = zip.subarray(local + 30 + zip.readUInt16LE(local + 26), local + 30 + zip.readUInt16LE(local + 26) + size);
    const sop = name.split('/')[1].replace(/\.dcm$/, '');
    const orig = readFileSync(s1.files.find((x) => x.sopInstanceUid === sop)!.path);
    assert.ok(data.subarray(readPart10Meta(data).datasetOffset).equals(orig.subarray(readPart10Meta(orig).datasetOffset)), name);
    cd += 46 + nameLen;
  }
  // unzip -t agrees (CRCs, sizes, data descriptors).
  const dir = await tmpDir('zip-', t);
  const zpath = `${dir}/s.zip`;
  writeFileSync(zpath, zip);
  const unzip = spawnSync('python3', ['-c', 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(z.testzip())', zpath], { encoding: 'utf8' });
  assert.equal(unzip.stdout.trim(), 'None', unzip.stderr);
});

test('rendered PNG: window/level parameters change the pixels; frame out of range 404', async (t) => {
  const a = await startWebAgent(t);
  const s = await storeStudy(a, t, { count: 1, syntax: 'big', rows: 32, cols: 32 });
  const h = basic(VIEWER);
  const sop = s.files[0].sopInstanceUid;
  const r1 = await fetch(`${a.base}/render/${sop}.png`, { headers: h });
  assert.equal(r1.headers.get('content-type'), 'image/png');
  const p1 = decodeSimplePng(Buffer.from(await r1.arrayBuffer()));
  assert.equal(p1.width, 32);
  assert.ok(new Set(p1.data).size > 4, 'the ramp shows as many grey levels');
  const p2 = decodeSimplePng(Buffer.from(await (await fetch(`${a.base}/render/${sop}.png?wc=10&ww=4`, { headers: h })).arrayBuffer()));
  assert.notDeepEqual([...p2.data], [...p1.data]);
  const thumb = decodeSimplePng(Buffer.from(await (await fetch(`${a.base}/render/${sop}.png?size=16`, { headers: h })).arrayBuffer()));
  assert.equal(thumb.width, 16);
  assert.equal((await fetch(`${a.base}/render/${sop}.png?frame=5`, { headers: h })).status, 404);
  const info = await (await fetch(`${a.base}/api/image/${sop}`, { headers: h })).json() as { frames: number; rows: number };
  assert.equal(info.rows, 32);
  assert.equal(info.frames, 1);
});

test('QIDO-RS: DICOM JSON shape, matching, includefield, limit/offset, 204 on no match', async (t) => {
  const a = await startWebAgent(t);
  const s = await storeStudy(a, t, { count: 3, series: 1, modality: 'CT', patientName: 'QIDO^ONE', patientId: 'Q1' });
  await storeStudy(a, t, { count: 1, modality: 'MR', patientName: 'QIDO^TWO', patientId: 'Q2' });
  const h = { ...basic(VIEWER), accept: 'application/dicom+json' };
  const r = await fetch(`${a.base}/dicom-web/studies?PatientName=QIDO*&includefield=00081030`, { headers: h });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type')!, /^application\/dicom\+json/);
  const studies = await r.json() as Record<string, { vr: string; Value?: unknown[] }>[];
  assert.equal(studies.length, 2);
  const one = studies.find((x) => (x['00100020'].Value as string[])[0] === 'Q1')!;
  assert.deepEqual(one['0020000D'], { vr: 'UI', Value: [s.studyUid] });
  assert.deepEqual(one['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'QIDO^ONE' }] });
  assert.equal(one['00201208'].vr, 'IS');
  assert.equal(one['00201208'].Value![0], 3, 'numbers are JSON numbers');
  assert.match(String(one['00081190'].Value![0]), new RegExp(`/dicom-web/studies/${s.studyUid.replace(/\./g, '\\.')}$`));
  assert.ok('00081030' in one, 'includefield adds Study Description');
  const limited = await (await fetch(`${a.base}/dicom-web/studies?limit=1&offset=1`, { headers: h })).json() as unknown[];
  assert.equal(limited.length, 1);
  assert.equal((await fetch(`${a.base}/dicom-web/studies?PatientID=NOBODY`, { headers: h })).status, 204);
  const series = await (await fetch(`${a.base}/dicom-web/studies/${s.studyUid}/series`, { headers: h })).json() as Record<string, { Value?: unknown[] }>[];
  assert.equal(series.length, 1);
  assert.deepEqual(series[0]['00080060'].Value, ['CT']);
  const inst = await (await fetch(`${a.base}/dicom-web/studies/${s.studyUid}/series/${s.seriesUids[0]}/instances`, { headers: h })).json() as Record<string, { Value?: unknown[] }>[];
  assert.equal(inst.length, 3);
  assert.deepEqual(new Set(inst.map((i) => (i['00080018'].Value as string[])[0])), new Set(s.files.map((f) => f.sopInstanceUid)));
  assert.equal((await fetch(`${a.base}/dicom-web/studies?NoSuchKeyword=1`, { headers: h })).status, 400);
});

test('WADO-RS instances/series/study, metadata, rendered; WADO-URI', async (t) => {
  const a = await startWebAgent(t);
  const s = await storeStudy(a, t, { count: 2, rows: 16, cols: 16 });
  const h = basic(VIEWER);
  const st = `${a.base}/dicom-web/studies/${s.studyUid}`;
  const r = await fetch(st, { headers: { ...h, accept: 'multipart/related; type="application/dicom"' } });
  const ct = r.headers.get('content-type')!;
  assert.match(ct, /^multipart\/related; type="application\/dicom"; boundary=/);
  const boundary = /boundary=([^;]+)/.exec(ct)![1];
  const body = Buffer.from(await r.arrayBuffer());
  const parts = parseMultipart(body, boundary);
  assert.equal(parts.length, 2);
  assert.match(parts[0].headers['content-type'], /^application\/dicom/);
  assert.deepEqual(new Set(parts.map((p) => readPart10Meta(p.body).sopInstanceUid)), new Set(s.files.map((f) => f.sopInstanceUid)));
  const f = s.files[0];
  const inst = `${st}/series/${f.seriesUid}/instances/${f.sopInstanceUid}`;
  const meta = await (await fetch(`${inst}/metadata`, { headers: h })).json() as Record<string, { vr: string; BulkDataURI?: string; Value?: unknown[] }>[];
  assert.equal(meta.length, 1);
  assert.deepEqual(meta[0]['00080018'].Value, [f.sopInstanceUid]);
  assert.ok(meta[0]['7FE00010'].BulkDataURI, 'pixel data by URI');
  const bulk = await fetch(meta[0]['7FE00010'].BulkDataURI!, { headers: h });
  assert.equal(bulk.status, 200);
  const seriesMeta = await (await fetch(`${st}/series/${f.seriesUid}/metadata`, { headers: h })).json() as unknown[];
  assert.equal(seriesMeta.length, 2);
  // Rendered: JPEG by default (PS3.18 8.7.4), PNG on request, 406 for what is not served.
  const png = await fetch(`${inst}/rendered`, { headers: { ...h, accept: 'image/png' } });
  assert.equal(png.headers.get('content-type'), 'image/png');
  const pngImage = decodeSimplePng(Buffer.from(await png.arrayBuffer()));
  assert.equal(pngImage.width, 16);
  const jpg = await fetch(`${inst}/rendered`, { headers: h });
  assert.equal(jpg.headers.get('content-type'), 'image/jpeg');
  const jpgImage = decodeJpeg(Buffer.from(await jpg.arrayBuffer()));
  assert.deepEqual([jpgImage.width, jpgImage.height], [16, 16]);
  const grey = Array.from({ length: 256 }, (_, i) => jpgImage.data[i * 4]);
  const meanErr = grey.reduce((sum, v, i) => sum + Math.abs(v - pngImage.data[i]), 0) / 256;
  assert.ok(meanErr < 4, `JPEG and PNG renderings agree (mean error ${meanErr})`);
  assert.equal((await fetch(`${inst}/rendered`, { headers: { ...h, accept: 'image/gif' } })).status, 406);
  assert.equal((await fetch(`${inst}/rendered?quality=0`, { headers: h })).status, 400);
  assert.equal((await fetch(`${inst}/thumbnail`, { headers: h })).headers.get('content-type'), 'image/jpeg');
  const uri = `${a.base}/wado?requestType=WADO&studyUID=${s.studyUid}&seriesUID=${f.seriesUid}&objectUID=${f.sopInstanceUid}`;
  const dcm = await fetch(`${uri}&contentType=application/dicom`, { headers: h });
  assert.equal(dcm.headers.get('content-type'), 'application/dicom');
  assert.equal(readPart10Meta(Buffer.from(await dcm.arrayBuffer())).sopInstanceUid, f.sopInstanceUid);
  const img = await fetch(uri, { headers: h });
  assert.equal(img.headers.get('content-type'), 'image/jpeg', 'WADO-URI default contentType');
  assert.equal(decodeJpeg(Buffer.from(await img.arrayBuffer())).width, 16);
  assert.equal((await fetch(`${uri}&contentType=image/gif,image/png`, { headers: h })).headers.get('content-type'), 'image/png');
  assert.equal((await fetch(`${uri}&contentType=image/gif`, { headers: h })).status, 406);
  const small = await (await fetch(`${uri}&imageQuality=10`, { headers: h })).arrayBuffer();
  const best = await (await fetch(`${uri}&imageQuality=100`, { headers: h })).arrayBuffer();
  assert.ok(small.byteLength < best.byteLength, `imageQuality applies (${small.byteLength} < ${best.byteLength})`);
  assert.equal((await fetch(`${a.base}/wado?requestType=WADO&studyUID=1.2&seriesUID=1.2&objectUID=1.2`, { headers: h })).status, 404);
});

test('STOW-RS: stored like C-STORE (indexed, files byte-identical), failures reported, admin only', async (t) => {
  const a = await startWebAgent(t);
  const dir = await tmpDir('stow-', t);
  const s = await makeStudy(dir, { count: 2, syntax: 'explicit' });
  const boundary = 'XyZ-boundary';
  const parts = s.files.map((f) => Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), readFileSync(f.path), Buffer.from('\r\n')]));
  const junk = Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\nnot dicom\r\n`);
  const body = Buffer.concat([...parts, junk, Buffer.from(`--${boundary}--\r\n`)]);
  const headers = { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' };
  assert.equal((await fetch(`${a.base}/dicom-web/studies`, { method: 'POST', headers: { ...headers, ...basic(VIEWER) }, body })).status, 403);
  const r = await fetch(`${a.base}/dicom-web/studies`, { method: 'POST', headers: { ...headers, ...basic(ADMIN) }, body });
  assert.equal(r.status, 202, 'some stored, one failed');
  const j = await r.json() as Record<string, { Value: Record<string, { Value: unknown[] }>[] }>;
  assert.equal(j['00081199'].Value.length, 2);
  assert.equal(j['00081198'].Value.length, 1);
  assert.equal(a.agent.index.countInstances(), 2);
  for (const f of s.files) {
    const row = a.agent.index.getInstance(f.sopInstanceUid)!;
    const stored = readFileSync(`${a.dataDir}/${row.path}`);
    const sent = readFileSync(f.path);
    assert.ok(stored.subarray(readPart10Meta(stored).datasetOffset).equals(sent.subarray(readPart10Meta(sent).datasetOffset)));
  }
  // Study in the path must match.
  const wrong = await fetch(`${a.base}/dicom-web/studies/1.2.3.4`, { method: 'POST', headers: { ...headers, ...basic(ADMIN) }, body: Buffer.concat([parts[0], Buffer.from(`--${boundary}--\r\n`)]) });
  assert.equal(wrong.status, 409);
});

test('Basic over plain HTTP from loopback is allowed; metrics and operations page', async (t) => {
  const a = await startWebAgent(t);
  await storeStudy(a, t, { count: 2 });
  const m = await (await fetch(`${a.base}/metrics`, { headers: basic(VIEWER) })).text();
  assert.match(m, /^dicom_edge_instances_received_total\{via="dimse"\} 2$/m);
  assert.match(m, /^dicom_edge_associations_open 0$/m);
  assert.match(m, /^dicom_edge_associations_total 1$/m);
  assert.match(m, /^# TYPE dicom_edge_bytes_received_total counter$/m);
  const ops = await (await fetch(`${a.base}/ops`, { headers: basic(ADMIN) })).text();
  assert.match(ops, /STORESCU/);
  assert.match(ops, /storage 2/);
  assert.match(ops, /id="ini"/);
});

test('admin edits the configuration: refused when invalid, saved with a backup when valid', async (t) => {
  const a = await startWebAgent(t);
  // The test agent's config comes from text: give it a real file to edit.
  const file = `${a.dataDir}/edge.ini`;
  writeFileSync(file, a.ini);
  a.agent.reload({ ...a.config, file });
  const text = a.ini;
  const bad = await fetch(`${a.base}/ops/config`, { method: 'POST', headers: basic(ADMIN), body: new URLSearchParams({ ini: text.replace('[Network]', '[Network]\nport = notanumber') }) });
  assert.match(await bad.text(), /Not saved: .*not a whole number/);
  assert.equal(readFileSync(file, 'utf8'), text);
  const edited = text.replace(/readTimeout = 10/, 'readTimeout = 11');
  const good = await fetch(`${a.base}/ops/config`, { method: 'POST', headers: basic(ADMIN), body: new URLSearchParams({ ini: edited }) });
  assert.match(await good.text(), /Saved/);
  assert.equal(readFileSync(file, 'utf8'), edited);
  assert.equal(readFileSync(`${file}.bak`, 'utf8'), text);
});

test('dicom-edge user add: password from stdin, scrypt hash in [Web], comments kept, login works', async (t) => {
  const dir = await tmpDir('user-', t);
  const ini = `${dir}/edge.ini`;
  writeFileSync(ini, '; my box\n[Network]\nport = 11112\n; web below\n[Web]\nport = 8080 ; kept\n');
  const r = await runCli(['user', 'add', 'carol', '--role', 'admin', '--config', ini], { input: 'carol-password\n' });
  assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(ini, 'utf8');
  assert.match(text, /^; my box\n\[Network\]\nport = 11112\n; web below\n\[Web\]\nport = 8080 ; kept\nuser = carol, admin, scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\n$/);
  assert.ok(verifyPassword('carol-password', text.split(', ')[2].trim()));
  const again = await runCli(['user', 'add', 'carol', '--role', 'viewer', '--config', ini], { input: 'another-password\n' });
  assert.equal(again.code, 0, again.stderr);
  assert.equal((readFileSync(ini, 'utf8').match(/^user = carol/gm) ?? []).length, 1, 'replaced, not added');
  assert.match(readFileSync(ini, 'utf8'), /user = carol, viewer, /);
  const short = await runCli(['user', 'add', 'dave', '--config', ini], { input: 'short\n' });
  assert.notEqual(short.code, 0);
});
