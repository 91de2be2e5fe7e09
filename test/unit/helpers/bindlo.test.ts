import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { bindloPath, loopbackEnv } from '../../helpers/bindlo';
import { freePort, listenAddresses, waitForPort } from '../../helpers/ports';

/** Runs a node child that listens on `host` and prints server.address() as JSON. */
function listenAddress(host: string, ipv6Only: boolean, preload: boolean): { address: string; family: string } {
  const code = `const s=require('net').createServer();s.listen({port:0,host:${JSON.stringify(host)},ipv6Only:${ipv6Only}},()=>{console.log(JSON.stringify(s.address()));s.close();});`;
  const env = { ...process.env, ...(preload ? loopbackEnv() : {}), BINDLO_VERBOSE: '1' };
  const r = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

test('bindloPath compiles a shared object once and reuses it', () => {
  const p = bindloPath();
  assert.ok(fs.existsSync(p));
  assert.equal(fs.readFileSync(p).subarray(0, 4).toString('latin1'), '\x7fELF');
  assert.equal(bindloPath(), p);
});

test('without the shim a wildcard bind stays on 0.0.0.0 (control)', () => {
  assert.equal(listenAddress('0.0.0.0', false, false).address, '0.0.0.0');
});

test('AF_INET 0.0.0.0 is rewritten to 127.0.0.1', () => {
  assert.equal(listenAddress('0.0.0.0', false, true).address, '127.0.0.1');
});

test('AF_INET6 :: on a dual-stack socket becomes ::ffff:127.0.0.1', () => {
  assert.equal(listenAddress('::', false, true).address, '::ffff:127.0.0.1');
});

test('AF_INET6 :: on a v6-only socket becomes ::1', () => {
  assert.equal(listenAddress('::', true, true).address, '::1');
});

test('specific addresses pass through unchanged', () => {
  assert.equal(listenAddress('127.0.0.2', false, true).address, '127.0.0.2');
});

test('a DCMTK listener (storescp) under the shim listens on 127.0.0.1 only', async (t) => {
  const port = await freePort();
  const dir = fs.mkdtempSync('/tmp/bindlo-test-');
  const proc = spawn('storescp', ['-od', dir, String(port)], { env: { ...process.env, ...loopbackEnv() }, stdio: 'ignore' });
  t.after(() => {
    proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await waitForPort(port);
  assert.deepEqual(listenAddresses(port), [`127.0.0.1:${port}`]);
});
