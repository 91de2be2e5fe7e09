/**
 * Requesting an association: TCP connect, socket tuning, A-ASSOCIATE-RQ, wait for AC/RJ.
 * PS3.8 says the requestor shall not test the AE titles echoed in the AC: a mismatch is
 * logged, never aborted for.
 */
import net from 'node:net';
import tls from 'node:tls';
import { EdgeError } from '../util/errors';
import type { Logger } from '../util/log';
import { Association } from './association';
import { acceptedContexts, buildAssociateRq, type ProposalInput, type ProposedContext } from './proposal';
import type { AssociateRj } from './pdu-types';
import { tuneSocket } from './socket-options';
import { hostPort } from '../util/address';

export interface ConnectOptions {
  host: string;
  port: number;
  proposal: ProposalInput;
  log: Logger;
  /** Seconds to wait for the connection and for the AC (readTimeout); 0 = no limit. */
  readTimeout: number;
  socketSndBuf: number;
  socketRcvBuf: number;
  id?: string;
  /** DICOM over TLS (src/ul/tls.ts clientTlsOptions); plain TCP when absent. */
  tls?: tls.ConnectionOptions;
}

let counter = 0;

export function describeRejection(rj: AssociateRj | undefined): string {
  if (!rj) return 'association rejected';
  const result = rj.result === 1 ? 'permanent' : 'transient';
  const reasons: Record<string, string> = {
    '1/1': 'no reason given', '1/2': 'application context name not supported', '1/3': 'calling AE title not recognized',
    '1/7': 'called AE title not recognized', '2/1': 'no reason given', '2/2': 'protocol version not supported',
    '3/1': 'temporary congestion', '3/2': 'local limit exceeded',
  };
  return `association rejected (${result}): ${reasons[`${rj.source}/${rj.reason}`] ?? `source ${rj.source} reason ${rj.reason}`}`;
}

function connectSocket(o: ConnectOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: o.host, port: o.port });
    const ms = o.readTimeout > 0 ? o.readTimeout * 1000 : 0;
    const timer = ms ? setTimeout(() => { socket.destroy(); reject(new EdgeError('UL_CONNECT_TIMEOUT', `no connection to ${hostPort(o.host, o.port)} within ${o.readTimeout} s`)); }, ms) : undefined;
    socket.once('connect', () => { if (timer) clearTimeout(timer); resolve(socket); });
    socket.once('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new EdgeError('UL_CONNECT_FAILED', `cannot connect to ${hostPort(o.host, o.port)}: ${e.message}`, { cause: e }));
    });
  });
}

/** The TLS handshake over a connected (already tuned) TCP socket; bounded by readTimeout. */
function secure(raw: net.Socket, o: ConnectOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...o.tls, socket: raw, host: o.host }); // host: what the certificate must name
    const ms = o.readTimeout > 0 ? o.readTimeout * 1000 : 0;
    const fail = (e: Error): void => { if (timer) clearTimeout(timer); s.destroy(); reject(new EdgeError('UL_TLS_FAILED', `TLS with ${hostPort(o.host, o.port)} failed: ${e.message}`, { cause: e })); };
    const timer = ms ? setTimeout(() => fail(new Error(`no handshake within ${o.readTimeout} s`)), ms) : undefined;
    s.once('secureConnect', () => { if (timer) clearTimeout(timer); s.off('error', fail); resolve(s); });
    s.once('error', fail);
  });
}

/** Connects and negotiates; resolves with an established association or rejects with an EdgeError. */
export async function requestAssociation(o: ConnectOptions): Promise<Association> {
  const raw = await connectSocket(o);
  tuneSocket(raw, { sndBuf: o.socketSndBuf, rcvBuf: o.socketRcvBuf }, (m) => o.log.warn(m));
  const socket = o.tls ? await secure(raw, o) : raw;
  const assoc = new Association({
    id: o.id ?? `out-${++counter}`, socket, role: 'requestor', log: o.log,
    maxPdu: o.proposal.maxPdu, artimMs: Math.max(1, o.readTimeout || 30) * 1000, sendBuffer: o.socketSndBuf,
  });
  const rq = buildAssociateRq(o.proposal);
  assoc.setInactivityTimeout(o.readTimeout);
  const outcome = new Promise<void>((resolve, reject) => {
    assoc.once('established', () => resolve());
    assoc.once('rejected', (rj?: AssociateRj) => reject(new EdgeError('UL_ASSOC_REJECTED', describeRejection(rj))));
    assoc.once('close', (info) => reject(new EdgeError('UL_ASSOC_FAILED', `association with ${hostPort(o.host, o.port)} failed: ${info.detail}`)));
  });
  assoc.startRequest(rq);
  await outcome;
  assoc.setInactivityTimeout(0);
  const ac = assoc.ac!;
  assoc.contexts = new Map(acceptedContexts(rq, ac, o.proposal.contexts).map((c) => [c.id, c]));
  if (ac.calledAeTitle !== rq.calledAeTitle || ac.callingAeTitle !== rq.callingAeTitle) {
    o.log.info(`${assoc.id} A-ASSOCIATE-AC echoes AE titles ${ac.callingAeTitle} -> ${ac.calledAeTitle} (sent ${rq.callingAeTitle} -> ${rq.calledAeTitle}); not tested, PS3.8 9.3.3`);
  }
  o.log.info(`${assoc.id} associated ${rq.callingAeTitle} -> ${rq.calledAeTitle} at ${hostPort(o.host, o.port)}, ${assoc.contexts.size}/${rq.presentationContexts.length} contexts accepted, peer max PDU ${assoc.peerMaxPdu}`);
  return assoc;
}

export type { ProposedContext };
