/**
 * `dicom-edge store [-aet ME] [-aec THEM] HOST PORT FILE|DIR...` or `store NAME FILE|DIR...`:
 * one association, a context per SOP class found, files streamed from disk, converted only
 * when needed. Exit 0 only when every instance was stored (warnings count as stored).
 */
import { openChannel, resolvePeer } from '../../services/scu';
import { scanInputs, sendInstance, storageContexts, type SendResult } from '../../services/store-scu';
import { describeStatus } from '../../dicom/status';
import { COMMON_FLAGS, bool, int, parseArgs, str } from '../args';
import { cliLogger, loadCliConfig } from '../context';
import { Progress } from '../progress';
import { EdgeError, errorMessage } from '../../util/errors';
import { transferSyntaxUid } from '../../dicom/transfer-syntaxes';
import { hostPort } from '../../util/address';
import { remoteAsyncOps } from '../../forward/config';

export const usage = 'store [-aet AE] [-aec AE] [--config FILE] [-x implicitLittle|explicitLittle|explicitBig] [--async N] (HOST PORT | REMOTE) FILE|DIR...';

/** Most requests kept outstanding with `--async` (the window proposed; the peer may grant fewer). */
const MAX_ASYNC = 64;

/** Splits positionals into the peer (NAME, or HOST PORT) and the inputs. */
function splitPeer(pos: string[], config: ReturnType<typeof loadCliConfig>): { peerArgs: string[]; inputs: string[] } {
  const isPort = (s: string | undefined): boolean => s !== undefined && /^\d+$/.test(s);
  if (pos.length >= 2 && isPort(pos[1]) && !config.remotes.some((r) => r.userName === pos[0] || r.aeTitle === pos[0])) return { peerArgs: pos.slice(0, 2), inputs: pos.slice(2) };
  return { peerArgs: pos.slice(0, 1), inputs: pos.slice(1) };
}

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, [...COMMON_FLAGS, { names: ['-x', '--propose'], value: true, multi: true, key: 'ts' }, { names: ['--async'], value: true, key: 'async' }]);
  const config = loadCliConfig(str(a, 'config'));
  const log = cliLogger({ debug: bool(a, 'debug'), verbose: bool(a, 'verbose'), quiet: bool(a, 'quiet') });
  const { peerArgs, inputs } = splitPeer(a.positionals, config);
  if (inputs.length === 0) throw new EdgeError('CLI_NO_INPUT', 'no files or directories to send');
  const peer = resolvePeer(config, peerArgs, str(a, 'aec'));
  // --async N, else a configured remote's [RemoteAE] asyncOps, else synchronous.
  const asked = int(a, 'async', remoteAsyncOps(peer.remote));
  if (asked < 1 || asked > MAX_ASYNC) throw new EdgeError('CLI_BAD_ARG', `--async takes 1 to ${MAX_ASYNC} outstanding requests, not ${asked}`);
  const { instances, skipped } = await scanInputs(inputs);
  for (const s of skipped) process.stderr.write(`skipped ${s.path}: ${s.error}\n`);
  if (instances.length === 0) throw new EdgeError('CLI_NO_DICOM', 'no DICOM Part 10 files found');
  const forced = ((a.flags.ts as string[] | undefined) ?? []).map((t) => transferSyntaxUid(t) ?? t);
  const remote = peer.remote;
  const allowed = (cls: string): string[] => {
    if (forced.length) return forced;
    const spec = remote?.contexts.find((c) => c.sopClassUids.includes(cls) && c.role !== 'scp');
    if (spec?.transferSyntaxes.length) return spec.transferSyntaxes;
    return remote?.transferSyntaxes.length ? remote.transferSyntaxes : config.transferSyntaxes;
  };
  const contexts = forced.length ? storageContexts(instances, allowed).filter((c) => c.transferSyntaxes.every((t) => forced.includes(t))) : storageContexts(instances, allowed);
  const channel = await openChannel({ config, peer, callingAe: str(a, 'aet'), log, contexts, asyncOps: asked });
  // The window the peer granted (PS3.7 D.3.3.3): without the item, 1; 0 = unlimited (ours then).
  const granted = channel.assoc.requestorOpsWindow;
  const window = channel.assoc.ourOpsWindow(asked);
  if (asked > 1) log.info(`asynchronous operations: ${window} outstanding request(s) (asked ${asked}, granted ${granted === 0 ? 'unlimited' : granted})`);
  const progress = new Progress(instances.length, 'store');
  const results: SendResult[] = [];
  let bytes = 0;
  let lost = false;
  const sendOne = async (inst: (typeof instances)[number]): Promise<void> => {
    let r: SendResult;
    try {
      r = await sendInstance(channel, inst);
    } catch (e) {
      r = { instance: inst, status: 0xffff, outcome: 'failure', error: errorMessage(e) };
      if (!channel.assoc.established) lost = true;
    }
    results.push(r);
    bytes += inst.size;
    if (r.outcome === 'failure' && !bool(a, 'quiet')) process.stderr.write(`\n${inst.path}: ${describeStatus(r.status, 'storage')}${r.error ? ` (${r.error})` : ''}\n`);
    if (bool(a, 'verbose')) process.stdout.write(`${inst.path}: ${describeStatus(r.status, 'storage')}\n`);
    progress.update(results.length, bytes, results.filter((x) => x.outcome === 'failure').length);
  };
  try {
    // Up to `window` requests on the wire; their responses may come in any order.
    const inFlight = new Set<Promise<void>>();
    for (const inst of instances) {
      if (lost) break;
      const p: Promise<void> = sendOne(inst).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= window) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    progress.done();
    if (channel.assoc.established) await channel.assoc.release();
  }
  const ok = results.filter((r) => r.outcome !== 'failure').length;
  const failed = instances.length - ok;
  if (!bool(a, 'quiet')) process.stdout.write(`stored ${ok}/${instances.length} instance(s) to ${peer.aeTitle}@${hostPort(peer.host, peer.port)}${failed ? `, ${failed} failed` : ''}${skipped.length ? `, ${skipped.length} file(s) skipped` : ''}\n`);
  return failed === 0 && skipped.length === 0 ? 0 : 1;
}
