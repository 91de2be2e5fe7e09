/**
 * A stand-in for systemd's notification socket in tests: an AF_UNIX datagram socket (which
 * Node cannot open, hence python3) that reports each message and, like systemd, closes any
 * fd passed with BARRIER=1 (systemd-notify waits for that).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/tmp';

/** Why real notification tests cannot run here, or false when they can. */
export function notifySkipReason(): string | false {
  if (spawnSync('systemd-notify', ['--version']).status !== 0) return 'systemd-notify missing (scripts/install-test-deps installs systemd)';
  if (spawnSync('python3', ['--version']).status !== 0) return 'python3 missing (it plays systemd\'s notification socket)';
  return false;
}

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

export interface Receiver {
  path: string;
  messages: string[];
  /** The first message matching `pred`; rejects after `giveUpMs` (a hang guard, not a timing check). */
  next(pred: (m: string) => boolean, giveUpMs?: number): Promise<string>;
  proc: ChildProcess;
}

/** Starts the receiver on <tmp>/notify.sock; killed after the test. */
export async function notifyReceiver(t: { after(fn: () => unknown): unknown }): Promise<Receiver> {
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
  const next = (pred: (m: string) => boolean, giveUpMs = 20000): Promise<string> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`notification not received after ${giveUpMs} ms; got ${JSON.stringify(messages)}`)), giveUpMs);
    const check = (): void => {
      const hit = messages.find(pred);
      if (hit === undefined) { waiters.push(check); return; }
      clearTimeout(timer);
      resolve(hit);
    };
    check();
  });
  await next((m) => m === 'LISTENING');
  assert.ok(existsSync(path));
  return { path, messages, next, proc };
}
