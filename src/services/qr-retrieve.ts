/**
 * The retrieve flow shared by the C-MOVE and C-GET SCPs (PS3.4 C.4.2.3, C.4.3.3): decode
 * the identifier, resolve the instances, run one C-STORE sub-operation per instance over
 * the target channel (a new association for C-MOVE, the requester's for C-GET), send a
 * Pending response with the counts after each, and end with the final status and the
 * Failed SOP Instance UID List. C-CANCEL stops before the next sub-operation (FE00).
 */
import { access, constants } from 'node:fs/promises';
import type { DimseChannel, RequestContext } from '../dimse/channel';
import type { CommandSet } from '../dimse/command';
import { CommandField } from '../dimse/command-fields';
import type { QueryEngine } from '../store/query';
import { errorMessage } from '../util/errors';
import { failureFields, qrModelOf, readRequestIdentifier, SubOperations, toSendable, type QrOperation } from './qr-common';
import { sendInstance, type SendableInstance, type SendResult } from './store-scu';

const PENDING = 0xff00;
const CANCEL = 0xfe00;

/** Where the sub-operations go. */
export interface RetrieveTarget {
  channel: DimseChannel;
  /** Extra C-STORE-RQ fields (Move Originator AE Title / Message ID for C-MOVE). */
  extra: Partial<CommandSet>;
  close(): Promise<void>;
}

export interface RetrieveSpec {
  op: Extract<QrOperation, 'move' | 'get'>;
  /** A refusal before anything is resolved (C-MOVE: unknown destination → A801). */
  refuse?(rc: RequestContext): Partial<CommandSet> | undefined;
  /** Opens the target; a rejection fails every sub-operation. */
  open(rc: RequestContext, instances: SendableInstance[]): Promise<RetrieveTarget>;
}

function responder(rc: RequestContext, op: RetrieveSpec['op']) {
  const { channel, message, context } = rc;
  return (fields: Partial<CommandSet>, dataset?: Buffer): Promise<void> => channel.send(message.contextId, {
    commandField: op === 'move' ? CommandField.C_MOVE_RSP : CommandField.C_GET_RSP,
    messageIdBeingRespondedTo: message.command.messageId,
    affectedSopClassUid: message.command.affectedSopClassUid ?? context.abstractSyntax,
    ...fields,
  }, dataset);
}

/** One C-STORE sub-operation that never throws: a missing file or a lost association is a failure. */
async function subOperation(target: RetrieveTarget, inst: SendableInstance): Promise<SendResult> {
  try {
    await access(inst.path, constants.R_OK);
    return await sendInstance(target.channel, inst, target.extra);
  } catch (e) {
    return { instance: inst, status: 0xa702, outcome: 'failure', error: errorMessage(e) };
  }
}

export async function handleRetrieve(engine: QueryEngine, spec: RetrieveSpec, rc: RequestContext): Promise<void> {
  const { channel, context, signal, log } = rc;
  const respond = responder(rc, spec.op);
  const model = qrModelOf(context.abstractSyntax, spec.op)!;
  const label = `${channel.assoc.id} C-${spec.op.toUpperCase()} (${model}) from ${channel.assoc.callingAe}`;
  let instances: SendableInstance[];
  try {
    const refusal = spec.refuse?.(rc);
    if (refusal) {
      log.warn(`${label}: refused: ${refusal.errorComment ?? ''} (0x${refusal.status?.toString(16)})`);
      return await respond({ ...refusal, ...new SubOperations(0).fields(refusal.status ?? 0) });
    }
    const identifier = await readRequestIdentifier(rc.message, context.transferSyntax);
    instances = (await engine.resolveRetrieve(model, identifier)).instances.map(toSendable);
  } catch (e) {
    const f = failureFields(e);
    log.warn(`${label}: status 0x${f.status!.toString(16)}: ${errorMessage(e)}`);
    return respond(f).catch(() => undefined);
  }
  const counts = new SubOperations(instances.length);
  const lastError = await runSubOperations(spec, rc, instances, counts, respond);
  const cancelled = signal.aborted && counts.remaining > 0;
  const status = cancelled ? CANCEL : counts.finalStatus();
  const failure = status === 0xa702;
  try {
    await respond({ status, ...counts.fields(status), errorComment: failure ? lastError?.slice(0, 64) : undefined }, counts.failedIdentifier(context.transferSyntax));
  } catch (e) {
    log.debug(`${label}: final response not sent: ${errorMessage(e)}`);
  }
  log.info(`${label}: ${counts.completed} completed, ${counts.warning} warning, ${counts.failed} failed${cancelled ? `, cancelled with ${counts.remaining} remaining` : ''}; status 0x${status.toString(16).padStart(4, '0')}`);
}

/** Runs the sub-operations; returns the last failure's reason (for the Error Comment). */
async function runSubOperations(
  spec: RetrieveSpec, rc: RequestContext, instances: SendableInstance[], counts: SubOperations,
  respond: (f: Partial<CommandSet>) => Promise<void>,
): Promise<string | undefined> {
  if (instances.length === 0) return undefined;
  let target: RetrieveTarget;
  try {
    target = await spec.open(rc, instances);
  } catch (e) {
    counts.failRest(instances.map((i) => i.sopInstanceUid));
    return `cannot reach the destination: ${errorMessage(e)}`.replace(/[\\\x00-\x1f]/g, ' ');
  }
  let lastError: string | undefined;
  try {
    for (const [n, inst] of instances.entries()) {
      if (rc.signal.aborted) break;
      if (!target.channel.assoc.established) {
        counts.failRest(instances.slice(n).map((i) => i.sopInstanceUid));
        lastError = 'the association for the sub-operations was lost';
        break;
      }
      const r = await subOperation(target, inst);
      counts.record(r, inst.sopInstanceUid);
      if (r.outcome === 'failure') {
        lastError = r.error ?? `C-STORE status 0x${r.status.toString(16)}`;
        rc.log.warn(`${rc.channel.assoc.id} sub-operation ${inst.sopInstanceUid}: ${lastError}`);
      }
      // A requester that went away aborts rc.signal: the loop ends at the next instance.
      if (counts.remaining > 0 && !rc.signal.aborted) await respond({ status: PENDING, ...counts.fields(PENDING) }).catch(() => undefined);
    }
  } finally {
    await target.close().catch(() => undefined);
  }
  return lastError?.replace(/[\\\x00-\x1f]/g, ' ');
}
