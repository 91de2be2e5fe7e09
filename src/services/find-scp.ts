/**
 * Query/Retrieve C-FIND SCP (PS3.4 C.4.1) for Patient Root, Study Root and Patient/Study
 * Only over the local index. One Pending response per match carrying the identifier in
 * the context's transfer syntax, then Success; C-CANCEL → Cancel (FE00) at the next
 * response; a refused identifier → its failure status with Error Comment (and Offending
 * Element when known). Nothing escapes: the association stays usable.
 */
import type { DimseService, RequestContext } from '../dimse/channel';
import type { CommandSet } from '../dimse/command';
import { CommandField } from '../dimse/command-fields';
import { encodeIdentifier, type Identifier } from '../dicom/identifier';
import type { QueryEngine } from '../store/query';
import { errorMessage } from '../util/errors';
import { failureFields, qrModelOf, readRequestIdentifier } from './qr-common';

/**
 * PS3.4 C.4.1.1.4: FF01 is for "one or more Optional Keys were not supported". Every key
 * is supported here (keys the index lacks are read from the stored file and matched
 * there), so matches always go as FF00.
 */
const PENDING = 0xff00;
const CANCEL = 0xfe00;

export function findScpService(engine: QueryEngine): DimseService {
  return {
    name: 'qr-find',
    handles: (cmd, ctx) => cmd.commandField === CommandField.C_FIND_RQ && ctx.weAreScp && qrModelOf(ctx.abstractSyntax, 'find') !== undefined,
    handle: (rc) => handleFind(engine, rc),
  };
}

async function handleFind(engine: QueryEngine, rc: RequestContext): Promise<void> {
  const model = qrModelOf(rc.context.abstractSyntax, 'find')!;
  return answerFind(rc, model, (identifier, signal) => engine.find(model, identifier, signal));
}

/**
 * One C-FIND request of any FIND SOP class (Q/R, Modality Worklist): every identifier
 * `produce` yields goes as a Pending response, then Success, Cancel or the failure status.
 */
export async function answerFind(
  { channel, message, context, signal, log }: RequestContext, label: string,
  produce: (identifier: Identifier, signal: AbortSignal) => AsyncIterable<Identifier>,
): Promise<void> {
  const model = label;
  const ts = context.transferSyntax;
  const respond = (fields: Partial<CommandSet>, dataset?: Buffer): Promise<void> => channel.send(message.contextId, {
    commandField: CommandField.C_FIND_RSP,
    messageIdBeingRespondedTo: message.command.messageId,
    affectedSopClassUid: message.command.affectedSopClassUid ?? context.abstractSyntax,
    ...fields,
  }, dataset);
  let matches = 0;
  let final: Partial<CommandSet> = { status: 0x0000 };
  try {
    const identifier = await readRequestIdentifier(message, ts);
    for await (const match of produce(identifier, signal)) {
      if (signal.aborted) break;
      await respond({ status: PENDING }, encodeIdentifier(match, ts));
      // Let the socket's reads run now and then, so that a C-CANCEL is seen promptly.
      if (++matches % 32 === 0) await new Promise((r) => setImmediate(r));
    }
    if (signal.aborted) final = { status: CANCEL };
  } catch (e) {
    if (!channel.assoc.established) return;
    final = failureFields(e);
    log.warn(`${channel.assoc.id} C-FIND from ${channel.assoc.callingAe}: status 0x${final.status!.toString(16)}: ${errorMessage(e)}`);
  }
  try {
    await respond(final);
    log.info(`${channel.assoc.id} C-FIND (${model}) from ${channel.assoc.callingAe}: ${matches} match(es), status 0x${final.status!.toString(16).padStart(4, '0')}`);
  } catch (e) {
    log.debug(`${channel.assoc.id} C-FIND final response not sent: ${errorMessage(e)}`);
  }
}
