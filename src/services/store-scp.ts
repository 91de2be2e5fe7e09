/**
 * Storage Service Class, SCP role (PS3.4 Annex B): each data set streams straight into
 * the store's temp file (never whole in memory); the C-STORE-RSP is sent only after the
 * file is fsynced, renamed into place and indexed. Failures answer with the store's
 * status (A700 out of resources, A900 mismatch, C000 cannot understand, 0117, 0111) and
 * the association stays usable.
 */
import type { DimseService, RequestContext } from '../dimse/channel';
import { CommandField } from '../dimse/command-fields';
import type { IncomingInstance } from '../store/incoming-instance';
import { type InstanceStore, type StoreResult, StoreError, STORE_STATUS } from '../store/instance-store';
import { errorMessage } from '../util/errors';

export interface StoreEvents {
  /** After a successful commit (the forwarder and metrics listen here). */
  stored?(result: StoreResult, callingAe: string): void;
}

export function storageScpService(store: InstanceStore, events: StoreEvents = {}): DimseService {
  return {
    name: 'storage',
    handles: (cmd, ctx) => cmd.commandField === CommandField.C_STORE_RQ && ctx.weAreScp,
    openSink: (cmd, ctx, channel) => store.begin({
      sopClassUid: cmd.affectedSopClassUid ?? '',
      sopInstanceUid: cmd.affectedSopInstanceUid ?? '',
      transferSyntaxUid: ctx.transferSyntax,
      callingAe: channel.assoc.callingAe || (channel.assoc.ac?.calledAeTitle ?? ''),
      calledAe: channel.assoc.calledAe,
    }),
    handle: (rc) => handleStore(rc, events),
  };
}

async function handleStore({ channel, message, log }: RequestContext, events: StoreEvents): Promise<void> {
  const cmd = message.command;
  const inst = message.dataset as IncomingInstance<StoreResult> | undefined;
  let status: number = STORE_STATUS.success;
  let errorComment: string | undefined;
  try {
    if (!inst) throw new StoreError('STORE_NO_DATASET', STORE_STATUS.cannotUnderstand, 'C-STORE-RQ without a data set');
    if (message.datasetError) throw message.datasetError;
    const result = await inst.commit();
    events.stored?.(result, channel.assoc.callingAe);
  } catch (e) {
    status = e instanceof StoreError ? e.status : STORE_STATUS.outOfResources;
    // The status already says what kind of failure: the comment gives the detail (64 characters).
    errorComment = e instanceof StoreError ? e.message : errorMessage(e);
    log.warn(`${channel.assoc.id} C-STORE ${cmd.affectedSopInstanceUid} from ${channel.assoc.callingAe}: status 0x${status.toString(16)}: ${errorMessage(e)}`);
    await inst?.discard().catch(() => undefined);
  }
  await channel.send(message.contextId, {
    commandField: CommandField.C_STORE_RSP,
    messageIdBeingRespondedTo: cmd.messageId,
    affectedSopClassUid: cmd.affectedSopClassUid,
    // An Invalid SOP Instance (0117) UID may not even be encodable as UI: leave it out then.
    affectedSopInstanceUid: cmd.affectedSopInstanceUid && /^[0-9.]{1,64}$/.test(cmd.affectedSopInstanceUid) ? cmd.affectedSopInstanceUid : undefined,
    status,
    // PS3.7 C.4.2: Error Comment is allowed with failure statuses only.
    errorComment: status === 0 ? undefined : errorComment,
  });
}
