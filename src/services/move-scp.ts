/**
 * Query/Retrieve C-MOVE SCP (PS3.4 C.4.2): the Move Destination must be a configured
 * [RemoteAE] (by AE title; unknown → A801). The instances go over a new association to it,
 * proposing each instance's class in its own syntax plus the remote's syntaxes, with the
 * Move Originator AE Title / Message ID in every C-STORE-RQ (PS3.7 9.3.1.1).
 */
import type { Config, RemoteAe } from '../config/types';
import type { DimseService, RequestContext } from '../dimse/channel';
import { CommandField } from '../dimse/command-fields';
import type { QueryEngine } from '../store/query';
import { qrModelOf } from './qr-common';
import { handleRetrieve, type RetrieveTarget } from './qr-retrieve';
import { openChannel } from './scu';
import { storageContexts, type SendableInstance } from './store-scu';

export interface MoveScpOptions {
  engine: QueryEngine;
  /** The current configuration (reload replaces it). */
  config: () => Config;
}

/** The [RemoteAE] a C-MOVE destination names (AE titles compare without padding). */
export function moveDestination(config: Config, aeTitle: string | undefined): RemoteAe | undefined {
  const ae = (aeTitle ?? '').trim();
  return ae ? config.remotes.find((r) => r.aeTitle.trim() === ae) : undefined;
}

/** Syntaxes to offer the destination for a class: its scu/scuscp line, its trSyn, else [Transfer Syntax]. */
export function syntaxesForRemote(config: Config, remote: RemoteAe, sopClassUid: string): string[] {
  const spec = remote.contexts.find((c) => c.sopClassUids.includes(sopClassUid) && c.role !== 'scp');
  if (spec?.transferSyntaxes.length) return spec.transferSyntaxes;
  return remote.transferSyntaxes.length ? remote.transferSyntaxes : config.transferSyntaxes;
}

export function moveScpService(o: MoveScpOptions): DimseService {
  return {
    name: 'qr-move',
    handles: (cmd, ctx) => cmd.commandField === CommandField.C_MOVE_RQ && ctx.weAreScp && qrModelOf(ctx.abstractSyntax, 'move') !== undefined,
    handle: (rc) => handleRetrieve(o.engine, {
      op: 'move',
      refuse: ({ message }) => (moveDestination(o.config(), message.command.moveDestination) ? undefined
        : { status: 0xa801, errorComment: `move destination ${(message.command.moveDestination ?? '').trim().slice(0, 24) || '(none)'} unknown` }),
      open: (rc2, instances) => openDestination(o.config(), rc2, instances),
    }, rc),
  };
}

async function openDestination(config: Config, rc: RequestContext, instances: SendableInstance[]): Promise<RetrieveTarget> {
  const remote = moveDestination(config, rc.message.command.moveDestination)!;
  const channel = await openChannel({
    config, log: rc.log,
    peer: { aeTitle: remote.aeTitle, host: remote.ip, port: remote.port, remote },
    callingAe: config.localAe.aeTitle,
    contexts: storageContexts(instances, (cls) => syntaxesForRemote(config, remote, cls)),
  });
  return {
    channel,
    // PS3.7 9.3.1.1: the AE and message that asked for the move.
    extra: { moveOriginatorAeTitle: rc.channel.assoc.callingAe.trim(), moveOriginatorMessageId: rc.message.command.messageId },
    close: async () => {
      if (channel.assoc.established) await channel.assoc.release();
    },
  };
}
