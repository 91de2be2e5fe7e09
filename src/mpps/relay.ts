/**
 * Relaying MPPS messages to a `[RemoteAE] mpps = yes` as a job kind of the forwarder's
 * queue: one association per job, the destination's unconfirmed messages sent in order
 * (N-CREATE first), each confirmed one recorded so a retry resumes after it.
 */
import type { Config, RemoteAe } from '../config/types';
import type { DimseChannel } from '../dimse/channel';
import { CommandField } from '../dimse/command-fields';
import { decodeIdentifier, encodeIdentifier } from '../dicom/identifier';
import type { JobKind } from '../forward/worker';
import { openChannel } from '../services/scu';
import type { Logger } from '../util/log';
import { remoteKey } from '../worklist/config';
import type { MppsDb, MppsMessage } from './mpps-db';
import { MPPS_SOP_CLASS, relayVerdict } from './rules';

/** forward_jobs.route of MPPS relay jobs. */
export const MPPS_ROUTE = 'mpps';

type Delivery = Awaited<ReturnType<JobKind['deliver']>>;

export function mppsRelayKind(db: MppsDb, log: Logger): JobKind {
  return {
    route: MPPS_ROUTE,
    deliver: (job, remote, config) => deliver(db, log, job.sopUid, remote, config),
  };
}

async function deliver(db: MppsDb, log: Logger, uid: string, remote: RemoteAe, config: Config): Promise<Delivery> {
  const dest = remoteKey(remote);
  const msgs = db.undelivered(uid, dest);
  if (!msgs.length) return { verdict: 'delivered', status: 0 };
  const syntaxes = remote.transferSyntaxes.length ? remote.transferSyntaxes : config.transferSyntaxes;
  const channel = await openChannel({
    config, peer: { aeTitle: remote.aeTitle, host: remote.ip, port: remote.port, remote }, log,
    contexts: [{ abstractSyntax: MPPS_SOP_CLASS, transferSyntaxes: syntaxes, role: 'scu' }],
  });
  try {
    const ctx = channel.findContext(MPPS_SOP_CLASS, 'scu');
    if (!ctx) return { verdict: 'retry', status: null, error: `${dest} did not accept the MPPS SOP class` };
    for (const m of msgs) {
      const r = await sendMessage(channel, ctx.id, ctx.transferSyntax, uid, m);
      if (r.verdict !== 'delivered') return r;
      db.markDelivered(uid, dest, m.seq);
      log.info(`mpps relay ${dest}: N-${m.kind.toUpperCase()} ${uid} delivered (status 0x${(r.status ?? 0).toString(16).padStart(4, '0')})`);
    }
    return { verdict: 'delivered', status: 0 };
  } finally {
    if (channel.assoc.established) await channel.assoc.release().catch(() => channel.assoc.abort('release failed'));
  }
}

async function sendMessage(channel: DimseChannel, ctxId: number, ts: string, uid: string, m: MppsMessage): Promise<Delivery> {
  const data = m.ts === ts ? m.dataset : encodeIdentifier(decodeIdentifier(m.dataset, m.ts), ts);
  const command = m.kind === 'create'
    ? { commandField: CommandField.N_CREATE_RQ, affectedSopClassUid: MPPS_SOP_CLASS, affectedSopInstanceUid: uid }
    : { commandField: CommandField.N_SET_RQ, requestedSopClassUid: MPPS_SOP_CLASS, requestedSopInstanceUid: uid };
  const rsp = await channel.request(ctxId, command, data);
  const sink = rsp.dataset as unknown as { dispose?: () => Promise<void> } | undefined;
  await sink?.dispose?.().catch(() => undefined);
  const status = rsp.command.status ?? 0xffff;
  const verdict = relayVerdict(status, m.kind);
  if (verdict === 'delivered') return { verdict, status };
  const comment = rsp.command.errorComment ? `: ${rsp.command.errorComment}` : '';
  return { verdict, status, error: `N-${m.kind.toUpperCase()} status 0x${status.toString(16).padStart(4, '0')}${comment}` };
}

