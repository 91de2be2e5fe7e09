/**
 * Starting dicom-edge in tests: in-process (Agent on a free port) or as the real CLI
 * (`node dist/dicom-edge.js run --config FILE`) for signal and end-to-end tests.
 * Always binds 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '../../src/agent/agent';
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/types';
import { createLogger } from '../../src/util/log';
import { freePort, waitForPort } from './ports';
import { onCleanup, tmpDir, type AfterContext } from './tmp';

export const CLI = join(process.cwd(), 'dist', 'dicom-edge.js');

export interface IniParts {
  aeTitle?: string;
  port: number;
  dataDir: string;
  /** Extra lines appended to sections, e.g. { Server: ['scp = ct'], Options: ['verifyIPAddr = Off'] } */
  sections?: Record<string, string[]>;
  /** Whole extra sections appended verbatim ([RemoteAE] blocks). */
  tail?: string;
}

/** A minimal INI: echo + the given lines; verify* left at the statement's defaults unless overridden. */
export function testIni(p: IniParts): string {
  const s = p.sections ?? {};
  const key = (line: string): string => line.split('=')[0].trim().toLowerCase();
  // Lines given in `sections` replace the base lines with the same option name.
  const sec = (name: string, base: string[]): string => {
    const extra = s[name] ?? [];
    const multi = ['scp', 'scu', 'scuscp', 'accept', 'trsyn'];
    const kept = base.filter((b) => multi.includes(key(b)) || !extra.some((e) => key(e) === key(b)));
    return `[${name}]\n${[...kept, ...extra].join('\n')}\n`;
  };
  return [
    sec('Network', [`port = ${p.port}`, 'bind = 127.0.0.1', 'readTimeout = 10', 'idleTimeout = 30']),
    sec('Local AE', [`aeTitle = ${p.aeTitle ?? 'EDGE'}`]),
    sec('Options', []),
    sec('Server', ['scp = echo']),
    // A small pool: hundreds of agents start in the suite, each would fill 1024 files when idle.
    sec('Storage', [`path = ${p.dataDir}`, 'spareFiles = 32']),
    ...Object.keys(s).filter((k) => !['Network', 'Local AE', 'Options', 'Server', 'Storage'].includes(k)).map((k) => sec(k, [])),
    p.tail ?? '',
  ].join('\n');
}

export function parseTestConfig(ini: string): Config {
  const r = parseConfig(ini, 'test.ini');
  if (!r.config) throw new Error(`test INI invalid:\n${r.problems.join('\n')}`);
  return r.config;
}

export interface InProcessAgent { agent: Agent; port: number; config: Config; dataDir: string; logs: string[]; stop(): Promise<void> }

/**
 * A data folder for an agent: removed when the test file ends, after the agent stopped
 * (t.after hooks run first to last, and an idle agent's pool still writes to spare/).
 */
export function agentDataDir(prefix: string): Promise<string> {
  return tmpDir(prefix);
}

/** Starts an Agent in this process; `build` gets the port and data folder and returns the INI text. */
export async function startAgent(build: (port: number, dataDir: string) => string, t?: AfterContext): Promise<InProcessAgent> {
  const port = await freePort();
  const dataDir = await agentDataDir('edge-data-');
  const config = parseTestConfig(build(port, dataDir));
  const logs: string[] = [];
  const agent = new Agent({ config, log: createLogger({ debug: !!process.env.EDGE_TEST_DEBUG, write: (l) => { logs.push(l); if (process.env.EDGE_TEST_DEBUG) process.stderr.write(l + '\n'); } }) });
  await agent.start();
  const stop = onCleanup(() => agent.stop(500), { t });
  return { agent, port, config, dataDir, logs, stop };
}

export interface SpawnedAgent { proc: ChildProcess; port: number; dataDir: string; iniPath: string; output(): string; stop(signal?: NodeJS.Signals): Promise<number | null> }

/** Runs the bundled CLI `run` with an INI written to a temp folder. */
export async function spawnAgent(build: (port: number, dataDir: string) => string, t?: AfterContext, env: Record<string, string> = {}, o: { onStarting?: (proc: ChildProcess, output: string) => void } = {}): Promise<SpawnedAgent> {
  const port = await freePort();
  const dataDir = await agentDataDir('edge-cli-');
  const iniPath = join(dataDir, 'edge.ini');
  writeFileSync(iniPath, build(port, dataDir));
  let out = '';
  const proc = spawn(process.execPath, [CLI, 'run', '--config', iniPath], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let starting = false;
  const onData = (d: Buffer): void => {
    out += d;
    if (!starting && o.onStarting && /starting with/.test(out)) {
      starting = true;
      o.onStarting(proc, out);
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  onCleanup(() => stop('SIGKILL'), { t, sync: () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } } });
  // A process ended by a signal has exitCode null and signalCode set.
  await waitForPort(port, '127.0.0.1', 15000, () => (proc.exitCode !== null || proc.signalCode !== null ? new Error(`agent exited ${proc.exitCode ?? proc.signalCode}:\n${out}`) : undefined));
  return { proc, port, dataDir, iniPath, output: () => out, stop };
}

/** Runs the CLI to completion (bounded). */
export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; input?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...(opts.env ?? {}) }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60000);
    p.stdin.end(opts.input ?? '');
    p.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
