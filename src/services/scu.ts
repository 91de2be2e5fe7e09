/**
 * Opening an association as SCU toward a peer named on the command line (-aec HOST PORT)
 * or a configured [RemoteAE] (by userName or aetitle), with a DIMSE channel on it.
 */
import { tmpdir } from 'node:os';
import type { Config, RemoteAe } from '../config/types';
import { DimseChannel, type DimseService } from '../dimse/channel';
import { EdgeError } from '../util/errors';
import type { Logger } from '../util/log';
import { requestAssociation } from '../ul/client';
import type { ProposedContext } from '../ul/proposal';
import { clientTlsOptions, remoteUsesTls, tlsSettings } from '../ul/tls';

/** `tls`: DICOM over TLS with the [TLS] identity; default: the remote's `tls = yes`. */
export interface Peer { aeTitle: string; host: string; port: number; remote?: RemoteAe; tls?: boolean }

/** Finds a [RemoteAE] by userName (case-insensitive) or AE title. */
export function findRemote(config: Config, name: string): RemoteAe | undefined {
  const n = name.trim();
  return config.remotes.find((r) => r.userName?.trim().toLowerCase() === n.toLowerCase())
    ?? config.remotes.find((r) => r.aeTitle === n);
}

/** `NAME` (a configured remote) or `HOST PORT` with -aec; -aec defaults to ANY-SCP like DCMTK. */
export function resolvePeer(config: Config, positionals: string[], aec?: string): Peer {
  if (positionals.length === 1) {
    const r = findRemote(config, positionals[0]);
    if (!r) throw new EdgeError('CLI_UNKNOWN_REMOTE', `no [RemoteAE] named "${positionals[0]}" (known: ${config.remotes.map((x) => x.userName ?? x.aeTitle).join(', ') || 'none'})`);
    return { aeTitle: aec ?? r.aeTitle, host: r.ip, port: r.port, remote: r };
  }
  if (positionals.length === 2) {
    const port = Number(positionals[1]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new EdgeError('CLI_BAD_PORT', `bad port "${positionals[1]}"`);
    return { aeTitle: aec ?? 'ANY-SCP', host: positionals[0], port };
  }
  throw new EdgeError('CLI_PEER', 'expected a configured remote NAME, or HOST PORT');
}

export interface OpenOptions {
  config: Config;
  peer: Peer;
  callingAe?: string;
  contexts: ProposedContext[];
  log: Logger;
  services?: DimseService[];
  /** Propose an Asynchronous Operations Window of this many outstanding requests (> 1). */
  asyncOps?: number;
}

/** TLS options for a peer that wants TLS (PS3.15 B.13), from [TLS]; undefined for plain TCP. */
function peerTls(config: Config, peer: Peer): ReturnType<typeof clientTlsOptions> | undefined {
  if (!(peer.tls ?? remoteUsesTls(peer.remote))) return undefined;
  const s = tlsSettings(config);
  if (!s) throw new EdgeError('TLS_CONFIG', `${peer.remote ? `[RemoteAE] ${peer.remote.aeTitle}` : 'the peer'} wants TLS but there is no [TLS] section (certificate, key, ca)`);
  return clientTlsOptions(s, peer.host);
}

export async function openChannel(o: OpenOptions): Promise<DimseChannel> {
  const c = o.config;
  const assoc = await requestAssociation({
    tls: peerTls(c, o.peer),
    host: o.peer.host, port: o.peer.port, log: o.log, readTimeout: c.network.readTimeout,
    socketSndBuf: c.network.socketSndBuf, socketRcvBuf: c.network.socketRcvBuf,
    proposal: {
      callingAeTitle: o.callingAe ?? c.localAe.aeTitle, calledAeTitle: o.peer.aeTitle, maxPdu: c.network.maxPdu,
      implementationClassUid: c.localAe.implementationClassUid, implementationVersionName: c.localAe.implementationVersionName,
      contexts: o.contexts, asyncOps: o.asyncOps,
    },
  });
  return new DimseChannel({
    assoc, log: o.log, services: o.services ?? [], dimseSize: c.memory.dimseSize, tmpDir: tmpdir(),
    readTimeout: c.network.readTimeout, idleTimeout: 0,
  });
}
