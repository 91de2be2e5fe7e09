/**
 * Modality Worklist Information Model - FIND SCP (PS3.4 K.4.1.2, SOP class
 * 1.2.840.10008.5.1.4.31): the modality's C-FIND is answered by the WorklistProvider (local
 * items, the RIS, or the cache when the RIS is down) with the C-FIND responder the Q/R
 * SCP uses: one Pending per item, C-CANCEL → FE00, a malformed identifier → A900/C000
 * with an Error Comment.
 */
import type { DimseService } from '../dimse/channel';
import { CommandField } from '../dimse/command-fields';
import { MODALITY_WORKLIST_FIND } from '../dicom/uids';
import { answerFind } from '../services/find-scp';
import type { WorklistProvider } from './provider';

export function worklistScpService(provider: WorklistProvider): DimseService {
  return {
    name: 'worklist-find',
    handles: (cmd, ctx) => cmd.commandField === CommandField.C_FIND_RQ && ctx.weAreScp && ctx.abstractSyntax === MODALITY_WORKLIST_FIND,
    handle: (rc) => answerFind(rc, 'worklist', (identifier, signal) => provider.answers(identifier, signal)),
  };
}
