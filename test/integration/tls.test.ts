/**
 * DICOM TLS (PS3.15 B.13, Non-Downgrading BCP 195 profile) against DCMTK, whose default
 * TLS profile is the same: echoscu/storescu +tls → dicom-edge's TLS port (beside the plain
 * one), dicom-edge echo/store → storescp +tls. A CA, server and client certificates are
 * made with openssl in the test's temp folder. Refusals: no client certificate, another
 * CA, a subject outside allowedSubjects, TLS 1.1, a non-BCP-195 cipher, plain DICOM on
 * the TLS port, a server certificate we do not trust.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { runCli, startAgent, testIni, type InProcessAgent } from '../helpers/agent';
import { makeStudy } from '../helpers/dicom-files';
import { buildAssociateRq, connectRaw } from '../helpers/parrot';
import { canConnect, freePort } from '../helpers/ports';
import { runDcmtk, startStorescp } from '../helpers/peers';
import { tmpDir } from '../helpers/tmp';

let pki = '';
const f = (name: string): string => join(pki, name);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: pki, stdio: 'pipe' });
}

/** A CA key and self-signed certificate. */
function ca(name: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`]);
}

/** A leaf certificate signed by `by`, with a SAN for 127.0.0.1 (servers are checked by IP). */
function leaf(name: string, cn: string, by: string): void {
  writeFileSync(f(`${name}.ext`), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.pem`, '-CAkey', `${by}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
}

before(async () => {
  pki = await tmpDir('pki-');
  ca('edgeca');
  ca('rogueca');
  leaf('edge', 'dicom-edge', 'edgeca');
  leaf('ct1', 'modality-ct1', 'edgeca');
  leaf('laptop', 'laptop', 'edgeca');
  leaf('rogue', 'modality-ct1', 'rogueca');
  leaf('storescp', 'storescp', 'edgeca');
  leaf('fakescp', 'storescp', 'rogueca');
});

interface TlsAgent extends InProcessAgent { tlsPort: number }

async function tlsAgent(t: Parameters<typeof startAgent>[1], extra: string[] = []): Promise<TlsAgent> {
  const tlsPort = await freePort();
  const a = await startAgent((port, dir) => testIni({
    port, dataDir: dir,
    sections: {
      Server: ['scp = storage', 'accept = TLSSCU, 127.0.0.1', 'accept = PLAIN, 127.0.0.1'],
      TLS: [`certificate = ${f('edge.pem')}`, `key = ${f('edge.key')}`, `ca = ${f('edgeca.pem')}`, `port = ${tlsPort}`, 'allowedSubjects = modality-*', ...extra],
    },
  }), t);
  return { ...a, tlsPort };
}

const tlsArgs = (key: string, cert: string): string[] => ['+tls', f(`${key}.key`), f(`${cert}.pem`), '-pw', '+cf', f('edgeca.pem')];

test('echoscu +tls (BCP 195 non-downgrading) → dicom-edge TLS port; plain port still serves; storescu +tls stores', async (t) => {
  const a = await tlsAgent(t);
  const e = await runDcmtk('echoscu', ['-aet', 'TLSSCU', '-aec', 'EDGE', ...tlsArgs('ct1', 'ct1'), '127.0.0.1', String(a.tlsPort)]);
  assert.equal(e.code, 0, e.stderr + e.stdout);
  assert.ok(a.logs.some((l) => /tls-\d+ accepted TLSSCU -> EDGE/.test(l)), 'association came in over TLS');
  const plain = await runDcmtk('echoscu', ['-aet', 'PLAIN', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.equal(plain.code, 0, plain.stderr);
  const src = await tmpDir('tls-study-', t);
  await makeStudy(src, { count: 3 });
  const s = await runDcmtk('storescu', ['-v', '-aet', 'TLSSCU', '-aec', 'EDGE', ...tlsArgs('ct1', 'ct1'), '+sd', '127.0.0.1', String(a.tlsPort), src]);
  assert.equal(s.code, 0, s.stderr);
  assert.equal((s.stdout + s.stderr).match(/Received Store Response \(Success\)/g)?.length, 3);
  assert.equal(a.agent.index.countInstances(), 3);
});

test('refused: no client certificate, another CA, a subject outside allowedSubjects, plain DICOM on the TLS port', async (t) => {
  const a = await tlsAgent(t);
  const anon = await runDcmtk('echoscu', ['-aet', 'TLSSCU', '-aec', 'EDGE', '+tla', '+cf', f('edgeca.pem'), '127.0.0.1', String(a.tlsPort)]);
  assert.notEqual(anon.code, 0, 'anonymous TLS client refused');
  const rogue = await runDcmtk('echoscu', ['-aet', 'TLSSCU', '-aec', 'EDGE', ...tlsArgs('rogue', 'rogue'), '127.0.0.1', String(a.tlsPort)]);
  assert.notEqual(rogue.code, 0, 'certificate of another CA refused');
  const laptop = await runDcmtk('echoscu', ['-aet', 'TLSSCU', '-aec', 'EDGE', ...tlsArgs('laptop', 'laptop'), '127.0.0.1', String(a.tlsPort)]);
  assert.notEqual(laptop.code, 0, 'subject CN laptop is not modality-*');
  assert.ok(a.logs.some((l) => /subject CN "laptop" is not in allowedSubjects/.test(l)), a.logs.join('\n'));
  // A-ASSOCIATE-RQ in clear text on the TLS port: no association, the socket is dropped.
  const raw = await connectRaw(a.tlsPort);
  await raw.send(buildAssociateRq({ calling: 'PLAIN', called: 'EDGE', contexts: [{ id: 1, abstract: '1.2.840.10008.1.1', ts: ['1.2.840.10008.1.2'] }] }));
  assert.equal(await raw.readPdu(15000), 'closed');
  assert.equal(a.agent.index.countInstances(), 0);
  const ok = await runDcmtk('echoscu', ['-aet', 'TLSSCU', '-aec', 'EDGE', ...tlsArgs('ct1', 'ct1'), '127.0.0.1', String(a.tlsPort)]);
  assert.equal(ok.code, 0, 'still serving after the refusals');
});

/** A Node TLS client with our good client certificate but the given protocol limits. */
function handshake(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({
      host: '127.0.0.1', port, ca: readPem('edgeca.pem'), cert: readPem('ct1.pem'), key: readPem('ct1.key'), checkServerIdentity: () => undefined, ...opts,
    });
    s.once('secureConnect', () => { resolve(`connected ${s.getProtocol()} ${s.getCipher().name}`); s.destroy(); });
    s.once('error', (e) => resolve(`error ${e.message}`));
  });
}
function readPem(name: string): Buffer {
  return readFileSync(f(name));
}

test('downgrades refused: TLS 1.1, and TLS 1.2 with a CBC / static-RSA suite outside BCP 195', async (t) => {
  const a = await tlsAgent(t);
  const good = await handshake(a.tlsPort, {});
  assert.match(good, /^connected TLSv1\.[23] /);
  const old = await handshake(a.tlsPort, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
  assert.match(old, /^error /, old);
  const cbc = await handshake(a.tlsPort, { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA256:AES256-SHA:ECDHE-RSA-AES128-SHA' });
  assert.match(cbc, /^error /, cbc);
  const gcm12 = await handshake(a.tlsPort, { maxVersion: 'TLSv1.2' });
  assert.match(gcm12, /^connected TLSv1\.2 ECDHE-RSA-AES(128|256)-GCM-SHA(256|384)$/, gcm12);
});

test('[TLS] only = yes: no plain listener', async (t) => {
  const a = await tlsAgent(t, ['only = yes']);
  assert.equal(a.agent.tlsAddress?.port, a.tlsPort);
  assert.equal(await canConnect(a.port), false, 'plain port closed');
  const e = await runDcmtk('echoscu', ['-aet', 'TLSSCU', '-aec', 'EDGE', ...tlsArgs('ct1', 'ct1'), '127.0.0.1', String(a.tlsPort)]);
  assert.equal(e.code, 0, e.stderr);
});

async function scuIni(t: Parameters<typeof tmpDir>[1], scpPort: number, certBy = 'edgeca'): Promise<string> {
  const dir = await tmpDir('tls-scu-', t);
  const ini = join(dir, 'edge.ini');
  writeFileSync(ini, testIni({
    port: 1, dataDir: dir,
    sections: { TLS: [`certificate = ${f('ct1.pem')}`, `key = ${f('ct1.key')}`, `ca = ${f(`${certBy}.pem`)}`, 'port = 0'] },
    tail: `[RemoteAE]\nuserName = securepacs\naetitle = STORESCP\nip = 127.0.0.1\nport = ${scpPort}\ntls = yes\n\n[RemoteAE]\nuserName = plainpacs\naetitle = PLAINSCP\nip = 127.0.0.1\nport = ${scpPort}\n`,
  }));
  return ini;
}

test('dicom-edge echo/store → storescp +tls (client certificate required by storescp)', async (t) => {
  const out = await tmpDir('tls-scp-', t);
  const scp = await startStorescp({ dir: out, args: ['+tls', f('storescp.key'), f('storescp.pem'), '-pw', '+cf', f('edgeca.pem')], t });
  const ini = await scuIni(t, scp.port);
  const e = await runCli(['echo', '--config', ini, 'securepacs']);
  assert.equal(e.code, 0, e.stderr + e.stdout);
  assert.match(e.stdout, /Success/);
  const src = await tmpDir('tls-src-', t);
  await makeStudy(src, { count: 4 });
  const s = await runCli(['store', '--config', ini, 'securepacs', src]);
  assert.equal(s.code, 0, s.stderr + s.stdout);
  assert.equal(readdirSync(out).filter((n) => !n.startsWith('.')).length, 4, 'storescp received 4 files');
  const plain = await runCli(['echo', '--config', ini, 'plainpacs', '--timeout', '5']);
  assert.notEqual(plain.code, 0, 'plain DICOM to a TLS-only storescp fails');
});

test('dicom-edge refuses a storescp whose certificate another CA signed', async (t) => {
  const out = await tmpDir('tls-fake-', t);
  const scp = await startStorescp({ dir: out, args: ['+tls', f('fakescp.key'), f('fakescp.pem'), '-pw', '-ic'], t });
  const ini = await scuIni(t, scp.port);
  const e = await runCli(['echo', '--config', ini, 'securepacs']);
  assert.notEqual(e.code, 0);
  assert.match(e.stderr + e.stdout, /UL_TLS_FAILED.*(certificate|verify)/i);
});

test('config check: [TLS] without key, a missing file, RemoteAE tls = yes without [TLS]', async (t) => {
  const dir = await tmpDir('tls-cfg-', t);
  const ini = join(dir, 'bad.ini');
  writeFileSync(ini, testIni({ port: 104, dataDir: dir, sections: { TLS: [`certificate = ${f('edge.pem')}`, `ca = ${join(dir, 'nope.pem')}`] } }));
  const r = await runCli(['config', 'check', ini]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[TLS\] key is required/);
  assert.match(r.stderr, /file not found: .*nope\.pem/);
  const ini2 = join(dir, 'bad2.ini');
  writeFileSync(ini2, testIni({ port: 104, dataDir: dir, tail: '[RemoteAE]\naetitle = PACS\nip = 127.0.0.1\nport = 11112\ntls = yes\n' }));
  const r2 = await runCli(['config', 'check', ini2]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /tls = yes but there is no \[TLS\] section/);
});

test('reload: a renewed server certificate is served to new handshakes', async (t) => {
  const a = await tlsAgent(t);
  const fingerprint = (): Promise<string> => new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: a.tlsPort, ca: readPem('edgeca.pem'), cert: readPem('ct1.pem'), key: readPem('ct1.key'), checkServerIdentity: () => undefined });
    s.once('secureConnect', () => { resolve(s.getPeerCertificate().fingerprint256); s.destroy(); });
    s.once('error', reject);
  });
  const before = await fingerprint();
  // Renew: a new key and certificate at the same paths, as an operator (or certbot) would.
  leaf('edge', 'dicom-edge', 'edgeca');
  assert.equal(await fingerprint(), before, 'nothing changes until the reload');
  a.agent.reload(a.config); // what SIGHUP and the console's apply do
  const after = await fingerprint();
  assert.notEqual(after, before, 'the renewed certificate is served');
  assert.ok(a.logs.some((l) => /TLS certificate, key and CA reloaded/.test(l)));
  const r = await runDcmtk('echoscu', ['-aet', 'TLSSCU', '-aec', 'EDGE', ...tlsArgs('ct1', 'ct1'), '127.0.0.1', String(a.tlsPort)]);
  assert.equal(r.code, 0, `echo over TLS after the reload: ${r.stderr}`);
});
