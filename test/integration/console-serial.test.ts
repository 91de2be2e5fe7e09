/**
 * The serial setup console through a real pty pair made by socat: the agent (the real CLI,
 * `run`) opens one end as its [Console] device, the test types on the other end as a
 * technician would. Checks the answers, the INI on disk, and that an association opened
 * before `apply` (and before a SIGHUP) still completes C-ECHO afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';
import { runCli, spawnAgent, testIni, parseTestConfig } from '../helpers/agent';
import { onCleanup, tmpDir } from '../helpers/tmp';
import { waitForPort } from '../helpers/ports';
import { runDcmtk } from '../helpers/peers';
import { openChannel } from '../../src/services/scu';
import { echo } from '../../src/services/echo';
import { VERIFICATION_SOP_CLASS } from '../../src/dicom/uids';
import { silentLogger } from '../../src/util/log';
import type { DimseChannel } from '../../src/dimse/channel';
import '../../src/console/config-section';

/** Polls (no timing is asserted; the bound only keeps a broken test from hanging). */
async function until<T>(get: () => T | undefined | false, what: string, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function ptyPair(t: { after(fn: () => unknown): unknown }): Promise<{ a: string; b: string }> {
  const dir = await tmpDir('console-pty-', t);
  const a = join(dir, 'ttyA');
  const b = join(dir, 'ttyB');
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  onCleanup(() => { socat.kill(); }, { t, sync: () => socat.kill('SIGKILL') });
  await until(() => existsSync(a) && existsSync(b), 'socat\'s pty links');
  return { a, b };
}

/** The technician's terminal on the other end of the line. */
async function terminal(t: { after(fn: () => unknown): unknown }, path: string) {
  const { SerialPort: Port } = require('serialport') as typeof import('serialport');
  const port: SerialPort = new Port({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  t.after(() => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())));
  let seen = '';
  port.on('data', (d: Buffer) => { seen += d.toString('utf8'); });
  let mark = 0;
  return {
    /** Types a line (CR, as terminal programs send Enter) and returns the answer up to the next `until`. */
    async type(line: string, upTo: RegExp | string = 'dicom-edge> '): Promise<string> {
      mark = seen.length;
      port.write(`${line}\r`);
      return this.wait(upTo);
    },
    async wait(upTo: RegExp | string): Promise<string> {
      const from = mark;
      const hit = await until(() => {
        const s = seen.slice(from);
        return (typeof upTo === 'string' ? s.endsWith(upTo) : upTo.test(s)) && s;
      }, `${String(upTo)} after ${JSON.stringify(seen.slice(from))}`);
      mark = seen.length;
      return hit;
    },
  };
}

async function echoOn(channel: DimseChannel): Promise<number> {
  return echo(channel);
}

test('serial console on a socat pty: password, help, set, apply, status, bad input; open associations survive apply and SIGHUP', async (t) => {
  const { a, b } = await ptyPair(t);
  const agent = await spawnAgent((port, dataDir) => testIni({
    port, dataDir, sections: {
      Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off'],
      Console: [`device = ${a}`, 'baud = 115200', 'password = letmein'],
    },
  }), t);
  const original = readFileSync(agent.iniPath, 'utf8');
  await until(() => /serial console on .*ttyA at 115200 8N1/.test(agent.output()) || false, 'the agent to open ttyA');
  const term = await terminal(t, b);

  // Login: Enter shows the password prompt; a wrong password is refused.
  await term.type('', 'password: ');
  assert.match(await term.type('guess', 'password: '), /wrong password/);
  const login = await term.type('letmein');
  assert.match(login, /^\*{7}\r\n/, 'the password is echoed as asterisks');
  assert.match(login, /type "help"/);

  // An association opened before the changes.
  const client = parseTestConfig(original);
  const channel = await openChannel({
    config: client, log: silentLogger, peer: { aeTitle: 'EDGE', host: '127.0.0.1', port: agent.port },
    contexts: [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: client.transferSyntaxes, role: 'scu' }],
  });
  assert.equal(await echoOn(channel), 0);

  const help = await term.type('help');
  assert.ok(help.startsWith('help\r\n'), 'typed characters are echoed back');
  for (const c of ['status', 'set SECTION.OPTION VALUE', 'apply', 'revert', 'echo REMOTE']) assert.ok(help.includes(c), c);
  assert.match(await term.type('set Network.port 11113'), /pending: Network\.port = 11113/);
  assert.equal(readFileSync(agent.iniPath, 'utf8'), original, 'nothing written before apply');

  const applied = await term.type('apply');
  assert.match(applied, /saved .*edge\.ini \(previous version in .*edge\.ini\.bak\)/);
  assert.match(applied, /agent reloaded/);
  assert.doesNotMatch(applied, /restart needed/, 'the listener moves to the new port live');
  assert.equal(readFileSync(agent.iniPath, 'utf8'), original.replace(`port = ${agent.port}`, 'port = 11113'));
  assert.equal(readFileSync(`${agent.iniPath}.bak`, 'utf8'), original);
  assert.match(agent.output(), /configuration reloaded/);

  const status = await term.type('status');
  assert.match(status, /up \d/);
  assert.match(status, /associations: 1 open/);
  assert.match(status, /disk: .* free of /);
  assert.match(status, /serial console: .*ttyA at 115200 8N1: open/);
  assert.doesNotMatch(status, /restart needed/);
  await waitForPort(11113);
  const moved = await runDcmtk('echoscu', ['-aet', 'EDGE', '-aec', 'EDGE', '127.0.0.1', '11113']);
  assert.equal(moved.code, 0, `echo on the new port after apply: ${moved.stderr}`);

  assert.match(await term.type('bogus stuff'), /error: unknown command "bogus": type help/);
  assert.match(await term.type('set Network.port eleven'), /error: refused[\s\S]*not a whole number/);
  assert.match(await term.type('set Network'), /error: expected SECTION\.OPTION/);
  assert.match(await term.type(`st\x1b[A\x1b[Datus`), /associations: 1 open/, 'arrow keys are ignored');

  // The association opened before apply still works; so does it after a SIGHUP reload.
  assert.equal(await echoOn(channel), 0);
  const reloads = (agent.output().match(/configuration reloaded/g) ?? []).length;
  agent.proc.kill('SIGHUP');
  await until(() => (agent.output().match(/configuration reloaded/g) ?? []).length > reloads, 'the SIGHUP reload');
  assert.equal(await echoOn(channel), 0);
  await channel.assoc.release();

  // `dicom-edge console` on stdin talks to the same agent through its control socket.
  const cli = await runCli(['console', '--config', agent.iniPath], { input: 'status\nshow config\nexit\n', timeoutMs: 30000 });
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, new RegExp(`listening on 127\\.0\\.0\\.1:${agent.port}`));
  assert.match(cli.stdout, /password = \*{8}/);
  assert.ok(!cli.stdout.includes('letmein'));
  assert.ok(existsSync(join(agent.dataDir, 'control.sock')));

  assert.match(await term.type('logout', 'password: '), /logged out/);
  assert.equal(await agent.stop('SIGTERM'), 0, agent.output());
});

test('dicom-edge console with no agent edits the INI offline; config check knows [Console]', async (t) => {
  const dir = await tmpDir('console-offline-', t);
  const ini = join(dir, 'edge.ini');
  const text = testIni({ port: 11199, dataDir: dir, sections: { Console: ['device = off'] } });
  writeFileSync(ini, text);
  const env = { DICOM_EDGE_CONTROL_SOCKET: join(dir, 'nobody.sock') };
  const r = await runCli(['console', '--config', ini], { env, input: 'set Network.readTimeout 42\nremote add PACS PACS 127.0.0.1 104\nbad\napply\nexit\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /no running agent .*: editing .*edge\.ini offline/);
  assert.match(r.stdout, /\(offline: editing the INI file\)/);
  assert.match(r.stdout, /error: unknown command "bad"/);
  assert.match(r.stdout, /no running agent: it takes effect at the next start/);
  const after = readFileSync(ini, 'utf8');
  assert.match(after, /readTimeout = 42/);
  assert.match(after, /\[RemoteAE\]\nuserName = PACS\naetitle = PACS\nip = 127\.0\.0\.1\nport = 104\n/);
  assert.equal(readFileSync(`${ini}.bak`, 'utf8'), text);
  const check = await runCli(['config', 'check', ini]);
  assert.equal(check.code, 0, check.stderr + check.stdout);
});
