import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { lstatSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/tmp';
import { ControlServer, controlSocketPath } from '../../../src/console/control-server';
import { ControlClient } from '../../../src/console/control-client';
import type { AgentStatus, ConsoleBackend } from '../../../src/console/backend';
import { ConfigError, EdgeError } from '../../../src/util/errors';
import { silentLogger } from '../../../src/util/log';

const STATUS: AgentStatus = {
  version: '1.2.3', pid: 1, uptimeSeconds: 61, aeTitle: 'EDGE', listening: '127.0.0.1:104', configPath: '/etc/x.ini',
  associations: [{ id: 'in-1', callingAe: 'CT1', calledAe: 'EDGE', peer: '10.0.0.2', state: 'Sta6' }], maxAssociations: 8,
  queueDepth: 3, disk: { path: '/d', freeBytes: 1, totalBytes: 2 }, instances: 5, restartNeeded: [], serial: null, offline: false,
};

const fake: ConsoleBackend = {
  offline: false,
  status: async () => STATUS,
  readConfig: async () => ({ path: '/etc/x.ini', text: '[Network]\n' }),
  applyConfig: async (text) => { throw new ConfigError([`x.ini:1: bad ${text}`]); },
  restoreBackup: async () => { throw new EdgeError('CONSOLE_NO_FILE', 'no backup'); },
  echo: async (r) => `C-ECHO ${r}: status 0x0000 (Success)`,
  queue: async () => null,
  tune: async () => 'report\n',
};

async function server(t: { after(fn: () => unknown): unknown }) {
  const dir = await tmpDir('control-', t);
  const s = new ControlServer({ path: join(dir, 'control.sock'), backend: fake, log: silentLogger });
  await s.listen();
  t.after(() => s.close());
  return { dir, s };
}

test('socket path: override, $RUNTIME_DIRECTORY (first of a list), else the data folder', () => {
  assert.equal(controlSocketPath('/data', { DICOM_EDGE_CONTROL_SOCKET: '/x.sock' }), '/x.sock');
  assert.equal(controlSocketPath('/data', { RUNTIME_DIRECTORY: '/run/dicom-edge:/run/other' }), '/run/dicom-edge/control.sock');
  assert.equal(controlSocketPath('/data', {}), '/data/control.sock');
});

test('the socket is mode 0600 and every backend call round-trips, errors keep their code and problems', async (t) => {
  const { s } = await server(t);
  assert.equal(statSync(s.path).mode & 0o777, 0o600);
  const c = await ControlClient.connect(s.path);
  t.after(() => c.close());
  assert.deepEqual(await c.status(), STATUS);
  assert.deepEqual(await c.readConfig(), { path: '/etc/x.ini', text: '[Network]\n' });
  assert.equal(await c.echo('PACS'), 'C-ECHO PACS: status 0x0000 (Success)');
  assert.equal(await c.queue(), null);
  assert.equal(await c.tune(), 'report\n');
  await assert.rejects(c.applyConfig('T', 'B'), (e) => e instanceof ConfigError && e.problems[0] === 'x.ini:1: bad T');
  await assert.rejects(c.restoreBackup(), (e) => e instanceof EdgeError && e.code === 'CONSOLE_NO_FILE');
});

test('bad requests get an error answer, not a crash', async (t) => {
  const { s } = await server(t);
  const answers = await new Promise<string>((resolve) => {
    const sock = net.connect(s.path, () => sock.write('not json\n{"id":7,"method":"format-disk"}\n{"id":8,"method":"echo","params":{}}\n'));
    let got = '';
    sock.on('data', (d) => {
      got += d;
      if (got.split('\n').length > 3) { sock.end(); resolve(got); }
    });
  });
  const rsp = answers.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rsp.find((r) => r.id === -1).error.code, 'CONTROL_BAD_REQUEST');
  assert.equal(rsp.find((r) => r.id === 7).error.code, 'CONTROL_UNKNOWN_METHOD');
  assert.equal(rsp.find((r) => r.id === 8).error.code, 'CONTROL_BAD_PARAMS');
  assert.deepEqual(await (await ControlClient.connect(s.path)).status(), STATUS, 'still serving');
});

test('a stale socket file is replaced; a live one (another agent) is refused; a plain file is never removed', async (t) => {
  const { dir, s } = await server(t);
  const second = new ControlServer({ path: s.path, backend: fake, log: silentLogger });
  await assert.rejects(second.listen(), (e) => e instanceof EdgeError && e.code === 'CONTROL_IN_USE');
  // A stale socket: left by a process that exited without closing its listener.
  const stalePath = join(dir, 'stale.sock');
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stalePath)}, () => process.exit(0))`]);
  assert.ok(lstatSync(stalePath).isSocket(), 'the dead socket file is there');
  const fresh = new ControlServer({ path: stalePath, backend: fake, log: silentLogger });
  await fresh.listen();
  t.after(() => fresh.close());
  const c = await ControlClient.connect(stalePath);
  assert.equal((await c.status()).aeTitle, 'EDGE');
  c.close();
  const third = new ControlServer({ path: join(dir, 'plain'), backend: fake, log: silentLogger });
  writeFileSync(join(dir, 'plain'), 'x');
  await assert.rejects(third.listen(), (e) => e instanceof EdgeError && e.code === 'CONTROL_PATH_TAKEN');
});
