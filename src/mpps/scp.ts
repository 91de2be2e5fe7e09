/**
 * MPPS SCP service (PS3.4 F.7.2.1 N-CREATE, F.7.2.2 N-SET; PS3.7 10.1.5 / 10.1.3 response
 * fields): the SCU gives the instance UID (Affected SOP Instance UID of the N-CREATE, else
 * we assign one and return it), the data set is stored as received, and the response carries
 * the status with an Error Comment when refused. Nothing escapes: failures are 0110.
 */
import type { DimseMessage, DimseService, RequestContext } from '../dimse/channel';
import { errorCommentText, type CommandSet } from '../dimse/command';
import { CommandField } from '../dimse/command-fields';
import { errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import { newUid } from '../dicom/uids';
import type { Mpps } from './index';
import { MPPS_SOP_CLASS, MPPS_STATUS, type Refusal } from './rules';

export function mppsScpService(mpps: Mpps, log: Logger): DimseService {
  return {
    name: 'mpps',
    handles: (cmd, ctx) => ctx.weAreScp && ctx.abstractSyntax === MPPS_SOP_CLASS
      && (cmd.commandField === CommandField.N_CREATE_RQ || cmd.commandField === CommandField.N_SET_RQ),
    handle: (rc) => handle(mpps, rc, log),
  };
}

async function readDataset(m: DimseMessage): Promise<Buffer | undefined> {
  if (m.datasetError) throw m.datasetError;
  const sink = m.dataset as unknown as { readAll?: () => Promise<Buffer> } | undefined;
  return sink?.readAll ? sink.readAll() : undefined;
}

async function handle(mpps: Mpps, { channel, message, context }: RequestContext, log: Logger): Promise<void> {
  const cmd = message.command;
  const create = cmd.commandField === CommandField.N_CREATE_RQ;
  const uid = (create ? cmd.affectedSopInstanceUid : cmd.requestedSopInstanceUid)?.trim() || (create ? newUid() : '');
  const caller = channel.assoc.callingAe;
  let refused: Refusal | undefined;
  try {
    const dataset = await readDataset(message);
    if (!uid) refused = { status: MPPS_STATUS.noSuchInstance, comment: 'no Requested SOP Instance UID' };
    else if (!dataset) refused = { status: MPPS_STATUS.processingFailure, comment: 'request has no data set' };
    else {
      const r = { sopUid: uid, callingAe: caller, dataset, ts: context.transferSyntax };
      refused = create ? mpps.create(r) : mpps.set(r);
    }
  } catch (e) {
    refused = { status: MPPS_STATUS.processingFailure, comment: errorMessage(e) };
  }
  const what = create ? 'N-CREATE' : 'N-SET';
  const fields: Partial<CommandSet> = refused
    ? { status: refused.status, errorComment: errorCommentText(refused.comment) }
    : { status: 0 };
  if (refused) log.warn(`${channel.assoc.id} MPPS ${what} ${uid} from ${caller}: status 0x${refused.status.toString(16).padStart(4, '0')}: ${refused.comment}`);
  else log.info(`${channel.assoc.id} MPPS ${what} ${uid} from ${caller}: stored`);
  try {
    await channel.send(message.contextId, {
      commandField: create ? CommandField.N_CREATE_RSP : CommandField.N_SET_RSP,
      messageIdBeingRespondedTo: cmd.messageId,
      affectedSopClassUid: MPPS_SOP_CLASS,
      affectedSopInstanceUid: uid || undefined,
      ...fields,
    });
  } catch (e) {
    log.debug(`${channel.assoc.id} MPPS ${what} response not sent: ${errorMessage(e)}`);
  }
}
