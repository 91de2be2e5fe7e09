import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notify, notifyArgs, notifyEnabled, startWatchdog, watchdogIntervalMs } from '../../../src/native/sd-notify';
import { notifyReceiver as receiver, notifySkipReason } from './notify-receiver';

const skipReal = notifySkipReason();

test('without NOTIFY_SOCKET nothing is sent and no helper runs', async () => {
  assert.equal(notifyEnabled({}), false);
  assert.equal(notifyEnabled({ NOTIFY_SOCKET: '' }), false);
  const errors: string[] = [];
  assert.equal(await notify('READY=1', { env: {}, command: '/nonexistent/helper', onError: (m) => errors.push(m) }), false);
  assert.deepEqual(errors, [], 'the helper was not even tried');
  assert.equal(startWatchdog({ env: { WATCHDOG_USEC: '1000000' } })(), undefined);
});

test('notifyArgs keeps VAR=VALUE assignments on one line each', () => {
  assert.deepEqual(notifyArgs('READY=1'), ['READY=1']);
  assert.deepEqual(notifyArgs(['READY=1', 'STATUS=a\nb']), ['READY=1', 'STATUS=a b']);
  assert.deepEqual(notifyArgs('READY=1\nSTATUS=up'), ['READY=1', 'STATUS=up']);
  assert.deepEqual(notifyArgs(['', 'garbage', '--ready']), [], 'no options or junk reach the helper');
});

test('watchdogIntervalMs is half of WATCHDOG_USEC, only for this process', () => {
  const s = { NOTIFY_SOCKET: '/run/x' };
  assert.equal(watchdogIntervalMs({ ...s, WATCHDOG_USEC: '30000000' }, 42), 15000);
  assert.equal(watchdogIntervalMs({ ...s, WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42), 15000);
  assert.equal(watchdogIntervalMs({ ...s, WATCHDOG_USEC: '30000000', WATCHDOG_PID: '43' }, 42), undefined);
  assert.equal(watchdogIntervalMs({ ...s }, 42), undefined);
  assert.equal(watchdogIntervalMs({ ...s, WATCHDOG_USEC: 'abc' }, 42), undefined);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 42), undefined, 'no socket, no watchdog');
});

test('a missing helper resolves false and reports why', async () => {
  const errors: string[] = [];
  const ok = await notify('READY=1', { env: { NOTIFY_SOCKET: '/tmp/none' }, command: '/nonexistent/systemd-notify', onError: (m) => errors.push(m) });
  assert.equal(ok, false);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /ENOENT/);
});

test('READY, STATUS, WATCHDOG and STOPPING reach the notification socket in order', { skip: skipReal }, async (t) => {
  const r = await receiver(t);
  const env = { PATH: process.env.PATH, NOTIFY_SOCKET: r.path };
  const results = await Promise.all([
    notify(['READY=1', 'STATUS=listening on 127.0.0.1:11112'], { env }),
    notify('WATCHDOG=1', { env }),
    notify('STOPPING=1', { env }),
  ]);
  assert.deepEqual(results, [true, true, true], 'each helper saw its barrier answered');
  await r.next((m) => m === 'STOPPING=1'); // the receiver's output may trail the helpers' exit
  const payload = r.messages.filter((m) => m !== 'LISTENING' && !m.startsWith('BARRIER=1'));
  assert.deepEqual(payload, ['READY=1\nSTATUS=listening on 127.0.0.1:11112', 'WATCHDOG=1', 'STOPPING=1']);
});

test('startWatchdog pings WATCHDOG=1 until stopped', { skip: skipReal }, async (t) => {
  const r = await receiver(t);
  const stop = startWatchdog({ env: { PATH: process.env.PATH, NOTIFY_SOCKET: r.path, WATCHDOG_USEC: '100000', WATCHDOG_PID: String(process.pid) } });
  // Waiting for the event (no timing assertion): the watchdog fires on its own.
  assert.equal(await r.next((m) => m === 'WATCHDOG=1'), 'WATCHDOG=1');
  stop();
  // Queued behind any ping still in flight: once it is answered, nothing is left running.
  assert.equal(await notify('STATUS=stopped', { env: { PATH: process.env.PATH, NOTIFY_SOCKET: r.path } }), true);
  assert.equal(await r.next((m) => m === 'STATUS=stopped'), 'STATUS=stopped');
});
