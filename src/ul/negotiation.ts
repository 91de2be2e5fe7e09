/**
 * Association negotiation as pure functions (dicom-rs association/server.rs habit):
 * an A-ASSOCIATE-RQ plus the configuration in, the reply PDU out. No I/O here.
 * PS3.8 9.3.2-9.3.4 (PDUs), PS3.7 Annex D.3.3 (user information items).
 */
import type { Config, ContextSpec } from '../config/types';
import { canonicalIp, sameIp } from '../util/address';
import {
  type AssociateAc, type AssociateRj, type AssociateRq, type PresentationContextAc, type RoleSelection,
  DICOM_APPLICATION_CONTEXT, PcResult, Reject, emptyUserInfo,
} from './pdu-types';

/** What one accepted presentation context allows on this association. */
export interface NegotiatedContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string;
  /** We may send requests (act as SCU) on this context. */
  weAreScu: boolean;
  /** We may answer requests (act as SCP) on this context. */
  weAreScp: boolean;
}

export type AcceptDecision =
  | { kind: 'accept'; ac: AssociateAc; contexts: NegotiatedContext[]; peerMaxPdu: number }
  | { kind: 'reject'; rj: AssociateRj; why: string };

export interface AcceptInput {
  rq: AssociateRq;
  peerAddress: string;
  config: Config;
  /** Called AE titles besides [Local AE] aeTitle that we answer to (print queues later). */
  extraLocalAeTitles?: string[];
  /** True when the association limit is reached: transient rejection. */
  overLimit?: boolean;
}

function reject(result: number, source: number, reason: number, why: string): AcceptDecision {
  return { kind: 'reject', rj: { type: 'A-ASSOCIATE-RJ', result, source, reason }, why };
}

/** IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are compared as IPv4. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/**
 * AE titles compare without padding; PS3.5 6.2: padding is spaces only (not tabs or CR),
 * AE is case-sensitive, control characters are not allowed.
 */
function sameAe(a: string, b: string): boolean {
  const unpad = (x: string): string => x.replace(/^ +| +$/g, '');
  return unpad(a) === unpad(b) && !/[\0-\x1f]/.test(a);
}

/** verifyRemoteAe / verifyIPAddr per the conformance statement ("accept" entries and [RemoteAE] sections). */
export function peerAllowed(config: Config, callingAe: string, peerAddress: string): boolean {
  const { verifyRemoteAe, verifyIPAddr } = config.options;
  if (!verifyRemoteAe && !verifyIPAddr) return true;
  const ip = canonicalIp(peerAddress);
  const entries = [
    ...config.server.accept.map((a) => ({ ae: a.aeTitle, ip: a.ip })),
    ...config.remotes.map((r) => ({ ae: r.aeTitle, ip: r.ip })),
  ];
  return entries.some((e) =>
    (!verifyRemoteAe || sameAe(e.ae, callingAe)) && (!verifyIPAddr || e.ip === '*' || sameIp(e.ip, ip)));
}

/** Checks of PS3.8 9.3.2 fields in the order the statement lists the verify* options. */
function checkHeader(input: AcceptInput): AcceptDecision | undefined {
  const { rq, config } = input;
  const o = config.options;
  // PS3.8 9.3.2, bytes 7-8: bit 0 set = protocol version 1.
  if (o.verifyProtocol && (rq.protocolVersion & 1) === 0) {
    return reject(Reject.permanent, Reject.sourceAcse, Reject.acseProtocolVersionNotSupported, `protocol version ${rq.protocolVersion} not supported`);
  }
  if (o.verifyAppContext && rq.applicationContext !== DICOM_APPLICATION_CONTEXT) {
    return reject(Reject.permanent, Reject.sourceUser, Reject.userAppContextNotSupported, `application context ${rq.applicationContext} not supported`);
  }
  const locals = [config.localAe.aeTitle, ...(input.extraLocalAeTitles ?? [])];
  if (o.verifyLocalAe && !locals.some((t) => sameAe(t, rq.calledAeTitle))) {
    return reject(Reject.permanent, Reject.sourceUser, Reject.userCalledAeNotRecognized, `called AE title "${rq.calledAeTitle}" is not ours`);
  }
  if (!peerAllowed(config, rq.callingAeTitle, input.peerAddress)) {
    return reject(Reject.permanent, Reject.sourceUser, Reject.userCallingAeNotRecognized, `calling AE "${rq.callingAeTitle}" from ${normalizeIp(input.peerAddress)} is not in the accept list`);
  }
  if (input.overLimit) {
    return reject(Reject.transient, Reject.sourcePresentation, Reject.presentationLocalLimitExceeded, 'maximum number of associations reached');
  }
  if (rq.presentationContexts.length === 0) {
    return reject(Reject.permanent, Reject.sourceUser, Reject.userNoReason, 'no presentation context proposed');
  }
  return undefined;
}

/** Transfer syntaxes a context spec allows: its own, else [Server] trSyn, else [Transfer Syntax]. */
function syntaxesFor(config: Config, specs: ContextSpec[]): string[] {
  const out: string[] = [];
  for (const s of specs) {
    const list = s.transferSyntaxes.length ? s.transferSyntaxes
      : config.server.transferSyntaxes.length ? config.server.transferSyntaxes : config.transferSyntaxes;
    for (const ts of list) if (!out.includes(ts)) out.push(ts);
  }
  return out;
}

/** trSynOrder: server = first of ours the client proposed; client = first of theirs we support. */
export function chooseTransferSyntax(ours: string[], theirs: string[], order: 'server' | 'client'): string | undefined {
  return order === 'server' ? ours.find((t) => theirs.includes(t)) : theirs.find((t) => ours.includes(t));
}

interface ContextOutcome { ac: PresentationContextAc; ctx?: NegotiatedContext; role?: RoleSelection }

/**
 * One presentation context. Without a role selection item the requestor is SCU and we are
 * SCP (PS3.7 D.3.3.4). With one, the requestor asking for the SCP role is the C-GET case:
 * we take the SCU role only where [Server] scu/scuscp allows it.
 */
function negotiateContext(config: Config, rqCtx: AssociateRq['presentationContexts'][number], roles: RoleSelection[]): ContextOutcome {
  const specs = config.server.contexts.filter((c) => c.sopClassUids.includes(rqCtx.abstractSyntax));
  const mayScp = specs.some((s) => s.role !== 'scu');
  const mayScu = specs.some((s) => s.role !== 'scp');
  const item = roles.find((r) => r.sopClassUid === rqCtx.abstractSyntax);
  const weScp = item ? item.scuRole && mayScp : mayScp;
  const weScu = item ? item.scpRole && mayScu : false;
  const rejected = (result: number): ContextOutcome => ({ ac: { id: rqCtx.id, result, transferSyntax: '' } });
  if (!weScp && !weScu) return rejected(specs.length ? PcResult.UserRejection : PcResult.AbstractSyntaxNotSupported);
  const ts = chooseTransferSyntax(syntaxesFor(config, specs), rqCtx.transferSyntaxes, config.server.trSynOrder);
  if (!ts) return rejected(PcResult.TransferSyntaxesNotSupported);
  const ctx: NegotiatedContext = { id: rqCtx.id, abstractSyntax: rqCtx.abstractSyntax, transferSyntax: ts, weAreScu: weScu, weAreScp: weScp };
  const role = item ? { sopClassUid: item.sopClassUid, scuRole: weScp, scpRole: weScu } : undefined;
  return { ac: { id: rqCtx.id, result: PcResult.Acceptance, transferSyntax: ts }, ctx, role };
}

/** The acceptor's decision for one A-ASSOCIATE-RQ: an AC (possibly with every context rejected) or an RJ. */
export function negotiateAssociation(input: AcceptInput): AcceptDecision {
  const refused = checkHeader(input);
  if (refused) return refused;
  const { rq, config } = input;
  const outcomes = rq.presentationContexts.map((c) => negotiateContext(config, c, rq.userInfo.roles));
  const roles: RoleSelection[] = [];
  for (const o of outcomes) if (o.role && !roles.some((r) => r.sopClassUid === o.role!.sopClassUid)) roles.push(o.role);
  const asyncOps = asyncWindow(rq.userInfo.asyncOps, config.network.maxAsyncOps);
  const userInfo = {
    ...emptyUserInfo(),
    maxLength: config.network.maxPdu,
    implementationClassUid: config.localAe.implementationClassUid,
    implementationVersionName: config.localAe.implementationVersionName,
    asyncOps,
    roles,
  };
  const ac: AssociateAc = {
    type: 'A-ASSOCIATE-AC', protocolVersion: 1, calledAeTitle: rq.calledAeTitle, callingAeTitle: rq.callingAeTitle,
    applicationContext: DICOM_APPLICATION_CONTEXT, presentationContexts: outcomes.map((o) => o.ac), userInfo,
  };
  const contexts = outcomes.flatMap((o) => (o.ctx ? [o.ctx] : []));
  return { kind: 'accept', ac, contexts, peerMaxPdu: rq.userInfo.maxLength };
}

/**
 * The A-ASSOCIATE-AC's Asynchronous Operations Window (PS3.7 D.3.3.3), only when the RQ
 * proposed one. Fields keep the requestor's point of view, each lowered to what we allow:
 * invoked = the requestor's outstanding requests we perform (at most `ourLimit`; its 0 =
 * unlimited becomes our limit), performed = our requests it performs at once: 1, we never
 * invoke more than one at a time as acceptor (C-GET sub-operations go one by one).
 */
export function asyncWindow(proposed: { invoked: number; performed: number } | undefined, ourLimit: number): { invoked: number; performed: number } | undefined {
  if (!proposed) return undefined;
  const invoked = proposed.invoked === 0 ? ourLimit : Math.min(proposed.invoked, ourLimit);
  return { invoked: Math.max(1, invoked), performed: 1 };
}
