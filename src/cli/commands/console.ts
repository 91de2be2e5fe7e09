/**
 * `dicom-edge console [--config FILE] [--socket PATH] [--offline]`: the setup console on
 * stdin/stdout, for development and for a shell on the box. It talks to the running agent
 * through its control socket; with no agent (or --offline) it edits the INI file directly.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { bool, parseArgs, str } from '../args';
import { DEFAULT_CONFIG_NAME } from '../../config/default-ini';
import { loadConfig, resolveConfigPath } from '../../config/load';
import { EdgeError } from '../../util/errors';
import type { ConsoleBackend } from '../../console/backend';
import { ControlClient } from '../../console/control-client';
import { controlSocketPath } from '../../console/control-server';
import { CONTROL_SOCKET_NAME } from '../../console/control-protocol';
import { LineEditor } from '../../console/line-editor';
import { OfflineBackend } from '../../console/offline-backend';
import { ConsoleSession } from '../../console/session';

export const usage = 'console [--config FILE] [--socket PATH] [--offline]';

const FLAGS = [
  { names: ['--config', '-c'], value: true, key: 'config' },
  { names: ['--socket'], value: true, key: 'socket' },
  { names: ['--offline'], key: 'offline' },
  { names: ['-h', '--help'], key: 'help' },
];

/** The INI `run` would use: --config, $DICOM_CONFIG_FILE, else ./var/dicom-edge.ini when it exists. */
function configPath(cli?: string): string | undefined {
  const p = resolveConfigPath(cli);
  if (p) return p;
  const local = resolve('var', DEFAULT_CONFIG_NAME);
  return existsSync(local) ? local : undefined;
}

function socketCandidates(cli: string | undefined, ini: string | undefined): string[] {
  if (cli) return [cli];
  const out = [controlSocketPath('', process.env), `/run/dicom-edge/${CONTROL_SOCKET_NAME}`];
  if (ini) {
    try {
      out.push(controlSocketPath(loadConfig(ini).storage.path, {}));
    } catch { /* an invalid file: no data folder to look in */ }
  }
  return [...new Set(out.filter((p) => p !== CONTROL_SOCKET_NAME))];
}

async function connect(sockets: string[]): Promise<ControlClient | undefined> {
  for (const s of sockets) {
    try {
      return await ControlClient.connect(s);
    } catch { /* next */ }
  }
  return undefined;
}

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (bool(a, 'help')) {
    process.stdout.write(`usage: dicom-edge ${usage}\n`);
    return 0;
  }
  const ini = configPath(str(a, 'config'));
  const sockets = socketCandidates(str(a, 'socket'), ini);
  let backend: ConsoleBackend | undefined = bool(a, 'offline') ? undefined : await connect(sockets);
  if (!backend) {
    if (!ini) throw new EdgeError('CLI_NO_AGENT', `no running agent (tried ${sockets.join(', ')}) and no configuration file to edit: --config FILE`);
    if (!bool(a, 'offline')) process.stderr.write(`no running agent (tried ${sockets.join(', ')}): editing ${ini} offline\n`);
    backend = new OfflineBackend(ini);
  }
  return runOnStdio(backend);
}

/** The session on stdin/stdout: a terminal is put in raw mode and echoed like a serial line. */
function runOnStdio(backend: ConsoleBackend): Promise<number> {
  const tty = process.stdin.isTTY === true;
  const write = (s: string): void => { process.stdout.write(s); };
  return new Promise((done) => {
    const finish = (): void => {
      if (tty) process.stdin.setRawMode(false);
      process.stdin.pause();
      if (backend instanceof ControlClient) backend.close();
      done(0);
    };
    const editor = new LineEditor(tty ? { echo: write } : {});
    const session = new ConsoleSession({ backend, write, crlf: tty, failDelayMs: 1000, label: 'stdin', onLogout: finish }).attach(editor);
    if (tty) process.stdin.setRawMode(true);
    process.stdin.pipe(editor);
    // Piped input: end of input ends the session once every line has been answered.
    editor.on('end', () => void session.idle().then(finish));
    void session.start();
  });
}
