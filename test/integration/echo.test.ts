/**
 * Verification against real peers: DCMTK echoscu → our SCP (accepted and each kind of
 * rejection), our echo → DCMTK storescp, dcmjs-dimse both ways, configured remote by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDcmtk, startStorescp } from '../helpers/peers';
import { runCli, startAgent, testIni } from '../helpers/agent';
import { tmpDir } from '../helpers/tmp';
import { freePort } from '../helpers/ports';
import { dimseClient, requests, startDimseServer } from '../helpers/dcmjs-dimse';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const accepting = (extra: string[] = []) => (port: number, dir: string): string =>
  testIni({ port, dataDir: dir, sections: { Server: ['accept = ECHOSCU, 127.0.0.1', ...extra] } });

test('echoscu → dicom-edge: accepted, implementation class UID and version name sent', async (t) => {
  const a = await startAgent(accepting(), t);
  const r = await runDcmtk('echoscu', ['-d', '-aet', 'ECHOSCU', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const out = r.stdout + r.stderr;
  assert.match(out, /Their Implementation Class UID:\s+1\.2\.840\.114093\.1\.1/);
  assert.match(out, /Their Implementation Version Name:\s+00\.01\.00\.00/);
  assert.ok(a.logs.some((l) => /accepted ECHOSCU -> EDGE from 127\.0\.0\.1/.test(l)), 'one log line per association');
});

test('echoscu → dicom-edge: wrong called AE, unknown calling AE, wrong IP are rejected with the right reason', async (t) => {
  const a = await startAgent(accepting(['accept = OTHERHOST, 127.0.0.2']), t);
  const called = await runDcmtk('echoscu', ['-aet', 'ECHOSCU', '-aec', 'NOTEDGE', '127.0.0.1', String(a.port)]);
  assert.notEqual(called.code, 0);
  assert.match(called.stderr + called.stdout, /Called AE Title Not Recognized/i);
  const calling = await runDcmtk('echoscu', ['-aet', 'STRANGER', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.notEqual(calling.code, 0);
  assert.match(calling.stderr + calling.stdout, /Calling AE Title Not Recognized/i);
  // OTHERHOST is only accepted from 127.0.0.2: from 127.0.0.1 the IP check refuses it.
  const ip = await runDcmtk('echoscu', ['-aet', 'OTHERHOST', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.notEqual(ip.code, 0);
  assert.match(ip.stderr + ip.stdout, /Calling AE Title Not Recognized/i);
  const ok = await runDcmtk('echoscu', ['-aet', 'ECHOSCU', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.equal(ok.code, 0, 'still serving after rejections');
});

test('verifyRemoteAe/verifyIPAddr Off: anyone may connect (and a warning is logged)', async (t) => {
  const a = await startAgent((port, dir) => testIni({ port, dataDir: dir, sections: { Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off'] } }), t);
  const r = await runDcmtk('echoscu', ['-aet', 'WHOEVER', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(a.logs.some((l) => /WARN/.test(l) && /anyone/i.test(l)), a.logs.join('\n'));
});

test('dicom-edge echo → DCMTK storescp, by address and by configured remote name; failure exit codes', async (t) => {
  const dir = await tmpDir('scp-', t);
  const scp = await startStorescp({ aet: 'STORESCP', dir, t });
  const ok = await runCli(['echo', '-aet', 'EDGE', '-aec', 'STORESCP', '127.0.0.1', String(scp.port)]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /status 0x0000 \(Success\)/);
  const ini = join(dir, 'edge.ini');
  writeFileSync(ini, testIni({ port: 1, dataDir: dir, tail: `[RemoteAE]\nuserName = Main PACS\naetitle = STORESCP\nip = 127.0.0.1\nport = ${scp.port}\n` }));
  const byName = await runCli(['echo', '--config', ini, 'Main PACS']);
  assert.equal(byName.code, 0, byName.stderr);
  const closed = await freePort();
  const refused = await runCli(['echo', '-aec', 'X', '127.0.0.1', String(closed)]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /UL_CONNECT_FAILED/);
  const unknown = await runCli(['echo', '--config', ini, 'NOPE']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no \[RemoteAE\] named "NOPE"/);
});

test('dcmjs-dimse client → dicom-edge, and dicom-edge echo → dcmjs-dimse server', async (t) => {
  const a = await startAgent(accepting(['accept = DIMSEJS, 127.0.0.1']), t);
  const r = await dimseClient(a.port, 'DIMSEJS', 'EDGE', [new requests.CEchoRequest(), new requests.CEchoRequest()]);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.statuses, [0, 0]);
  const server = await startDimseServer(t);
  const out = await runCli(['echo', '-aec', 'ANY', '127.0.0.1', String(server.port)]);
  assert.equal(out.code, 0, out.stderr);
});
