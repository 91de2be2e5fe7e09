/**
 * The real CLI for the config-apply fault test: `dicom-edge run` on an INI that already
 * exists (so a restart reads whatever the last apply left), and `dicom-edge console` on
 * piped stdin, typed line by line like a technician. Both are pinned to one control socket
 * through $DICOM_EDGE_CONTROL_SOCKET, so no other agent on the machine is ever reached.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI } from './agent';
import { waitForPort } from './ports';
import { onCleanup, type AfterContext } from './tmp';

/** Polls every 10 ms; the bound only keeps a broken test from hanging. */
async function until(probe: () => boolean, what: string, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function launch(args: string[], env: Record<string, string>, t: AfterContext): { proc: ChildProcess; output: () => string; exited: Promise<number | string> } {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, RUNTIME_DIRECTORY: '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | string>((r) => proc.once('exit', (code, sig) => r(code ?? sig ?? 'unknown')));
  onCleanup(async () => { proc.kill('SIGKILL'); await exited; }, { t, sync: () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } } });
  return { proc, output: () => out, exited };
}

export interface RunningAgent { proc: ChildProcess; output(): string; exited: Promise<number | string> }

/** `dicom-edge run --config INI`; resolves once it listens on `port` and its control socket exists. */
export async function runAgentOn(iniPath: string, port: number, socket: string, t: AfterContext): Promise<RunningAgent> {
  const a = launch(['run', '--config', iniPath], { DICOM_EDGE_CONTROL_SOCKET: socket }, t);
  const gone = (): Error | undefined => (a.proc.exitCode !== null || a.proc.signalCode !== null ? new Error(`agent exited ${a.proc.exitCode ?? a.proc.signalCode}:\n${a.output()}`) : undefined);
  await waitForPort(port, '127.0.0.1', 15000, gone);
  await until(() => existsSync(socket) && /control socket /.test(a.output()), 'the control socket');
  return a;
}

export interface ConsoleDriver {
  output(): string;
  /** Writes one line; resolves with the output from then on once it matches `upTo`. */
  type(line: string, upTo: RegExp): Promise<string>;
  /** Writes one line and returns at once. */
  send(line: string): void;
  /** Everything written since the last type/send (so far). */
  since(): string;
  exited: Promise<number | string>;
}

/** `dicom-edge console --socket SOCKET` on piped stdin; resolves at its first prompt. */
export async function consoleOn(socket: string, t: AfterContext): Promise<ConsoleDriver> {
  const c = launch(['console', '--socket', socket], { DICOM_EDGE_CONTROL_SOCKET: socket }, t);
  await until(() => /dicom-edge> $/.test(c.output()) || c.proc.exitCode !== null, 'the console prompt');
  if (/offline/.test(c.output())) throw new Error(`the console did not reach the agent:\n${c.output()}`);
  let mark = c.output().length;
  const send = (line: string): void => {
    mark = c.output().length;
    c.proc.stdin!.write(`${line}\n`);
  };
  return {
    output: c.output,
    exited: c.exited,
    send,
    since: () => c.output().slice(mark),
    async type(line: string, upTo: RegExp): Promise<string> {
      send(line);
      const from = mark;
      await until(() => upTo.test(c.output().slice(from)), `${String(upTo)} after "${line}": ${JSON.stringify(c.output().slice(from))}`);
      return c.output().slice(from);
    },
  };
}
