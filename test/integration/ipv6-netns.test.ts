/**
 * IPv6 end to end, in two network namespaces this test creates and joins with a veth pair:
 * the agent (the real CLI) binds a unique local address (fdXX:…::1, RFC 4193) and the
 * "modality" side (fdXX:…::2) runs our CLI (`echo`, `store`) and dcmjs-dimse, an
 * independent implementation. verifyRemoteAe and verifyIPAddr are On and the modality's
 * [RemoteAE] address is written in another spelling than the one the kernel reports
 * (upper case, zeros written out), so the access check must compare addresses, not text.
 * DCMTK 3.6.7 and Orthanc 1.10 on this machine have no IPv6 client/listener options, so
 * they are not part of this test.
 *
 * The addresses exist only inside the namespaces (deleted with their veth ends in every
 * case); nothing is sent on the host's network. Skipped unless root with `ip netns`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { must, sh } from '../helpers/netns';
import Database from 'better-sqlite3';
import { CLI } from '../helpers/agent';
import { makeStudy } from '../helpers/dicom-files';
import { tmpDir } from '../helpers/tmp';

const PORT = 11112;
const DCMJS_DIMSE = resolve('node_modules', 'dcmjs-dimse');

/** Runs a command in a namespace to completion (bounded). */
function runIn(ns: string, args: string[], timeoutMs = 60000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn('ip', ['netns', 'exec', ns, ...args], { env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('close', (code) => { clearTimeout(timer); res({ code, stdout, stderr }); });
  });
}

/** Resolves once `re` matches the child's output; rejects if it exits first or after `ms`. */
function waitForOutput(child: ChildProcess, out: () => string, re: RegExp, ms: number): Promise<void> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => { cleanup(); rej(new Error(`no ${re} within ${ms} ms:\n${out()}`)); }, ms);
    const check = (): void => { if (re.test(out())) { cleanup(); res(); } };
    const exit = (code: number | null): void => { cleanup(); rej(new Error(`exited ${code} before ${re}:\n${out()}`)); };
    const cleanup = (): void => { clearTimeout(timer); child.stdout!.off('data', check); child.stderr!.off('data', check); child.off('exit', exit); };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', exit);
    check();
  });
}

/** dcmjs-dimse: C-ECHO then C-STORE of `files` on one association; prints the statuses as JSON. */
const DIMSE_CHILD = `
const dimse = require(process.env.DCMJS_DIMSE);
const client = new dimse.Client();
const statuses = [];
let error;
const reqs = [new dimse.requests.CEchoRequest(), ...JSON.parse(process.env.FILES).map((f) => new dimse.requests.CStoreRequest(f))];
for (const r of reqs) { r.on('response', (rsp) => statuses.push(rsp.getStatus())); client.addRequest(r); }
client.on('networkError', (e) => { error = 'network: ' + e.message; });
client.on('associationRejected', (r) => { error = 'rejected: ' + JSON.stringify(r); });
client.on('closed', () => { process.stdout.write(JSON.stringify({ statuses, error }) + '\\n'); process.exit(0); });
client.send(process.env.HOST, Number(process.env.PORT), process.env.CALLING, 'EDGE', { connectTimeout: 5000, associationTimeout: 10000, pduTimeout: 10000 });
`;

test('IPv6 in test-made namespaces: echo and store from our SCU and dcmjs-dimse, access checks by address', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to create network namespaces');
  if (!sh(['ip', '-V']).ok) return t.skip('the ip command is missing');
  const id = `d6${randomBytes(3).toString('hex')}`;
  const [nsA, nsB, ifA, ifB] = [`${id}a`, `${id}b`, `${id}x`, `${id}y`];
  const children: ChildProcess[] = [];
  const dir = await tmpDir('ipv6-netns-', t);
  t.after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    sh(['ip', 'netns', 'del', nsA]);
    sh(['ip', 'netns', 'del', nsB]);
    sh(['ip', 'link', 'del', ifA]); // only if it never left this namespace
  });
  if (!sh(['ip', 'netns', 'add', nsA]).ok) return t.skip('ip netns add failed (no CAP_SYS_ADMIN or no netns support)');
  must(['ip', 'netns', 'add', nsB]);
  must(['ip', 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB]);
  must(['ip', 'link', 'set', ifA, 'netns', nsA]);
  must(['ip', 'link', 'set', ifB, 'netns', nsB]);
  // A random unique local /64 (fd00::/8) that exists only in the two namespaces.
  const r = randomBytes(7);
  const group = (i: number): string => ((r.readUInt16BE(i) | 0x1000) & 0xffff).toString(16); // 4 digits, no leading zero
  const prefix = `fd${r.readUInt8(0).toString(16).padStart(2, '0')}:${group(1)}:${group(3)}:${group(5)}`;
  const [addrA, addrB] = [`${prefix}::1`, `${prefix}::2`];
  for (const [ns, ifname, addr] of [[nsA, ifA, addrA], [nsB, ifB, addrB]]) {
    must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    must(['ip', '-n', ns, 'addr', 'add', `${addr}/64`, 'dev', ifname, 'nodad']); // usable at once
    must(['ip', '-n', ns, 'link', 'set', ifname, 'up']);
  }
  // The modality's address as a technician might type it: upper case, zeros written out.
  const typedB = `${prefix.toUpperCase()}:0000:0000:0000:0002`;
  assert.notEqual(typedB, addrB);

  const data = join(dir, 'data');
  const ini = join(dir, 'edge.ini');
  writeFileSync(ini, [
    '[Network]', `port = ${PORT}`, `bind = ${addrA}`, 'readTimeout = 10',
    '[Local AE]', 'aeTitle = EDGE',
    '[Options]', 'verifyRemoteAe = On', 'verifyIPAddr = On',
    '[Server]', 'scp = echo', 'scp = ct',
    '[Storage]', `path = ${data}`, 'spareFiles = 8',
    '[RemoteAE]', 'userName = MOD', 'aetitle = MODALITY', `ip = ${typedB}`, 'port = 104',
    '[RemoteAE]', 'userName = DIMSEJS', 'aetitle = DIMSEJS', `ip = ${addrB}`, 'port = 104',
    '[RemoteAE]', 'userName = ELSEWHERE', 'aetitle = ELSEWHERE', `ip = ${prefix}::9`, 'port = 104',
    '',
  ].join('\n'));

  // config check: the address shown in brackets, and no "every association refused" warning.
  const check = await runIn(nsA, [process.execPath, CLI, 'config', 'check', ini]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, new RegExp(`AE EDGE on \\[${addrA}\\]:${PORT}`));
  assert.doesNotMatch(check.stdout + check.stderr, /verifyIPAddr/);

  let out = '';
  const agent = spawn('ip', ['netns', 'exec', nsA, process.execPath, CLI, 'run', '--config', ini], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(agent);
  agent.stdout.on('data', (d) => { out += d; });
  agent.stderr.on('data', (d) => { out += d; });
  await waitForOutput(agent, () => out, new RegExp(`EDGE listening on \\[${addrA}\\]:${PORT}`), 20000);

  // Our SCU: C-ECHO and C-STORE over IPv6, from the modality's namespace.
  const echo = await runIn(nsB, [process.execPath, CLI, 'echo', '-aet', 'MODALITY', '-aec', 'EDGE', addrA, String(PORT)]);
  assert.equal(echo.code, 0, echo.stdout + echo.stderr);
  assert.match(echo.stdout, new RegExp(`C-ECHO EDGE@\\[${addrA}\\]:${PORT}: status 0x0000 \\(Success\\)`));
  const study = await makeStudy(join(dir, 'study'), { count: 3, modality: 'CT' });
  const store = await runIn(nsB, [process.execPath, CLI, 'store', '-aet', 'MODALITY', '-aec', 'EDGE', addrA, String(PORT), join(dir, 'study')]);
  assert.equal(store.code, 0, store.stdout + store.stderr);
  assert.match(store.stdout, /stored 3\/3 instance\(s\)/);

  // dcmjs-dimse over IPv6: C-ECHO and two C-STOREs on one association.
  const dimseStudy = await makeStudy(join(dir, 'study2'), { count: 2, modality: 'CT' });
  const script = join(dir, 'dimse-child.js');
  writeFileSync(script, DIMSE_CHILD);
  const dj = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
    const p = spawn('ip', ['netns', 'exec', nsB, process.execPath, script], {
      env: { ...process.env, DCMJS_DIMSE, HOST: addrA, PORT: String(PORT), CALLING: 'DIMSEJS', FILES: JSON.stringify(dimseStudy.files.map((f) => f.path)) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(p);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 60000);
    p.once('close', (code) => { clearTimeout(timer); res({ code, stdout, stderr }); });
  });
  assert.equal(dj.code, 0, dj.stderr);
  // dcmjs-dimse logs to stdout too: the report is the last line.
  const report = dj.stdout.trim().split('\n').pop()!;
  assert.deepEqual(JSON.parse(report), { statuses: [0, 0, 0] }, `dcmjs-dimse: echo + 2 stores succeeded\n${dj.stdout}`);

  // A configured AE title calling from another address than its own is refused.
  const wrong = await runIn(nsB, [process.execPath, CLI, 'echo', '-aet', 'ELSEWHERE', '-aec', 'EDGE', addrA, String(PORT)]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /calling AE title not recognized/);
  await waitForOutput(agent, () => out, new RegExp(`calling AE "ELSEWHERE" from ${addrB} is not in the accept list`), 5000);
  assert.match(out, new RegExp(`MODALITY -> EDGE from \\[${addrB}\\]:\\d+`), 'peer address:port shown with brackets');

  agent.kill('SIGTERM');
  await new Promise((r) => (agent.exitCode !== null ? r(undefined) : agent.once('exit', r)));
  assert.equal(agent.exitCode, 0, out);

  // Everything stored is indexed, with the calling AE of its association.
  const db = new Database(join(data, 'index.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('SELECT sop_uid AS uid, calling_ae AS ae FROM instances ORDER BY calling_ae, sop_uid').all() as Array<{ uid: string; ae: string }>;
    const expected = [
      ...dimseStudy.files.map((f) => ({ uid: f.sopInstanceUid, ae: 'DIMSEJS' })),
      ...study.files.map((f) => ({ uid: f.sopInstanceUid, ae: 'MODALITY' })),
    ].sort((a, b) => (a.ae + a.uid < b.ae + b.uid ? -1 : 1));
    assert.deepEqual(rows, expected);
  } finally {
    db.close();
  }
});
