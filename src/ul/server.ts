/**
 * The listening side of the upper layer: accepts TCP connections, tunes each socket,
 * runs negotiation (pure) for each A-ASSOCIATE-RQ and hands established associations to
 * the layer above. Knows nothing of DIMSE or studies.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Config } from '../config/types';
import { errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import { Association, type CloseInfo } from './association';
import { negotiateAssociation, normalizeIp } from './negotiation';
import { applyBufferSizes, tuneSocket } from './socket-options';
import { subjectRefusal } from './tls';
import { hostPort } from '../util/address';

export interface ServerOptions {
  /** Read on every new association, so a reload applies to the next one. */
  config: () => Config;
  log: Logger;
  onAssociation: (assoc: Association) => void;
  /** More called AE titles we answer to (print queues); default none. */
  extraLocalAeTitles?: () => string[];
}

let counter = 0;

export class DicomServer {
  readonly associations = new Set<Association>();
  private server?: net.Server;
  private tlsServer?: tls.Server;
  private readonly log: Logger;

  constructor(private readonly o: ServerOptions) {
    this.log = o.log;
  }

  get address(): net.AddressInfo | undefined {
    return this.server?.address() as net.AddressInfo | undefined;
  }

  get tlsAddress(): net.AddressInfo | undefined {
    return this.tlsServer?.address() as net.AddressInfo | undefined;
  }

  /**
   * A second listener for DICOM over TLS (PS3.15 B.13). The TCP socket is tuned before the
   * handshake; the association starts once the handshake (and, with allowedSubjects, the
   * remote certificate's subject check) has passed. Handshake failures only end that socket.
   */
  listenTls(port: number, host: string, options: tls.TlsOptions, allowedSubjects: string[]): Promise<net.AddressInfo> {
    // ARTIM's value also bounds the handshake: a silent TLS peer must not hold the socket.
    const handshakeTimeout = Math.max(1, this.o.config().network.readTimeout || 30) * 1000;
    this.allowedSubjects = allowedSubjects;
    const server = tls.createServer({ ...options, handshakeTimeout, noDelay: true } as tls.TlsOptions, (s) => this.onSecureConnection(s, this.allowedSubjects));
    this.tlsServer = server;
    server.on('connection', (raw: net.Socket) => {
      const n = this.o.config().network;
      tuneSocket(raw, { sndBuf: n.socketSndBuf, rcvBuf: n.socketRcvBuf }, (m) => this.log.warn(`TLS ${m}`));
    });
    server.on('tlsClientError', (e, s) => this.log.warn(`TLS handshake with ${normalizeIp(s.remoteAddress ?? '?')} failed: ${e.message}`));
    server.on('error', (e) => this.log.error(`TLS listener error: ${e.message}`));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(server.address() as net.AddressInfo);
      });
    });
  }

  /**
   * New certificate, key, CA or allowed subjects for the TLS listener (reload): later
   * handshakes use them, open associations keep theirs. Client-certificate verification
   * on/off and the port need a restart.
   */
  updateTls(context: tls.SecureContextOptions, allowedSubjects: string[]): boolean {
    if (!this.tlsServer) return false;
    this.tlsServer.setSecureContext(context);
    this.allowedSubjects = allowedSubjects;
    return true;
  }

  private allowedSubjects: string[] = [];

  private onSecureConnection(socket: tls.TLSSocket, allowedSubjects: string[]): void {
    const refused = subjectRefusal(socket.getPeerCertificate(), allowedSubjects);
    if (refused) {
      this.log.warn(`TLS connection from ${normalizeIp(socket.remoteAddress ?? '?')} refused: ${refused}`);
      socket.destroy();
      return;
    }
    this.onConnection(socket, true);
  }

  listen(port = this.o.config().network.port, host = this.o.config().network.bind): Promise<net.AddressInfo> {
    const server = net.createServer({ noDelay: true }, (s) => this.onConnection(s));
    this.server = server;
    server.on('error', (e) => this.log.error(`listener error: ${e.message}`));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const cfg = this.o.config().network;
        // Accepted sockets inherit the listener's SO_RCVBUF; set it before the SYN so the
        // window scale matches (each accepted socket is set again below).
        try { applyBufferSizes(server, { sndBuf: 0, rcvBuf: cfg.socketRcvBuf }); } catch (e) { this.log.warn(`listener SO_RCVBUF: ${errorMessage(e)}`); }
        resolve(server.address() as net.AddressInfo);
      });
    });
  }

  /**
   * Moves the plain listener to a new port/address: the new one is opened first (so a
   * failure leaves the old one serving), then the old one stops accepting. Associations
   * already open are not touched.
   */
  async relisten(port: number, host: string): Promise<net.AddressInfo> {
    const old = this.server;
    const addr = await this.listen(port, host).catch((e: Error) => {
      this.server = old;
      throw e;
    });
    old?.close();
    return addr;
  }

  private onConnection(socket: net.Socket, secure = false): void {
    const cfg = this.o.config();
    const id = `${secure ? 'tls' : 'in'}-${++counter}`;
    const peer = hostPort(normalizeIp(socket.remoteAddress ?? '?'), socket.remotePort);
    if (!secure) tuneSocket(socket, { sndBuf: cfg.network.socketSndBuf, rcvBuf: cfg.network.socketRcvBuf }, (m) => this.log.warn(`${id} ${m}`));
    const assoc = new Association({
      id, socket, role: 'acceptor', log: this.log, maxPdu: cfg.network.maxPdu, sendBuffer: cfg.network.socketSndBuf,
      artimMs: Math.max(1, cfg.network.readTimeout || 30) * 1000,
    });
    this.associations.add(assoc);
    // Waiting for the A-ASSOCIATE-RQ is bounded by ARTIM; then idleTimeout applies between requests.
    assoc.onAssociateRq = (rq) => {
      const established = [...this.associations].filter((a) => a !== assoc && a.established).length;
      const d = negotiateAssociation({
        rq, peerAddress: socket.remoteAddress ?? '', config: cfg,
        extraLocalAeTitles: this.o.extraLocalAeTitles?.(), overLimit: established >= cfg.network.maxAssociations,
      });
      if (d.kind === 'reject') {
        this.log.warn(`${id} rejected ${rq.callingAeTitle} -> ${rq.calledAeTitle} from ${peer}: ${d.why}`);
        return { rj: d.rj, providerReject: d.rj.source === 2 };
      }
      return { ac: d.ac, contexts: d.contexts };
    };
    assoc.once('established', () => {
      const window = assoc.ac?.userInfo.asyncOps ? `, asynchronous operations window ${assoc.requestorOpsWindow}` : '';
      this.log.info(`${id} accepted ${assoc.callingAe} -> ${assoc.calledAe} from ${peer}: ${assoc.contexts.size}/${assoc.rq!.presentationContexts.length} contexts, peer max PDU ${assoc.peerMaxPdu}${window}`);
      assoc.setInactivityTimeout(cfg.network.idleTimeout);
      try {
        this.o.onAssociation(assoc);
      } catch (e) {
        this.log.error(`${id} service setup failed: ${errorMessage(e)}`);
        assoc.abort('service setup failed');
      }
    });
    assoc.once('close', (info: CloseInfo) => {
      this.associations.delete(assoc);
      this.log.info(`${id} closed (${info.kind}: ${info.detail})`);
    });
    assoc.startAccept();
  }

  /** Stop listening; wait up to graceMs for associations to finish, then A-ABORT the rest. */
  async close(graceMs = 5000): Promise<void> {
    // close() stops accepting at once; its callback would wait for every connection, so
    // the open associations are waited for (and then aborted) below instead.
    const stopListening = (s?: net.Server): Promise<void> => (s ? new Promise<void>((r) => s.close(() => r())) : Promise.resolve());
    const listenerClosed = Promise.all([stopListening(this.server), stopListening(this.tlsServer)]).then(() => undefined);
    const open = [...this.associations];
    if (open.length === 0) return listenerClosed;
    this.log.info(`waiting up to ${graceMs} ms for ${open.length} association(s)`);
    const all = Promise.all(open.map((a) => a.closed()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), graceMs); });
    const first = await Promise.race([all, timeout]);
    if (timer) clearTimeout(timer);
    if (first === 'timeout') {
      for (const a of this.associations) a.abort('agent stopping');
      await Promise.race([Promise.all(open.map((a) => a.closed())), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    for (const a of this.associations) a.socket.destroy();
    await listenerClosed;
  }
}
