/**
 * sd_notify(3) for `Type=notify` services: READY=1, WATCHDOG=1, STOPPING=1, STATUS=… sent
 * only when systemd gave us $NOTIFY_SOCKET (zigbee2mqtt's sd-notify habit).
 *
 * The notification socket is an AF_UNIX datagram socket, which Node's dgram cannot open. We
 * run systemd's own `systemd-notify VAR=VALUE…` rather than embed another addon: it is on
 * every systemd host, it handles abstract sockets, and since systemd 246 it waits until the
 * manager has processed the message (BARRIER=1), which closes the old race where the helper
 * exited before systemd could attribute the message to the service. It runs as a child
 * process, so the unit needs `NotifyAccess=all` (systemd.service(5)).
 */
import { spawn } from 'node:child_process';

export interface NotifyOptions {
  /** Defaults to process.env; NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID are read from it. */
  env?: NodeJS.ProcessEnv;
  /** The helper to run; default "systemd-notify" (found on PATH, else /usr/bin, /bin). */
  command?: string;
  /** Give up on one notification after this long (systemd-notify's own barrier waits 5 s). */
  timeoutMs?: number;
  /** Called once per failure (helper missing, non-zero exit); default: ignore. */
  onError?: (message: string) => void;
}

/** True when systemd asked for notifications ($NOTIFY_SOCKET set). */
export function notifyEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof env.NOTIFY_SOCKET === 'string' && env.NOTIFY_SOCKET.length > 0;
}

/** "STATUS=a\nb" would end the message at the newline for some readers: keep one line. */
export function notifyArgs(state: string | string[]): string[] {
  const lines = Array.isArray(state) ? state : state.split('\n');
  return lines.map((l) => l.replace(/[\r\n]+/g, ' ').trim()).filter((l) => /^[A-Z_]+=/.test(l));
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Sends `state` ("READY=1", ["READY=1", "STATUS=listening on 104"], …). Resolves true when
 * the helper reported success, false when notifications are off or it failed; never rejects.
 * Notifications are sent one at a time, in call order.
 */
export function notify(state: string | string[], opts: NotifyOptions = {}): Promise<boolean> {
  const env = opts.env ?? process.env;
  const assignments = notifyArgs(state);
  if (!notifyEnabled(env) || assignments.length === 0) return Promise.resolve(false);
  const next = queue.then(() => runHelper(assignments, env, opts));
  queue = next;
  return next;
}

function runHelper(assignments: string[], env: NodeJS.ProcessEnv, opts: NotifyOptions): Promise<boolean> {
  const command = opts.command ?? 'systemd-notify';
  const childEnv = { ...env, PATH: env.PATH ? `${env.PATH}:/usr/bin:/bin` : '/usr/bin:/bin' };
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean, why?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!ok && why) opts.onError?.(why);
      resolve(ok);
    };
    const child = spawn(command, assignments, { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(false, `${command} ${assignments.join(' ')}: no answer after ${opts.timeoutMs ?? 10000} ms`);
    }, opts.timeoutMs ?? 10000);
    timer.unref();
    child.on('error', (e) => finish(false, `${command}: ${e.message}`));
    child.on('close', (code) => finish(code === 0, `${command} ${assignments.join(' ')} exited ${code}: ${stderr.trim()}`));
  });
}

/**
 * The watchdog ping interval: half of $WATCHDOG_USEC (systemd's advice), or undefined when the
 * watchdog is off or meant for another process ($WATCHDOG_PID, sd_watchdog_enabled(3)).
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!notifyEnabled(env) || !Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/**
 * Sends WATCHDOG=1 every WATCHDOG_USEC/2 while the event loop runs (a blocked loop stops the
 * pings and systemd restarts us). The timer does not keep the process alive. Returns a
 * function that stops it; a no-op when the watchdog is off.
 */
export function startWatchdog(opts: NotifyOptions = {}): () => void {
  const every = watchdogIntervalMs(opts.env ?? process.env);
  if (every === undefined) return () => undefined;
  let pending = false;
  const ping = (): void => {
    if (pending) return; // the previous ping has not been answered yet: do not pile up helpers
    pending = true;
    void notify('WATCHDOG=1', opts).finally(() => { pending = false; });
  };
  const timer = setInterval(ping, every);
  timer.unref();
  return () => clearInterval(timer);
}
