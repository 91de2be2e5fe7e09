/**
 * Real DICOM peers for integration tests: DCMTK tools and listeners, Orthanc.
 * Every child gets TCP_NODELAY=1 (Debian's DCMTK waits on Nagle otherwise) and
 * listeners get LD_PRELOAD=bindlo so they bind 127.0.0.1 only. Output is kept for
 * assertion messages; every started peer is stopped at cleanup (see tmp.ts: pass
 * `t` to stop it when that test ends, otherwise it stops at the end of the file).
 * Never pass the context of a before() hook as `t`: the peer would stop when the
 * hook ends. Peers started in before() are stopped by the file-level cleanup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { loopbackEnv } from './bindlo';
import { freePort, waitForPort } from './ports';
import { onCleanup, tmpDir, type AfterContext } from './tmp';

const MAX_OUTPUT = 1 << 20;

export interface PeerProcess {
  proc: ChildProcess;
  /** stdout and stderr interleaved as received (the last 1 MiB). */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Environment for every DCMTK/Orthanc child. */
export function peerEnv(listener: boolean, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, TCP_NODELAY: '1', ...(listener ? loopbackEnv() : {}), ...extra };
}

/** Spawns a long-running peer with captured output and registered cleanup. */
export function spawnPeer(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; t?: AfterContext } = {}): PeerProcess {
  const proc = spawn(cmd, args, { env: opts.env ?? peerEnv(true), cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (chunk: Buffer): void => {
    out += chunk.toString('latin1');
    if (out.length > MAX_OUTPUT) out = out.slice(out.length - MAX_OUTPUT);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    proc.once('error', (err) => {
      keep(Buffer.from(`\n[spawn error] ${err.message}\n`));
      resolve('spawn-error');
    });
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const stop = async (graceMs = 3000): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  onCleanup(() => stop(), { t: opts.t, sync: () => void proc.kill('SIGKILL') });
  return { proc, output: () => out, exited, stop };
}

/** Stops the wait for a port as soon as the peer has exited, with its output. */
function exitedError(peer: PeerProcess, what: string): () => Error | undefined {
  return () => {
    const { exitCode, signalCode } = peer.proc;
    if (exitCode === null && signalCode === null && !peer.output().includes('[spawn error]')) return undefined;
    return new Error(`${what} exited (${exitCode ?? signalCode ?? 'spawn error'}) before listening:\n${peer.output()}`);
  };
}

/**
 * Starts a listener on `port` (or a free one). With no fixed port, a start that
 * fails because the port was taken meanwhile is retried on another port.
 */
async function startListener(
  what: string,
  port: number | undefined,
  launch: (port: number) => PeerProcess,
  timeoutMs = 15000,
): Promise<{ port: number; peer: PeerProcess }> {
  for (let attempt = 1; ; attempt++) {
    const p = port ?? (await freePort());
    const peer = launch(p);
    try {
      await waitForPort(p, '127.0.0.1', timeoutMs, exitedError(peer, what));
      return { port: p, peer };
    } catch (err) {
      await peer.stop();
      const inUse = /in use|EADDRINUSE|cannot listen|Address already/i.test(peer.output());
      if (port !== undefined || attempt >= 3 || !inUse) throw err;
    }
  }
}

export interface DcmtkResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a DCMTK command-line tool (echoscu, storescu, findscu, movescu, getscu, dcmdump,
 * dcmconv, dump2dcm, ...) to completion. Killed after `timeoutMs` (result.timedOut).
 */
export function runDcmtk(
  tool: string,
  args: string[],
  opts: { timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {},
): Promise<DcmtkResult> {
  const timeoutMs = opts.timeoutMs ?? 60000;
  return new Promise((resolve) => {
    const proc = spawn(tool, args, { env: peerEnv(true, opts.env), cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    proc.stdout.on('data', (c: Buffer) => stdout.push(c));
    proc.stderr.on('data', (c: Buffer) => stderr.push(c));
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, timeoutMs);
    const cancel = onCleanup(() => void proc.kill('SIGKILL'), { sync: () => void proc.kill('SIGKILL') });
    let spawnError = '';
    proc.once('error', (err) => {
      spawnError = `[spawn error] ${err.message}\n`;
    });
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      void cancel();
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('latin1'),
        stderr: spawnError + Buffer.concat(stderr).toString('latin1'),
        timedOut,
      });
    });
  });
}

export interface Listener {
  port: number;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function listener(port: number, peer: PeerProcess): Listener {
  return { port, proc: peer.proc, output: peer.output, stop: () => peer.stop() };
}

/** DCMTK storescp: `storescp -aet AET -od DIR [args] PORT`; DIR is created if needed. */
export async function startStorescp(opts: { aet?: string; dir: string; port?: number; args?: string[]; t?: AfterContext }): Promise<Listener> {
  await fsp.mkdir(opts.dir, { recursive: true });
  const { port, peer } = await startListener('storescp', opts.port, (p) =>
    spawnPeer('storescp', ['-aet', opts.aet ?? 'STORESCP', '-od', opts.dir, ...(opts.args ?? []), String(p)], { t: opts.t }),
  );
  return listener(port, peer);
}

export type HostTable = Record<string, [aet: string, host: string, port: number]>;

/** dcmqrscp.cfg text (DCMTK docs/dcmqrcnf.txt) for one storage area. */
export function dcmqrscpConfig(opts: { port: number; aet: string; dir: string; hosts: HostTable; maxPdu?: number }): string {
  const hosts = Object.entries(opts.hosts).map(([name, [aet, host, port]]) => `${name} = (${aet}, ${host}, ${port})`);
  return [
    `NetworkTCPPort = ${opts.port}`,
    `MaxPDUSize = ${opts.maxPdu ?? 16384}`,
    'MaxAssociations = 16',
    '',
    'HostTable BEGIN',
    ...hosts,
    'HostTable END',
    '',
    'VendorTable BEGIN',
    'VendorTable END',
    '',
    'AETable BEGIN',
    `${opts.aet} ${opts.dir} RW (1000, 1024mb) ANY`,
    'AETable END',
    '',
  ].join('\n');
}

export interface Dcmqrscp extends Listener {
  dir: string;
  configPath: string;
  /** Adds files to the storage area's index (dcmqridx), as if they had been stored. */
  index(files: string[]): Promise<void>;
}

/** DCMTK dcmqrscp in forked mode (single-process mode crashes in 3.6.7). */
export async function startDcmqrscp(opts: { aet?: string; dir?: string; port?: number; hosts?: HostTable; maxPdu?: number; t?: AfterContext }): Promise<Dcmqrscp> {
  const aet = opts.aet ?? 'QRSCP';
  const dir = opts.dir ?? (await tmpDir('dcmqrscp-db', opts.t));
  await fsp.mkdir(dir, { recursive: true });
  const cfgDir = await tmpDir('dcmqrscp-cfg', opts.t);
  const configPath = path.join(cfgDir, 'dcmqrscp.cfg');
  const { port, peer } = await startListener('dcmqrscp', opts.port, (p) => {
    // Written synchronously inside launch so a retry on another port rewrites it.
    writeFileSync(configPath, dcmqrscpConfig({ port: p, aet, dir, hosts: opts.hosts ?? {}, maxPdu: opts.maxPdu }));
    return spawnPeer('dcmqrscp', ['-c', configPath, String(p)], { t: opts.t });
  });
  const index = async (files: string[]): Promise<void> => {
    const r = await runDcmtk('dcmqridx', [dir, ...files]);
    if (r.code !== 0) throw new Error(`dcmqridx failed (${r.code}): ${r.stdout}${r.stderr}`);
  };
  return { ...listener(port, peer), dir, configPath, index };
}

export interface Wlmscpfs extends Listener {
  dir: string;
  /** Writes DB/<aet>/<name>.wl from a dump2dcm text dump (and the lockfile). */
  addItem(aet: string, name: string, dump: string): Promise<string>;
}

/** Makes DB/<aet>/ with its (required, empty) lockfile. */
export async function worklistAet(dbDir: string, aet: string): Promise<string> {
  const dir = path.join(dbDir, aet);
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, 'lockfile'), '');
  return dir;
}

export interface WorklistItem {
  patientName?: string;
  patientId?: string;
  accessionNumber?: string;
  studyUid?: string;
  modality?: string;
  stationAet?: string;
  /** YYYYMMDD */
  date?: string;
  /** HHMMSS */
  time?: string;
  stepId?: string;
  requestedProcedureId?: string;
}

/** A dump2dcm text for a worklist item with the attributes wlmscpfs wants present. */
export function worklistDump(w: WorklistItem = {}): string {
  return [
    '(0008,0005) CS [ISO_IR 100]',
    `(0008,0050) SH [${w.accessionNumber ?? 'ACC0001'}]`,
    `(0010,0010) PN [${w.patientName ?? 'WORK^LIST'}]`,
    `(0010,0020) LO [${w.patientId ?? 'WL0001'}]`,
    '(0010,0030) DA [19700101]',
    '(0010,0040) CS [O]',
    `(0020,000d) UI [${w.studyUid ?? '1.2.826.0.1.3680043.2.1143.1'}]`,
    '(0032,1032) PN [REQUESTING^DOCTOR]',
    '(0032,1060) LO [TEST PROCEDURE]',
    '(0040,0100) SQ',
    '(fffe,e000) -',
    `(0008,0060) CS [${w.modality ?? 'CT'}]`,
    `(0040,0001) AE [${w.stationAet ?? 'MODALITY'}]`,
    `(0040,0002) DA [${w.date ?? '20240102'}]`,
    `(0040,0003) TM [${w.time ?? '101500'}]`,
    '(0040,0006) PN [PERFORMING^DOCTOR]',
    '(0040,0007) LO [TEST STEP]',
    `(0040,0009) SH [${w.stepId ?? 'SPS0001'}]`,
    '(0040,0010) SH [STATION1]',
    '(0040,0011) SH [ROOM1]',
    '(fffe,e00d) -',
    '(fffe,e0dd) -',
    `(0040,1001) SH [${w.requestedProcedureId ?? 'RP0001'}]`,
    '(0040,1003) SH [LOW]',
    '',
  ].join('\n');
}

/** DCMTK wlmscpfs serving the worklist database folder `dir` (`-dfp dir`). */
export async function startWlmscpfs(opts: { dir?: string; port?: number; aets?: string[]; args?: string[]; t?: AfterContext }): Promise<Wlmscpfs> {
  const dir = opts.dir ?? (await tmpDir('wlmscpfs-db', opts.t));
  await fsp.mkdir(dir, { recursive: true });
  for (const aet of opts.aets ?? []) await worklistAet(dir, aet);
  const { port, peer } = await startListener('wlmscpfs', opts.port, (p) =>
    spawnPeer('wlmscpfs', ['-dfp', dir, ...(opts.args ?? []), String(p)], { t: opts.t }),
  );
  const addItem = async (aet: string, name: string, dump: string): Promise<string> => {
    const aetDir = await worklistAet(dir, aet);
    const dumpFile = path.join(aetDir, `${name}.dump`);
    const out = path.join(aetDir, `${name}.wl`);
    await fsp.writeFile(dumpFile, dump);
    const r = await runDcmtk('dump2dcm', ['+te', dumpFile, out]);
    await fsp.rm(dumpFile, { force: true });
    if (r.code !== 0) throw new Error(`dump2dcm failed (${r.code}): ${r.stdout}${r.stderr}`);
    return out;
  };
  return { ...listener(port, peer), dir, addItem };
}


export interface OrthancOptions {
  aet?: string;
  dicomPort?: number;
  httpPort?: number;
  /** DicomModalities: name → [AET, host, port]. */
  modalities?: HostTable;
  /** Merged last into the configuration (overrides the defaults). */
  extra?: Record<string, unknown>;
  t?: AfterContext;
  timeoutMs?: number;
}

export interface Orthanc {
  dicomPort: number;
  httpPort: number;
  aet: string;
  configPath: string;
  storageDir: string;
  output(): string;
  /** fetch on http://127.0.0.1:httpPort + path; object bodies are sent as JSON; JSON replies parsed. */
  rest(urlPath: string, init?: Omit<RequestInit, 'body'> & { body?: unknown }): Promise<any>;
  stop(): Promise<void>;
  /** Stops and starts again with the same configuration, ports and storage. */
  restart(): Promise<void>;
}

/** Orthanc's configuration for a test instance (loopback, no auth, no plugins). */
export function orthancConfig(o: { aet: string; dicomPort: number; httpPort: number; dir: string; modalities: HostTable; extra: Record<string, unknown> }): object {
  return {
    Name: `test-${o.aet}`,
    StorageDirectory: path.join(o.dir, 'storage'),
    IndexDirectory: path.join(o.dir, 'index'),
    HttpServerEnabled: true,
    HttpPort: o.httpPort,
    DicomServerEnabled: true,
    DicomPort: o.dicomPort,
    DicomAet: o.aet,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomCheckCalledAet: false,
    DicomAlwaysAllowEcho: true,
    DicomAlwaysAllowFind: true,
    DicomAlwaysAllowMove: true,
    DicomAlwaysAllowGet: true,
    DicomAlwaysAllowStore: true,
    DicomModalities: o.modalities,
    Plugins: [],
    ...o.extra,
  };
}

async function restCall(httpPort: number, urlPath: string, init: Omit<RequestInit, 'body'> & { body?: unknown } = {}): Promise<any> {
  const { body, ...rest } = init;
  const raw = body === undefined || typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Uint8Array;
  const headers = new Headers(rest.headers);
  if (!raw && !headers.has('content-type')) headers.set('content-type', 'application/json');
  const res = await fetch(`http://127.0.0.1:${httpPort}${urlPath}`, {
    ...rest,
    headers,
    body: raw ? (body as RequestInit['body']) : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Orthanc ${rest.method ?? 'GET'} ${urlPath}: HTTP ${res.status} ${text}`);
  const type = res.headers.get('content-type') ?? '';
  return type.includes('json') && text.length > 0 ? JSON.parse(text) : text;
}

async function waitForOrthanc(peer: PeerProcess, httpPort: number, dicomPort: number, timeoutMs: number): Promise<void> {
  const giveUp = exitedError(peer, 'Orthanc');
  await waitForPort(httpPort, '127.0.0.1', timeoutMs, giveUp);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const early = giveUp();
    if (early) throw early;
    try {
      await restCall(httpPort, '/system');
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Orthanc /system not ready: ${String(err)}\n${peer.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await waitForPort(dicomPort, '127.0.0.1', timeoutMs, giveUp);
}

/** Orthanc with a JSON config in a temp dir; ready once GET /system answers. */
export async function startOrthanc(opts: OrthancOptions = {}): Promise<Orthanc> {
  const aet = opts.aet ?? 'ORTHANC';
  const timeoutMs = opts.timeoutMs ?? 20000;
  const dir = await tmpDir('orthanc', opts.t);
  const configPath = path.join(dir, 'orthanc.json');
  const dicomPort = opts.dicomPort ?? (await freePort());
  const httpPort = opts.httpPort ?? (await freePort());
  const config = orthancConfig({ aet, dicomPort, httpPort, dir, modalities: opts.modalities ?? {}, extra: opts.extra ?? {} });
  await fsp.writeFile(configPath, JSON.stringify(config, null, 2));
  const launch = async (): Promise<PeerProcess> => {
    const peer = spawnPeer('Orthanc', [configPath], { t: opts.t, cwd: dir });
    try {
      await waitForOrthanc(peer, httpPort, dicomPort, timeoutMs);
    } catch (err) {
      await peer.stop();
      throw err;
    }
    return peer;
  };
  let peer = await launch();
  return {
    dicomPort, httpPort, aet, configPath,
    storageDir: path.join(dir, 'storage'),
    output: () => peer.output(),
    rest: (urlPath, init) => restCall(httpPort, urlPath, init),
    stop: () => peer.stop(),
    restart: async () => {
      await peer.stop();
      peer = await launch();
    },
  };
}
