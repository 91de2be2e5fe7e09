/**
 * The single executable dist/dicom-edge (npm run build:binary), built here when missing or
 * older than the sources (a few seconds). Every run copies it ALONE into an empty temp folder
 * and starts it there with a PATH that holds no node: no node_modules up the tree, no Node.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testIni } from '../helpers/agent';
import { canConnect, freePort, waitForPort } from '../helpers/ports';
import { tmpDir } from '../helpers/tmp';
import { makeStudy } from '../helpers/dicom-files';
import { notifyReceiver, notifySkipReason } from '../unit/native/notify-receiver';

const BINARY = join(process.cwd(), 'dist', 'dicom-edge');
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function binaryIsStale(): boolean {
  if (!existsSync(BINARY)) return true;
  const inputs = [newestSource('src'), ...['package.json', 'package-lock.json', 'scripts/build-binary.mjs'].map((f) => statSync(f).mtimeMs)];
  return statSync(BINARY).mtimeMs < Math.max(...inputs);
}

before(() => {
  if (!binaryIsStale()) return;
  const r = spawnSync(process.execPath, ['scripts/build-binary.mjs', '--skip-smoke'], { encoding: 'utf8', timeout: 150000 });
  assert.equal(r.status, 0, `build-binary failed:\n${r.stdout}${r.stderr}`);
});

/** An empty folder holding only a copy of the binary, and an environment without node. */
async function lonelyBinary(t: { after(fn: () => unknown): unknown }): Promise<{ dir: string; bin: string; env: NodeJS.ProcessEnv }> {
  const dir = await tmpDir('edge-bin-', t);
  const bin = join(dir, 'dicom-edge');
  copyFileSync(BINARY, bin);
  chmodSync(bin, 0o755);
  return { dir, bin, env: { PATH: '/nonexistent', HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), LANG: 'C' } };
}

function runBin(bin: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): SpawnSyncReturns<string> {
  return spawnSync(bin, args, { ...opts, encoding: 'utf8', timeout: 30000 });
}

test('the binary is at most 100 MB and runs without node: --version and config check', async (t) => {
  assert.ok(statSync(BINARY).size <= 100 * 1024 * 1024, `size ${statSync(BINARY).size}`);
  const { dir, bin, env } = await lonelyBinary(t);
  assert.equal(spawnSync('node', ['--version'], { env, cwd: dir }).error?.message.includes('ENOENT'), true, 'no node on PATH');
  const v = runBin(bin, ['--version'], { cwd: dir, env });
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stdout.trim(), version);
  const c = runBin(bin, ['config', 'check'], { cwd: dir, env });
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout, /<built-in default>: OK/);
  const bad = join(dir, 'bad.ini');
  writeFileSync(bad, '[Network]\nport = nine\n');
  const b = runBin(bin, ['config', 'check', bad], { cwd: dir, env });
  assert.equal(b.status, 1, 'an invalid file fails');
  assert.match(b.stderr, /port/);
});

test('the embedded addons are extracted to the private cache and load (sqlite, sockopt, serialport)', async (t) => {
  const { dir, bin, env } = await lonelyBinary(t);
  const cacheDir = join(dir, 'systemd-cache');
  const r = runBin(bin, [], { cwd: dir, env: { ...env, CACHE_DIRECTORY: cacheDir, DICOM_EDGE_SEA_SELFTEST: 'native' } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /native: sqlite 3\.\d+\.\d+, sockopt, serialport ok/);
  const files = readdirSync(join(cacheDir, 'native')).sort();
  assert.deepEqual(files.map((f) => f.replace(/-[0-9a-f]{16}\.node$/, '')), ['better_sqlite3', 'serialport_bindings', 'sockopt']);
  assert.equal(statSync(join(cacheDir, 'native')).mode & 0o777, 0o700);
  for (const f of files) assert.equal(statSync(join(cacheDir, 'native', f)).mode & 0o777, 0o500, f);
  assert.equal(existsSync(join(dir, 'cache')), false, '$CACHE_DIRECTORY wins over $XDG_CACHE_HOME');
});

test('the binary runs the agent, echoes and stores to itself, and renders a JPEG (worker thread) on its web page', async (t) => {
  const { dir, bin, env } = await lonelyBinary(t);
  const port = await freePort();
  const webPort = await freePort();
  const ini = join(dir, 'edge.ini');
  writeFileSync(ini, testIni({
    port, dataDir: join(dir, 'data'),
    sections: { Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off'], Server: ['scp = storage'], Web: [`port = ${webPort}`, 'bind = 127.0.0.1', 'anonymous = viewer'] },
  }));
  const agent = spawn(bin, ['run', '--config', ini], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  agent.stdout.on('data', (d: Buffer) => { log += d.toString(); });
  agent.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<number | null>((res) => agent.once('exit', (code) => res(code)));
  t.after(() => { if (agent.exitCode === null) agent.kill('SIGKILL'); });
  await waitForPort(port, '127.0.0.1', 20000, () => (agent.exitCode !== null ? new Error(`agent exited ${agent.exitCode}:\n${log}`) : undefined));

  const e = spawnSync(bin, ['echo', '-aec', 'EDGE', '--config', ini, '127.0.0.1', String(port)], { cwd: dir, env, encoding: 'utf8', timeout: 30000 });
  assert.equal(e.status, 0, e.stdout + e.stderr);
  assert.match(e.stdout, /C-ECHO EDGE@127\.0\.0\.1:\d+: status 0x0000 \(Success\)/);
  const study = await makeStudy(join(dir, 'study'), { count: 1, rows: 32, cols: 32 });
  const s = spawnSync(bin, ['store', '-aec', 'EDGE', '--config', ini, '127.0.0.1', String(port), join(dir, 'study')], { cwd: dir, env, encoding: 'utf8', timeout: 30000 });
  assert.equal(s.status, 0, s.stdout + s.stderr);
  const f = study.files[0];
  const jpg = await fetch(`http://127.0.0.1:${webPort}/wado?requestType=WADO&studyUID=${study.studyUid}&seriesUID=${f.seriesUid}&objectUID=${f.sopInstanceUid}`);
  assert.equal(jpg.status, 200, await jpg.clone().text());
  assert.equal(jpg.headers.get('content-type'), 'image/jpeg');
  const body = Buffer.from(await jpg.arrayBuffer());
  assert.deepEqual([body[0], body[1], body[body.length - 2], body[body.length - 1]], [0xff, 0xd8, 0xff, 0xd9], 'a whole JPEG from the embedded worker');

  agent.kill('SIGTERM');
  assert.equal(await exited, 0, log);
  assert.match(log, /store .*: 0 instances/, 'the SQLite index opened inside the binary');
  assert.match(log, /EDGE listening on 127\.0\.0\.1:\d+/);
});

// `run` sends READY=1 / WATCHDOG=1 / STOPPING=1 once src/cli/commands/run.ts calls
// src/native/sd-notify; until then this test is skipped.
const notifyWired = readFileSync('src/cli/commands/run.ts', 'utf8').includes('native/sd-notify');

test('under systemd (NOTIFY_SOCKET, WATCHDOG_USEC) the binary reports READY=1, WATCHDOG=1, STOPPING=1',
  { skip: notifyWired ? notifySkipReason() : 'run does not call src/native/sd-notify yet' }, async (t) => {
    const { dir, bin, env } = await lonelyBinary(t);
    const r = await notifyReceiver(t);
    const port = await freePort();
    const ini = join(dir, 'edge.ini');
    writeFileSync(ini, testIni({ port, dataDir: join(dir, 'data') }));
    // systemd-notify must be on PATH here, as it is for a systemd service.
    const svcEnv = { ...env, PATH: '/usr/bin:/bin', NOTIFY_SOCKET: r.path, WATCHDOG_USEC: '200000' };
    const agent = spawn(bin, ['run', '--config', ini], { cwd: dir, env: svcEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    agent.stdout.on('data', (d: Buffer) => { log += d.toString(); });
    agent.stderr.on('data', (d: Buffer) => { log += d.toString(); });
    const exited = new Promise<number | null>((res) => agent.once('exit', (code) => res(code)));
    t.after(() => { if (agent.exitCode === null) agent.kill('SIGKILL'); });
    const ready = await r.next((m) => m.split('\n').includes('READY=1'));
    assert.ok(await canConnect(port), `READY=1 came after the port listens: ${ready}`);
    await r.next((m) => m === 'WATCHDOG=1');
    agent.kill('SIGTERM');
    await r.next((m) => m.split('\n').includes('STOPPING=1'));
    assert.equal(await exited, 0, log);
  });
