/**
 * Buffer tuning on a real link: two network namespaces made by this test, joined by a veth
 * pair (a veth reports speed 10000 Mb/s and its MTU to sysfs). In one namespace the agent
 * starts with its configuration auto-tuned (autoTune → Agent); in the other a client tunes
 * itself the same way, opens an association and sends a C-ECHO. While the association is
 * open, `ss -tmn` in each namespace shows the tuned SO_SNDBUF/SO_RCVBUF on both ends
 * (Linux reports twice the value set, capped at wmem_max/rmem_max).
 *
 * The host's own network is never touched: the addresses (a link-local /30) exist only
 * inside the two namespaces, which are deleted (with their veth ends) in every case.
 * Skipped unless running as root with a working `ip netns`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { must, sh } from '../helpers/netns';
import { createInterface } from 'node:readline';

const BUILD = resolve(process.env.DICOM_EDGE_TEST_BUILD ?? 'dist/test-build');
const PORT = 11112;

/** Both children share this script: `server` runs the agent, `client` associates and echoes. */
const CHILD = `
const B = process.env.B;
const { parseConfig } = require(B + '/src/config/load.js');
const { autoTune } = require(B + '/src/tune/apply.js');
const { createLogger } = require(B + '/src/util/log.js');
const log = createLogger({ write: (l) => process.stderr.write(l + '\\n') });
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
async function main() {
  const ini = '[Network]\\nport = ${PORT}\\nbind = ' + process.env.BIND + '\\n[Local AE]\\naeTitle = ' + process.env.AET +
    '\\n[Options]\\nverifyRemoteAe = Off\\nverifyIPAddr = Off\\n[Storage]\\npath = ' + process.env.STORAGE + '\\n';
  const loaded = parseConfig(ini, process.env.STORAGE + '/edge.ini');
  if (!loaded.config) throw new Error(loaded.problems.join('; '));
  const t = await autoTune(loaded.config, { nic: process.env.NIC });
  const nic = t.hardware.nics.find((n) => n.name === process.env.NIC);
  const common = { nic, values: t.tuning.values, applied: t.applied, rmemMax: t.hardware.kernel.rmemMax };
  if (process.argv[2] === 'server') {
    const { Agent } = require(B + '/src/agent/agent.js');
    const agent = new Agent({ config: t.config, log });
    await agent.start();
    say({ ...common, ready: true });
    process.on('SIGTERM', () => agent.stop(100).then(() => process.exit(0)));
    return;
  }
  const { openChannel } = require(B + '/src/services/scu.js');
  const { echo } = require(B + '/src/services/echo.js');
  const { readBufferSizes } = require(B + '/src/ul/socket-options.js');
  const channel = await openChannel({
    config: t.config, log, peer: { aeTitle: 'EDGE', host: process.env.PEER, port: ${PORT} },
    contexts: [{ abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'], role: 'scu' }],
  });
  const status = await echo(channel);
  const sock = channel.assoc.socket;
  say({ ...common, status, sizes: readBufferSizes(sock), localPort: sock.localPort });
  // Hold the association open until the test has looked at it with ss.
  process.stdin.once('data', async () => {
    await channel.assoc.release();
    process.exit(0);
  });
}
main().catch((e) => { process.stderr.write('child failed: ' + (e && e.stack || e) + '\\n'); process.exit(3); });
`;

interface ChildReport {
  nic?: { name: string; speedMbps: number | null; mtu: number | null; operstate: string; virtual: boolean };
  values: { socketSndBuf: number; socketRcvBuf: number; maxPdu: number; dimseSize: number; maxAssociations: number };
  applied: string[];
  rmemMax: number | null;
  ready?: boolean;
  status?: number;
  sizes?: { sndBuf: number; rcvBuf: number };
  localPort?: number;
}

function firstJsonLine(child: ChildProcess, name: string): Promise<ChildReport> {
  return new Promise((res, rej) => {
    const rl = createInterface({ input: child.stdout! });
    let err = '';
    child.stderr!.on('data', (d) => { err += d; });
    rl.once('line', (line) => res(JSON.parse(line) as ChildReport));
    child.once('exit', (code) => rej(new Error(`${name} exited with ${code} before reporting:\n${err}`)));
  });
}

/** skmem rb/tb of the established TCP connection with this local (sport) or remote (dport) port. */
function skmem(ns: string, filter: string): { rb: number; tb: number } {
  const out = must(['ip', 'netns', 'exec', ns, 'ss', '-tmnH', 'state', 'established', filter]);
  const m = /skmem:\(([^)]*)\)/.exec(out);
  assert.ok(m, `ss shows the connection in ${ns}:\n${out}`);
  const field = (k: string) => Number(new RegExp(`(?:^|,)${k}(\\d+)`).exec(m[1])![1]);
  return { rb: field('rb'), tb: field('tb') };
}

function waitOperUp(ns: string, ifname: string): void {
  // Readiness, not timing: a veth end says "up" once both ends are up (bounded retries).
  for (let i = 0; i < 200; i++) {
    if (sh(['ip', 'netns', 'exec', ns, 'cat', `/sys/class/net/${ifname}/operstate`]).out.trim() === 'up') return;
    spawnSync('sleep', ['0.05']);
  }
  throw new Error(`${ifname} in ${ns} did not come up`);
}

test('a veth link (10000 Mb/s) in test-made namespaces: the association sockets carry the tuned buffer sizes', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to create network namespaces');
  if (!sh(['ip', '-V']).ok) return t.skip('the ip command is missing');
  const id = `de${randomBytes(3).toString('hex')}`;
  const [nsS, nsC, ifS, ifC] = [`${id}s`, `${id}c`, `${id}a`, `${id}b`];
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tune-netns-'));
  t.after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    sh(['ip', 'netns', 'del', nsS]);
    sh(['ip', 'netns', 'del', nsC]);
    sh(['ip', 'link', 'del', ifS]); // only if it never left this namespace
    rmSync(dir, { recursive: true, force: true });
  });
  if (!sh(['ip', 'netns', 'add', nsS]).ok) return t.skip('ip netns add failed (no CAP_SYS_ADMIN or no netns support)');
  must(['ip', 'netns', 'add', nsC]);
  must(['ip', 'link', 'add', ifS, 'type', 'veth', 'peer', 'name', ifC]);
  must(['ip', 'link', 'set', ifS, 'netns', nsS]);
  must(['ip', 'link', 'set', ifC, 'netns', nsC]);
  // A link-local /30 that exists only inside the two namespaces.
  const net = `169.254.${1 + (randomBytes(1)[0] % 253)}`;
  const [addrS, addrC] = [`${net}.1`, `${net}.2`];
  for (const [ns, ifname, addr] of [[nsS, ifS, addrS], [nsC, ifC, addrC]]) {
    must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    must(['ip', '-n', ns, 'link', 'set', ifname, 'mtu', '9000']);
    must(['ip', '-n', ns, 'addr', 'add', `${addr}/30`, 'dev', ifname]);
    must(['ip', '-n', ns, 'link', 'set', ifname, 'up']);
  }
  waitOperUp(nsS, ifS);
  waitOperUp(nsC, ifC);

  const script = join(dir, 'child.js');
  writeFileSync(script, CHILD);
  const spawnIn = (ns: string, role: string, env: Record<string, string>) => {
    const c = spawn('ip', ['netns', 'exec', ns, process.execPath, script, role], {
      env: { ...process.env, B: BUILD, ...env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(c);
    return c;
  };
  const server = spawnIn(nsS, 'server', { NIC: ifS, BIND: addrS, AET: 'EDGE', STORAGE: join(dir, 'store') });
  const s = await firstJsonLine(server, 'server');
  assert.equal(s.ready, true);
  const client = spawnIn(nsC, 'client', { NIC: ifC, BIND: addrC, AET: 'CLIENT', STORAGE: join(dir, 'client'), PEER: addrS });
  const c = await firstJsonLine(client, 'client');

  // Detection inside each namespace sees the veth as sysfs reports it.
  for (const [r, name] of [[s, ifS], [c, ifC]] as const) {
    assert.deepEqual({ ...r.nic, operstate: undefined }, { name, speedMbps: 10000, mtu: 9000, operstate: undefined, virtual: true, loopback: false, wireless: false, source: 'sysfs' });
  }
  // 10 Gb/s x 1 ms = 1250000 bytes → 1253376 (4 KiB pages); below rmem_max here, so not clamped.
  const hostMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
  const hostWMax = Number(readFileSync('/proc/sys/net/core/wmem_max', 'utf8'));
  const expectSnd = Math.min(1253376, hostWMax);
  const expectRcv = Math.min(1253376, hostMax);
  for (const r of [s, c]) {
    assert.equal(r.values.socketSndBuf, r.rmemMax === null ? 1253376 : expectSnd);
    assert.equal(r.values.socketRcvBuf, r.rmemMax === null ? 1253376 : expectRcv);
    assert.equal(r.values.maxPdu, 131072, 'a 10 Gb/s link with enough RAM');
    assert.deepEqual(r.applied.sort(), ['dimseSize', 'maxAssociations', 'maxpdu', 'socketRcvBuf', 'socketSndBuf']);
  }
  assert.equal(c.status, 0, 'C-ECHO succeeded over the veth');
  // Linux stores twice the value set (capped at the global maximum).
  const kernelSnd = 2 * Math.min(c.values.socketSndBuf, hostWMax);
  const kernelRcv = 2 * Math.min(c.values.socketRcvBuf, hostMax);
  assert.ok(c.sizes, 'the sockopt addon is loaded');
  assert.deepEqual(c.sizes, { sndBuf: kernelSnd, rcvBuf: kernelRcv }, 'getsockopt on the client socket');
  const clientMem = skmem(nsC, `( sport = :${c.localPort} )`);
  const agentMem = skmem(nsS, `( sport = :${PORT} )`);
  t.diagnostic(`tuned snd ${c.values.socketSndBuf} rcv ${c.values.socketRcvBuf}; getsockopt ${JSON.stringify(c.sizes)}; ss client ${JSON.stringify(clientMem)} agent ${JSON.stringify(agentMem)}`);
  assert.deepEqual(clientMem, { rb: kernelRcv, tb: kernelSnd }, 'ss -tm, client end');
  assert.deepEqual(agentMem, { rb: 2 * Math.min(s.values.socketRcvBuf, hostMax), tb: 2 * Math.min(s.values.socketSndBuf, hostWMax) }, 'ss -tm, agent end');

  client.stdin!.write('release\n');
  const code = await new Promise<number | null>((r) => client.once('exit', (x) => r(x)));
  assert.equal(code, 0, 'the client released and exited');
  server.kill('SIGTERM');
});
