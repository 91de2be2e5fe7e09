/**
 * The requestor's side of negotiation, pure: build an A-ASSOCIATE-RQ from what we want
 * to do, and read the A-ASSOCIATE-AC back into negotiated contexts.
 */
import type { Config, RemoteAe, Role } from '../config/types';
import { type AssociateAc, type AssociateRq, type RoleSelection, DICOM_APPLICATION_CONTEXT, PcResult, emptyUserInfo } from './pdu-types';
import type { NegotiatedContext } from './negotiation';

/** One context we propose. role: scu = we send requests (default), scp = we serve them (C-GET's C-STOREs). */
export interface ProposedContext {
  abstractSyntax: string;
  transferSyntaxes: string[];
  role: Role;
}

export interface ProposalInput {
  callingAeTitle: string;
  calledAeTitle: string;
  maxPdu: number;
  implementationClassUid: string;
  implementationVersionName: string;
  contexts: ProposedContext[];
  /**
   * Requests we would keep outstanding (Asynchronous Operations Window, PS3.7 D.3.3.3);
   * above 1 the RQ proposes it (we perform one at a time), else no item is sent: some
   * peers mishandle the item, so it is only sent when asked for.
   */
  asyncOps?: number;
}

/** PS3.8 9.3.2: context IDs are odd integers 1-255, so at most 128 contexts. */
export function buildAssociateRq(p: ProposalInput): AssociateRq {
  if (p.contexts.length === 0) throw new Error('no presentation context to propose');
  if (p.contexts.length > 128) throw new Error(`too many presentation contexts (${p.contexts.length} > 128)`);
  const roles: RoleSelection[] = [];
  for (const c of p.contexts) {
    if (c.role === 'scu' || roles.some((r) => r.sopClassUid === c.abstractSyntax)) continue;
    roles.push({ sopClassUid: c.abstractSyntax, scuRole: c.role === 'scuscp', scpRole: true });
  }
  return {
    type: 'A-ASSOCIATE-RQ', protocolVersion: 1, calledAeTitle: p.calledAeTitle, callingAeTitle: p.callingAeTitle,
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts: p.contexts.map((c, i) => ({ id: 2 * i + 1, abstractSyntax: c.abstractSyntax, transferSyntaxes: c.transferSyntaxes })),
    userInfo: {
      ...emptyUserInfo(), maxLength: p.maxPdu, implementationClassUid: p.implementationClassUid, implementationVersionName: p.implementationVersionName, roles,
      asyncOps: p.asyncOps && p.asyncOps > 1 ? { invoked: p.asyncOps, performed: 1 } : undefined,
    },
  };
}

/**
 * The accepted contexts of an AC. Without a role selection answer the roles default to
 * requestor = SCU (PS3.7 D.3.3.4). Unknown context IDs in the AC are ignored.
 */
export function acceptedContexts(rq: AssociateRq, ac: AssociateAc, proposed: ProposedContext[]): NegotiatedContext[] {
  const out: NegotiatedContext[] = [];
  for (const a of ac.presentationContexts) {
    if (a.result !== PcResult.Acceptance) continue;
    const idx = rq.presentationContexts.findIndex((c) => c.id === a.id);
    if (idx < 0) continue;
    const p = proposed[idx];
    const answer = ac.userInfo.roles.find((r) => r.sopClassUid === p.abstractSyntax);
    const weScu = p.role !== 'scp' && (answer ? answer.scuRole : true);
    const weScp = p.role !== 'scu' && (answer ? answer.scpRole : false);
    out.push({ id: a.id, abstractSyntax: p.abstractSyntax, transferSyntax: a.transferSyntax, weAreScu: weScu, weAreScp: weScp });
  }
  return out;
}

/** Contexts for a configured remote: its scu/scp/scuscp lines and trSyn, else the defaults. */
export function contextsForRemote(config: Config, remote: RemoteAe, wanted?: string[]): ProposedContext[] {
  const out: ProposedContext[] = [];
  for (const spec of remote.contexts) {
    const ts = spec.transferSyntaxes.length ? spec.transferSyntaxes
      : remote.transferSyntaxes.length ? remote.transferSyntaxes : config.transferSyntaxes;
    for (const uid of spec.sopClassUids) {
      if (wanted && !wanted.includes(uid)) continue;
      out.push({ abstractSyntax: uid, transferSyntaxes: ts, role: spec.role });
    }
  }
  return out;
}
