// Processes for the benchmark: the loopback bind() shim, DCMTK storescp and dicom-edge
// as listeners on 127.0.0.1, storescu runs with a hard time limit, /proc memory figures.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Compiles an LD_PRELOAD shim (C source under the repository) into `dir`; returns the .so path. */
function buildShim(repo, dir, source, name) {
  const out = path.join(dir, name);
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', out, path.join(repo, ...source), '-ldl'], { stdio: 'pipe' });
  return out;
}

/** test/helpers/bindlo.c: listeners bind 127.0.0.1 instead of the wildcard. */
export const buildBindlo = (repo, dir) => buildShim(repo, dir, ['test', 'helpers', 'bindlo.c'], 'bindlo.so');

/** lib/fsyncclose.c: an fsync before each close of a written file (a durable storescp for the forward bench's relay reference). */
export const buildFsyncClose = (repo, dir) => buildShim(repo, dir, ['scripts', 'bench', 'lib', 'fsyncclose.c'], 'fsyncclose.so');

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    const done = (ok) => { s.removeAllListeners(); s.on('error', () => {}); s.destroy(); resolve(ok); };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Spawns a listener, keeps the tail of its output, waits until `port` accepts. */
export async function startListener(name, cmd, args, { port, env, timeoutMs = 15000 }) {
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d) => { out = (out + d).slice(-20000); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise((r) => proc.once('exit', (code, sig) => r(code ?? sig)));
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${name} exited before listening:\n${out}`);
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`${name}: nothing on port ${port} after ${timeoutMs} ms\n${out}`); }
    await sleep(20);
  }
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  return { name, proc, port, output: () => out, stop };
}

/**
 * Runs storescu over one association and returns the wall time in ms. Rejects on a
 * non-zero exit or after `limitMs` (the process is killed).
 */
export function timeStorescu({ port, calledAe, input, env, limitMs, extraArgs = [] }) {
  return new Promise((resolve, reject) => {
    const args = ['-aet', 'BENCH', '-aec', calledAe, ...extraArgs, '+sd', '127.0.0.1', String(port), input];
    const t0 = process.hrtime.bigint();
    const p = spawn('storescu', args, { env: { ...process.env, ...env, TCP_NODELAY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d) => { out = (out + d).slice(-20000); };
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; p.kill('SIGKILL'); }, limitMs);
    p.once('exit', (code, sig) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (timedOut) reject(new Error(`storescu → ${calledAe} took longer than ${limitMs / 1000} s (killed)`));
      else if (code !== 0) reject(new Error(`storescu → ${calledAe} exited ${code ?? sig}:\n${out}`));
      else resolve(ms);
    });
  });
}

/** A field of /proc/PID/status in bytes (VmHWM = peak RSS, VmRSS = current RSS). */
export function procStatusBytes(pid, field) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** CPU time (user + system, all threads) a live process has used so far, in ms. */
export function procCpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // utime, stime in USER_HZ = 100
}

/**
 * AGENT_NODE_OPTIONS_NOTE: the NODE_OPTIONS the systemd unit (systemd/dicom-edge.service)
 * starts the agent with, so that the benchmarks measure the agent as it runs on a box.
 * EDGE_BENCH_NODE_OPTIONS replaces them for experiments (empty: none).
 */
export function agentNodeOptions(repo) {
  if (process.env.EDGE_BENCH_NODE_OPTIONS !== undefined) return process.env.EDGE_BENCH_NODE_OPTIONS;
  const unit = fs.readFileSync(path.join(repo, 'systemd', 'dicom-edge.service'), 'utf8');
  const m = /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit);
  return m ? m[1].replace(/^"(.*)"$/, '$1') : '';
}

/**
 * The minimal agent INI (as test/helpers/agent.ts testIni) with storage accepted from BENCH.
 * BENCH_WARM_UP_NOTE: the agent's start-up warm-up ([Options] warmUp, src/agent/warm-up.ts)
 * stays on (the default), as on a box; EDGE_BENCH_WARMUP=off turns it off for comparisons
 * (and for a --cli build older than the option).
 */
export function edgeIni({ port, dataDir, aeTitle }) {
  return [
    '[Network]', `port = ${port}`, 'bind = 127.0.0.1', 'readTimeout = 60', 'idleTimeout = 120', '',
    '[Local AE]', `aeTitle = ${aeTitle}`, '',
    ...(warmUpWanted() ? [] : ['[Options]', 'warmUp = Off', '']),
    '[Server]', 'scp = storage', 'accept = BENCH, 127.0.0.1', '',
    '[Storage]', `path = ${dataDir}`, '',
  ].join('\n');
}

function warmUpWanted() {
  return (process.env.EDGE_BENCH_WARMUP ?? 'on').toLowerCase() !== 'off';
}

/**
 * Waits until the agent (a startListener result) has finished its start-up warm-up
 * (BENCH_WARM_UP_NOTE): its log line, or nothing when the INI turned it off. Resolves with
 * that line; throws after `timeoutMs` (the benchmark would otherwise time a warm-up too).
 */
export async function waitForWarmUp(listener, timeoutMs = 30000) {
  if (!warmUpWanted()) return '';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = /^.*warm-up( failed)?:.*$/m.exec(listener.output());
    if (line) return line[0];
    if (Date.now() > deadline) throw new Error(`${listener.name}: no warm-up line after ${timeoutMs} ms:\n${listener.output()}`);
    await sleep(20);
  }
}

/**
 * Waits until the agent's pool of empty files in <data>/spare is full ([Storage] spareFiles,
 * default 4096), as on a box that has been running: the timed association then measures
 * the steady state, not the first second after start. Resolves with the count found.
 */
export async function waitForSpareFiles(dataDir, want = 4096, timeoutMs = 20000) {
  const dir = path.join(dataDir, 'spare');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let n = 0;
    try {
      n = fs.readdirSync(dir).length;
    } catch {
      // not created yet
    }
    if (n >= want || Date.now() > deadline) return n;
    await sleep(50);
  }
}


let pageCacheWarned = false;

/**
 * PAGE_CACHE_NOTE: called before each timed run. Writes the dirty pages out and drops the
 * clean page cache (`sync`, then 1 → /proc/sys/vm/drop_caches; needs root), then reads the
 * `warm` folders back so storescu's input is cached as before. Without it, every run leaves
 * its files cached and the next runs write into an ever larger page cache: on the 2-vCPU VM
 * these figures come from, buffered writes of 150 MiB took 33–60 ms with < ~1.3 GiB cached
 * and 320–380 ms beyond (plain Python writes, no DICOM), so the receivers' times depended on
 * how many runs came before them, not on their own work. Both receivers get the same start.
 * Returns false (and says so once) where the cache cannot be dropped.
 */
export function freshPageCache(warm = [], log = (s) => process.stderr.write(`${s}\n`), receivers = [], skipContent = null) {
  try {
    execFileSync('sync');
    fs.writeFileSync('/proc/sys/vm/drop_caches', '1');
  } catch (e) {
    if (!pageCacheWarned) log(`page cache not dropped between runs (${e.code ?? e.message}; needs root): later runs may be slower than earlier ones`);
    pageCacheWarned = true;
    return false;
  }
  for (const dir of warm) readTree(dir);
  for (const dir of receivers) rewarmReceiver(dir, skipContent);
  return true;
}

/**
 * RECEIVER_CACHE_NOTE: the drop also evicts a receiver's file-system metadata (on ext4 the
 * blocks of its folders, inode tables and bitmaps live in the block device's page cache)
 * and its index, which a box that has been running keeps cached. dicom-edge's store spreads
 * over 256 bucket folders and a pool of spare files made before the run: after the drop
 * its first CT study paid synchronous reads of those blocks on first touch (0.79–0.82 s
 * against 0.73–0.75 s with them read back, alternating runs). So each receiver's own
 * folder (dicom-edge's data folder, storescp's output folder, Orthanc's storage) is walked
 * again after the drop: every folder listed, every entry stat'ed, files up to 16 MiB (an
 * index, its WAL) read back. Entries that vanish meanwhile (the receiver is running) are
 * skipped. Files matching `skipContent` are stat'ed, not read: on this VM the timed run was
 * slower the more memory had been allocated since the drop (a second study through the same
 * agent: 1.59× with the first study's 150 MiB read back, 1.41× without), so a receiver's
 * earlier images, which the next reception does not need, are not read back.
 */
function rewarmReceiver(p, skipContent = null) {
  let st;
  try {
    st = fs.statSync(p);
  } catch (e) {
    if (e.code === 'ENOENT') return;
    throw e;
  }
  if (st.isDirectory()) {
    let names = [];
    try {
      names = fs.readdirSync(p);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    for (const f of names) rewarmReceiver(path.join(p, f), skipContent);
  } else if (st.isFile() && st.size > 0 && st.size <= 16 * 1024 * 1024 && !skipContent?.test(p)) {
    try {
      fs.readFileSync(p);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
  }
}

function readTree(p) {
  const st = fs.statSync(p);
  if (st.isDirectory()) for (const f of fs.readdirSync(p)) readTree(path.join(p, f));
  else if (st.isFile()) fs.readFileSync(p);
}
