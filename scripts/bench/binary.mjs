#!/usr/bin/env node
// Measures the single executable: its size (target ≤ 100 MB) and its start-to-listening time
// (target < 0.5 s): from spawn until the DICOM port accepts a TCP connection, median of 5
// runs (after one warm-up run that also extracts the native addons to the cache, as the
// first start of an installed appliance does once).
// Usage: node scripts/bench/binary.mjs [--binary PATH] [--runs N]   (builds dist/dicom-edge if missing)
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const BINARY = resolve(opt('--binary', join(ROOT, 'dist/dicom-edge')));
const RUNS = Number(opt('--runs', '5'));
const SIZE_TARGET = 100 * 1024 * 1024;
const START_TARGET_MS = 500;

if (!existsSync(BINARY)) {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-binary.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

function accepts(port) {
  return new Promise((res) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); res(true); });
    s.on('error', () => res(false));
  });
}

/** Spawns the agent and polls the port every millisecond; returns ms from spawn to accept. */
async function startToListening(dir, env) {
  const port = await freePort();
  const ini = readFileSync(join(ROOT, 'dist/dicom-edge.ini'), 'utf8')
    .replace(/^port = .*$/m, `port = ${port}`).replace(/^bind = .*$/m, 'bind = 127.0.0.1')
    .replace(/^path = .*$/m, `path = ${join(dir, `data-${port}`)}`);
  writeFileSync(join(dir, 'edge.ini'), ini);
  const t0 = performance.now();
  const child = spawn(join(dir, 'dicom-edge'), ['run', '--config', join(dir, 'edge.ini')], { cwd: dir, env, stdio: 'ignore' });
  try {
    while (!(await accepts(port))) {
      if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}`);
      if (performance.now() - t0 > 20000) throw new Error('not listening after 20 s');
      await new Promise((r) => setTimeout(r, 1));
    }
    return performance.now() - t0;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const dir = mkdtempSync(join(tmpdir(), 'dicom-edge-bench-'));
try {
  copyFileSync(BINARY, join(dir, 'dicom-edge'));
  const env = { PATH: '/nonexistent', HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), LANG: 'C' };
  if (!existsSync(join(ROOT, 'dist/dicom-edge.ini'))) spawnSync(process.execPath, [join(ROOT, 'scripts/build-binary.mjs'), '--only', 'ini']);
  const size = statSync(BINARY).size;
  const first = await startToListening(dir, env);
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await startToListening(dir, env));
  const med = median(times);
  const mb = (size / 1048576).toFixed(1);
  console.log(`binary              ${BINARY}`);
  console.log(`size                ${mb} MiB (${size} bytes)   target ≤ 100 MiB   ${size <= SIZE_TARGET ? 'OK' : 'OVER'}`);
  console.log(`first start         ${first.toFixed(0)} ms (extracts the native addons to the cache)`);
  console.log(`start-to-listening  median ${med.toFixed(0)} ms of ${RUNS} runs [${times.map((x) => x.toFixed(0)).join(', ')}]   target < ${START_TARGET_MS} ms   ${med < START_TARGET_MS ? 'OK' : 'OVER'}`);
  process.exitCode = size <= SIZE_TARGET && med < START_TARGET_MS ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
