/**
 * Query/Retrieve C-GET SCP (PS3.4 C.4.3): the C-STORE sub-operations go back on the
 * requester's association, on contexts where we took the SCU role through SCP/SCU Role
 * Selection (PS3.7 D.3.3.4; negotiation.ts grants it only for [Server] scu/scuscp classes).
 * An instance whose class the requester did not offer that way is a failed sub-operation
 * (counted, listed in the Failed SOP Instance UID List); the association is never aborted.
 */
import type { DimseService } from '../dimse/channel';
import { CommandField } from '../dimse/command-fields';
import type { QueryEngine } from '../store/query';
import { qrModelOf } from './qr-common';
import { handleRetrieve } from './qr-retrieve';

export function getScpService(engine: QueryEngine): DimseService {
  return {
    name: 'qr-get',
    handles: (cmd, ctx) => cmd.commandField === CommandField.C_GET_RQ && ctx.weAreScp && qrModelOf(ctx.abstractSyntax, 'get') !== undefined,
    handle: (rc) => handleRetrieve(engine, {
      op: 'get',
      open: async ({ channel }) => ({ channel, extra: {}, close: async () => undefined }),
    }, rc),
  };
}
