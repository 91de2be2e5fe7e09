/**
 * `dicom-edge run`: start the agent. SIGTERM/SIGINT release or abort associations and
 * exit 0; SIGHUP reloads the configuration (a bad file is reported and the old one kept).
 */
import { Agent } from '../../agent/agent';
import { loadConfig } from '../../config/load';
import { createLogger } from '../../util/log';
import { errorMessage, ConfigError } from '../../util/errors';
import { COMMON_FLAGS, parseArgs, str } from '../args';
import { loadAgentConfig } from '../context';
import { autoTune, tuningLogLine } from '../../tune/apply';
import type { Config } from '../../config/types';
import type { Logger } from '../../util/log';
import { startConsoleServices } from '../../console/appliance';
import { notify, startWatchdog } from '../../native/sd-notify';
import { hostPort } from '../../util/address';
import { startHeapGrowth } from '../../tune/heap';
import { WarmUp } from '../../agent/warm-up';

/** Options written as `auto` (or left out) take values derived from the detected hardware. */
async function tuned(config: Config, log: Logger): Promise<Config> {
  try {
    const r = await autoTune(config, {}, { log });
    log.info(tuningLogLine(r));
    return r.config;
  } catch (e) {
    log.warn(`auto-tuning failed, using the statement's defaults: ${errorMessage(e)}`);
    return config;
  }
}

export const usage = 'run [--config FILE]';

export async function run(argv: string[]): Promise<number> {
  // Signals that arrive while starting (systemd's ExecReload, a quick stop) are held and
  // acted on once the agent is up: without a handler, SIGHUP's default action would kill it.
  // Installed first, before anything is logged (a supervisor may signal as soon as it sees output).
  const early: NodeJS.Signals[] = [];
  const hold = (sig: NodeJS.Signals): void => void early.push(sig);
  for (const sig of SIGNALS) process.on(sig, hold);
  const unhold = (): void => { for (const sig of SIGNALS) process.off(sig, hold); };
  let loaded: Config;
  let path: string;
  try {
    ({ config: loaded, path } = loadAgentConfig(str(parseArgs(argv, COMMON_FLAGS), 'config')));
  } catch (e) {
    unhold();
    throw e;
  }
  const log = createLogger({ debug: loaded.options.debug, file: loaded.options.debugFile }, 'agent');
  log.info(`dicom-edge ${loaded.localAe.implementationVersionName} starting with ${path}`);
  const heap = startHeapGrowth((line) => log.debug(line));
  log.info(heap.line);
  let current: Config;
  let agent: Agent;
  let addr: { address: string; port: number };
  let consoles: Awaited<ReturnType<typeof startConsoleServices>>;
  /** SIGHUP and the console's `apply`: open associations keep running. Throws ConfigError. */
  const reload = async (): Promise<void> => {
    current = await tuned(loadConfig(path), log);
    agent.reload(current);
  };
  try {
    current = await tuned(loaded, log);
    agent = new Agent({ config: current, log });
    addr = await agent.start();
    consoles = await startConsoleServices({ agent, configPath: path, config: () => current, reload, log, listening: hostPort(addr.address, addr.port) });
  } catch (e) {
    unhold();
    heap.stop();
    throw e;
  }
  // systemd Type=notify: READY only once listening; WATCHDOG pings; nothing without NOTIFY_SOCKET.
  const onError = (m: string): void => log.warn(`sd_notify: ${m}`);
  void notify(['READY=1', `STATUS=listening on ${hostPort(addr.address, addr.port)}`], { onError });
  const stopWatchdog = startWatchdog({ onError });
  // WARM_UP_NOTE (src/agent/warm-up.ts): in the background, yielding to real work.
  const warm = current.options.warmUp
    ? new WarmUp({ base: current, log, busy: () => agent.associations.size > 0 || agent.forwarder.sending })
    : undefined;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      log.info(`${sig}: stopping`);
      stopWatchdog();
      const stopped = notify('STOPPING=1', { onError }); // never rejects; awaited so exit cannot drop it
      consoles.close().catch(() => undefined).then(() => warm?.stop()).then(() => agent.stop())
        .then(() => 0, (e) => { log.error(errorMessage(e)); return 1; })
        .then((code) => stopped.then(() => {
          heap.stop();
          resolve(code);
        }));
    };
    const hup = (): void => {
      reload().catch((e) => {
        const lines = e instanceof ConfigError ? e.problems : [errorMessage(e)];
        log.error(`reload refused, keeping the running configuration:\n${lines.join('\n')}`);
      });
    };
    const onSignal = (sig: NodeJS.Signals): void => (sig === 'SIGHUP' ? hup() : stop(sig));
    // The new handlers first: while a signal has a listener Node keeps its watcher, and
    // removing the last one would drop a signal received but not yet dispatched (a lost
    // SIGHUP, seen under load).
    for (const sig of SIGNALS) process.on(sig, onSignal);
    unhold();
    for (const sig of early.splice(0)) onSignal(sig);
  });
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
