import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { notify, notifyArgs, notifyEnabled, startWatchdog, watchdogIntervalMs } from '../../../src/native/sd-notify';
import { tmpDir } from '../../helpers/tmp';

const hasHelper = spawnSync('systemd-notify', ['--version']).status === 0;
const hasPython = spawnSync('python3', ['--version']).status === 0;
const skipReal = !hasHelper ? 'systemd-notify missing (scripts/install-test-deps installs systemd)'
  : !hasPython ? 'python3 missing (it plays systemd\'s notification socket)' : false;

// A stand-in for systemd's notification socket: an AF_UNIX datagram socket that prints each
// message as a JSON line and, like systemd, closes any fd passed with BARRIER=1 (that is what
// systemd-notify waits for).
const RECEIVER = `
import json, socket, sys, os, array
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("LISTENING"), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
    for level, typ, payload in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds = array.array("i"); fds.frombytes(payload[: len(payload) - len(payload) % 4])
            for fd in fds: os.close(fd)
    print(json.dumps(data.decode()), flush=True)
`;

interface Receiver { path: string; messages: string[]; next(pred: (m: string) => boolean): Promise<string>; proc: ChildProcess }

async function receiver(t: { after(fn: () => unknown): unknown }): Promise<Receiver> {
  const path = join(await tmpDir('edge-notify-', t), 'notify.sock');
  const proc = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => proc.kill('SIGKILL'));
  const messages: string[] = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      messages.push(JSON.parse(buf.slice(0, i)) as string);
      buf = buf.slice(i + 1);
      for (const w of waiters.splice(0)) w();
    }
  });
  const next = (pred: (m: string) => boolean): Promise<string> => new Promise((resolve) => {
    const check = (): void => {
      const hit = messages.find(pred);
      if (hit !== undefined) resolve(hit); else waiters.push(check);
    };
    check();
  });
  await next((m) => m === 'LISTENING');
  assert.ok(existsSync(path));
  return { path, messages, next, proc };
}

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
