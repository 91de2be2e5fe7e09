import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/tmp';
import { SerialConsole } from '../../../src/console/serial-console';
import { OfflineBackend } from '../../../src/console/offline-backend';
import { PROMPT } from '../../../src/console/session';
import { createLogger } from '../../../src/util/log';
import '../../../src/console/config-section';

// The package's "exports" map hides its .d.ts from bundler resolution: the part we use, typed here.
interface MockPortBinding { emitData(d: Buffer | string): void; recording: Buffer }
const { MockBinding } = require('@serialport/binding-mock') as {
  MockBinding: { reset(): void; createPort(path: string, o?: { echo?: boolean; record?: boolean }): void };
};

const INI = '[Network]\nport = 11112\n[Local AE]\naeTitle = EDGE\n[Server]\nscp = echo\n[Storage]\npath = .\n';

/** Polls (no timing asserted) until `pred` holds; fails after 5 s. */
async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function console1(t: { after(fn: () => unknown): unknown }, device: string, o: { password?: string; logs?: string[] } = {}) {
  const dir = await tmpDir('console-serial-', t);
  const path = join(dir, 'edge.ini');
  writeFileSync(path, INI);
  const log = createLogger({ write: (l) => o.logs?.push(l) });
  const sc = new SerialConsole({ device, baud: 115200, backend: new OfflineBackend(path), password: () => o.password, log, binding: MockBinding, retryMs: 10, failDelayMs: 0 });
  t.after(() => sc.close());
  return { sc, path };
}

function wire(sc: SerialConsole): { port: MockPortBinding; written: () => string } {
  const port = sc.openPort!.port as unknown as MockPortBinding;
  return { port, written: () => port.recording.toString('utf8') };
}

test('the console on a mock serial port: banner, echo of typed keys, CRLF answers, prompt', async (t) => {
  MockBinding.reset();
  MockBinding.createPort('/dev/ttyMOCK0', { echo: false, record: true });
  const { sc } = await console1(t, '/dev/ttyMOCK0');
  await sc.start();
  assert.equal(sc.openPort!.baudRate, 115200);
  const { port, written } = wire(sc);
  await until(() => written().endsWith(PROMPT), 'the first prompt');
  assert.match(written(), /^dicom-edge \S+ setup console.*\r\n/);
  port.emitData(Buffer.from('hepl\x7f\x7flp\r'));
  await until(() => written().split(PROMPT).length === 3, 'the answer to help');
  const answer = written().split(PROMPT)[1];
  assert.ok(answer.startsWith('hepl\b \b\b \blp\r\n'), 'typed keys and the erasing are echoed');
  assert.match(answer, /commands \(help COMMAND for details\):\r\n/);
  assert.ok(!/[^\r]\n/.test(answer), 'every line ends with CRLF on a serial line');
  port.emitData(Buffer.from('set Network.port x\r'));
  await until(() => written().split(PROMPT).length === 4, 'the answer to a bad set');
  assert.match(written().split(PROMPT)[2], /error: refused[\s\S]*not a whole number/);
  assert.match(sc.state, /^\/dev\/ttyMOCK0 at 115200 8N1: open$/);
});

test('a missing device is logged once and retried until it appears', async (t) => {
  MockBinding.reset();
  const logs: string[] = [];
  const { sc } = await console1(t, '/dev/ttyLATER', { logs });
  const opened = sc.start();
  await until(() => logs.some((l) => l.includes('/dev/ttyLATER')), 'the warning');
  assert.match(sc.state, /waiting \(.*\)/);
  MockBinding.createPort('/dev/ttyLATER', { record: true });
  // The retry timer is unref'd (it must not keep an agent alive): hold the loop open here.
  const keep = setInterval(() => undefined, 1000);
  await opened;
  clearInterval(keep);
  assert.equal(logs.filter((l) => l.includes('retrying')).length, 1, 'one warning for one reason, not one per retry');
  assert.match(sc.state, /open$/);
});

test('with a password the serial line asks for it, echoing asterisks', async (t) => {
  MockBinding.reset();
  MockBinding.createPort('/dev/ttyMOCK1', { record: true });
  const { sc } = await console1(t, '/dev/ttyMOCK1', { password: 'pw' });
  await sc.start();
  const { port, written } = wire(sc);
  await until(() => written().endsWith('password: '), 'the password prompt');
  port.emitData('pw\r');
  await until(() => written().endsWith(PROMPT), 'the prompt');
  assert.ok(written().includes('password: **\r\n'));
  assert.ok(!written().includes('pw\r'), 'the password is not echoed');
});
