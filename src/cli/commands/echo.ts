/** `dicom-edge echo [-aet ME] [-aec THEM] HOST PORT` or `dicom-edge echo NAME`: C-ECHO, exit 0 only on success. */
import { COMMON_FLAGS, bool, int, parseArgs, str } from '../args';
import { cliLogger, loadCliConfig } from '../context';
import { openChannel, resolvePeer } from '../../services/scu';
import { echo } from '../../services/echo';
import { VERIFICATION_SOP_CLASS } from '../../dicom/uids';
import { hostPort } from '../../util/address';

export const usage = 'echo [-aet AE] [-aec AE] [--config FILE] [-r N] (HOST PORT | REMOTE)';

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, [...COMMON_FLAGS, { names: ['-r', '--repeat'], value: true, key: 'repeat' }]);
  const config = loadCliConfig(str(a, 'config'));
  const log = cliLogger({ debug: bool(a, 'debug'), verbose: bool(a, 'verbose'), quiet: bool(a, 'quiet') });
  const peer = resolvePeer(config, a.positionals, str(a, 'aec'));
  const timeout = int(a, 'timeout', config.network.readTimeout);
  const channel = await openChannel({
    config: { ...config, network: { ...config.network, readTimeout: timeout } }, peer, callingAe: str(a, 'aet'), log,
    contexts: [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: peer.remote?.transferSyntaxes.length ? peer.remote.transferSyntaxes : config.transferSyntaxes, role: 'scu' }],
  });
  let failures = 0;
  try {
    for (let i = 0; i < int(a, 'repeat', 1); i++) {
      const status = await echo(channel);
      if (status !== 0) failures++;
      if (!bool(a, 'quiet')) process.stdout.write(`C-ECHO ${peer.aeTitle}@${hostPort(peer.host, peer.port)}: status 0x${status.toString(16).padStart(4, '0')}${status === 0 ? ' (Success)' : ''}\n`);
    }
  } finally {
    await channel.assoc.release();
  }
  return failures === 0 ? 0 : 1;
}
