/**
 * Verification Service Class (PS3.4 Annex A): C-ECHO SCP and SCU.
 */
import type { DimseChannel, DimseService, RequestContext } from '../dimse/channel';
import { CommandField } from '../dimse/command-fields';
import { EdgeError } from '../util/errors';
import { VERIFICATION_SOP_CLASS as VERIFICATION } from '../dicom/uids';

export const echoService: DimseService = {
  name: 'verification',
  handles: (cmd, ctx) => cmd.commandField === CommandField.C_ECHO_RQ && ctx.abstractSyntax === VERIFICATION,
  async handle({ channel, message }: RequestContext): Promise<void> {
    await channel.send(message.contextId, {
      commandField: CommandField.C_ECHO_RSP,
      messageIdBeingRespondedTo: message.command.messageId,
      affectedSopClassUid: VERIFICATION,
      status: 0x0000,
    });
  },
};

/** Sends C-ECHO-RQ; resolves with the response status (0x0000 = success). */
export async function echo(channel: DimseChannel): Promise<number> {
  const ctx = channel.findContext(VERIFICATION, 'scu');
  if (!ctx) throw new EdgeError('ECHO_NOT_ACCEPTED', 'the peer did not accept the Verification SOP class');
  const rsp = await channel.request(ctx.id, { commandField: CommandField.C_ECHO_RQ, affectedSopClassUid: VERIFICATION });
  return rsp.command.status ?? 0xffff;
}
