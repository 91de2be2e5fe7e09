/**
 * The thin I/O shell around the pure upper layer: socket → framer → PS3.8 state machine.
 * Every read failure becomes an FSM event (pynetdicom habit), never an escaped exception.
 * Received P-DATA PDVs go to `onPData`; when it returns false the socket is paused until
 * `resumeReading()` (ws receiver habit: backpressure from disk to the TCP window).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { EdgeError, PduError, errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import { ArtimTimer } from './artim';
import { tracePdu } from './channels';
import { PduFramer, type RawPdu } from './framer';
import { LocalEvent, StateMachine, eventForPdu, type Action, type FsmEvent, type Step } from './fsm';
import type { NegotiatedContext } from './negotiation';
import { decodePdu } from './pdu-reader';
import { describePdu } from './pdu-format';
import type { Abort, AssociateAc, AssociateRj, AssociateRq, Pdu, Pdv } from './pdu-types';
import { encodePData, writePdu } from './pdu-writer';
import { writeBatchBytes } from './socket-options';

export type AssociationRole = 'requestor' | 'acceptor';

export interface AssociationOptions {
  id: string;
  socket: Socket;
  role: AssociationRole;
  log: Logger;
  /** Our maximum received P-DATA-TF length (0 = unlimited). */
  maxPdu: number;
  /** ARTIM timeout in ms (PS3.8 9.1.5). */
  artimMs: number;
  /** The SO_SNDBUF set on the socket (0 or absent = the kernel's autotuned buffer). */
  sendBuffer?: number;
}

/** How the association ended, for logs and for the layers above. */
export interface CloseInfo {
  kind: 'released' | 'rejected' | 'aborted-by-peer' | 'aborted-locally' | 'provider-abort' | 'transport-closed';
  detail: string;
}

export class Association extends EventEmitter {
  readonly id: string;
  readonly role: AssociationRole;
  readonly socket: Socket;
  readonly peerAddress: string;
  readonly sm = new StateMachine();
  contexts = new Map<number, NegotiatedContext>();
  peerMaxPdu = 0;
  readonly writeBatchBytes: number; // bytes of ready PDUs per writev (0 = one PDU per write)
  rq?: AssociateRq;
  ac?: AssociateAc;
  /**
   * Requests the requestor may have outstanding on this association: the A-ASSOCIATE-AC's
   * Asynchronous Operations Window "invoked" field (PS3.7 D.3.3.3; both sides read the same
   * AC), 1 without one (synchronous), 0 = unlimited.
   */
  get requestorOpsWindow(): number {
    const w = this.ac?.userInfo.asyncOps;
    return w ? w.invoked : 1;
  }

  /** As requestor, having proposed `asked` outstanding requests: how many we may keep (the peer's 0 = unlimited keeps ours). */
  ourOpsWindow(asked: number): number {
    if (asked <= 1) return 1;
    const granted = this.requestorOpsWindow;
    return granted === 0 ? asked : Math.min(asked, granted);
  }

  /** Receives PDVs in Sta6/Sta7; return false to apply backpressure (then call resumeReading). */
  onPData: (pdv: Pdv) => boolean = () => true;
  /** Acceptor: decides on an A-ASSOCIATE-RQ (negotiation is pure; the server wires it in). */
  onAssociateRq: (rq: AssociateRq) => { ac?: AssociateAc; rj?: AssociateRj; contexts?: NegotiatedContext[]; providerReject?: boolean } =
    () => ({ rj: { type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 1 } });

  private readonly log: Logger;
  private readonly framer: PduFramer;
  private readonly artim: ArtimTimer;
  private paused = false;
  private closeInfo?: CloseInfo;
  private pendingAbortSource = 2;

  constructor(o: AssociationOptions) {
    super();
    this.id = o.id;
    this.role = o.role;
    this.socket = o.socket;
    this.log = o.log;
    this.peerAddress = o.socket.remoteAddress ?? '?';
    this.writeBatchBytes = writeBatchBytes(o.sendBuffer);
    this.framer = new PduFramer(o.maxPdu);
    this.artim = new ArtimTimer(o.artimMs, () => this.fire(LocalEvent.artimExpired));
    o.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    o.socket.on('error', (e) => this.log.debug(`${this.id} socket error: ${e.message}`));
    o.socket.on('close', () => this.onTransportClosed());
    o.socket.on('timeout', () => this.onTimeout());
  }

  get state(): string { return this.sm.state; }
  get established(): boolean { return this.sm.state === 'Sta6'; }
  get callingAe(): string { return this.rq?.callingAeTitle ?? ''; }
  get calledAe(): string { return this.rq?.calledAeTitle ?? ''; }

  /** Requestor: the connection is up; send the A-ASSOCIATE-RQ (Evt1 then Evt2). */
  startRequest(rq: AssociateRq): void {
    this.rq = rq;
    this.fire(LocalEvent.associateRequest);
    this.fire(LocalEvent.transportConnectConfirm);
  }

  /** Acceptor: a connection arrived (Evt5, AE-5 starts ARTIM). */
  startAccept(): void {
    this.fire(LocalEvent.transportConnectIndication);
  }

  /** Socket inactivity limit in seconds (0 = none): idleTimeout between requests, readTimeout while waiting. */
  setInactivityTimeout(seconds: number): void {
    // Called per PDV; the socket re-arms its timer on activity itself: only a change needs a call.
    if (seconds === this.inactivitySeconds) return;
    this.inactivitySeconds = seconds;
    this.socket.setTimeout(seconds > 0 ? seconds * 1000 : 0);
  }
  private inactivitySeconds = -1;

  /**
   * Send one PDV as one P-DATA-TF PDU (Evt9). Returns socket.write's answer: false means the
   * caller should await `drained()` before sending more.
   */
  sendPData(contextId: number, command: boolean, last: boolean, data: Buffer): boolean {
    return this.sendPDataBatch([encodePData(contextId, command, last, data)]);
  }

  /**
   * Framed P-DATA-TF PDUs (each as parts: header, data slices) in one writev (socket corked):
   * one Evt9 each, DT-1/AR-7. Same answer as sendPData.
   */
  sendPDataBatch(pdus: Buffer[][]): boolean {
    // Evt9 in Sta6/Sta8 is DT-1 (stays): one check covers the whole batch.
    if (this.sm.state !== 'Sta6' && this.sm.state !== 'Sta8') {
      throw new EdgeError('UL_NOT_ESTABLISHED', `cannot send P-DATA in ${this.sm.state}`);
    }
    this.socket.cork();
    let ok = true;
    for (const parts of pdus) {
      this.fire(LocalEvent.pDataRequest);
      tracePdu(this.id, 'out', parts);
      for (const p of parts) ok = this.socket.write(p) && ok;
    }
    this.socket.uncork();
    return ok;
  }

  /** Resolves when the socket's write buffer has drained (or the socket closed). */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => { this.socket.off('drain', done); this.socket.off('close', done); resolve(); };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Requestor: A-RELEASE request (Evt11). Resolves when the association is closed. */
  release(): Promise<CloseInfo> {
    const closed = this.closed();
    if (this.sm.state === 'Sta6') this.fire(LocalEvent.releaseRequest);
    return closed;
  }

  /** Acceptor: answer a received A-RELEASE-RQ (Evt14) once pending work is done. */
  releaseResponse(): void {
    if (this.sm.accepts(LocalEvent.releaseResponse)) this.fire(LocalEvent.releaseResponse);
  }

  /** Local A-ABORT (Evt15); safe in any state. */
  abort(why = 'local abort'): void {
    // Table 9-10 has no Evt15 in Sta1, Sta2 or Sta13: there we just close the transport.
    if (!this.sm.accepts(LocalEvent.abortRequest)) { this.closeInfo ??= { kind: 'aborted-locally', detail: why }; this.socket.destroy(); return; }
    this.log.info(`${this.id} aborting: ${why}`);
    this.closeInfo ??= { kind: 'aborted-locally', detail: why };
    this.pendingAbortSource = 0;
    this.fire(LocalEvent.abortRequest);
  }

  /** Resolves once, when the transport is closed. */
  closed(): Promise<CloseInfo> {
    if (this.socket.destroyed && this.closeInfo) return Promise.resolve(this.closeInfo);
    return new Promise((resolve) => this.once('close', resolve));
  }

  /** Pause delivery of PDVs (backpressure); resumeReading() continues with buffered PDUs. */
  pauseReading(): void {
    this.paused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket.resume();
    this.processBuffered();
  }

  // ---- reading -------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.framer.push(chunk);
    this.processBuffered();
  }

  private processBuffered(): void {
    while (!this.paused && !this.socket.destroyed) {
      let raw: RawPdu | undefined;
      try {
        raw = this.framer.next();
      } catch (e) {
        this.invalidPdu(e);
        return;
      }
      if (!raw) return;
      this.onRawPdu(raw);
    }
  }

  private onRawPdu(raw: RawPdu): void {
    tracePdu(this.id, 'in', [raw.whole]);
    let pdu: Pdu;
    try {
      pdu = decodePdu(raw.type, raw.body);
    } catch (e) {
      this.invalidPdu(e);
      return;
    }
    if (this.log.debugEnabled) this.log.debug(`${this.id} <- ${describePdu(pdu)}`);
    this.onPdu(pdu, raw.type);
  }

  private invalidPdu(e: unknown): void {
    const reason = e instanceof PduError ? e.abortReason : 1;
    this.log.warn(`${this.id} invalid PDU from ${this.peerAddress}: ${errorMessage(e)}`);
    this.closeInfo ??= { kind: 'provider-abort', detail: errorMessage(e) };
    this.abortReason = reason;
    this.fire('Evt19');
  }

  private abortReason = 0;
  private lastPdu?: Pdu;

  private onPdu(pdu: Pdu, type: number): void {
    this.lastPdu = pdu;
    const event = eventForPdu(type);
    if (!this.sm.accepts(event)) {
      // Cannot happen for PDU events in a complete Table 9-10, kept as a guard.
      this.abortReason = 2;
      this.fire('Evt19');
      return;
    }
    if (pdu.type === 'A-ASSOCIATE-RQ') return this.onAssociateRqPdu(pdu);
    this.fire(event);
  }

  private decision?: ReturnType<Association['onAssociateRq']>;

  private onAssociateRqPdu(rq: AssociateRq): void {
    this.rq = rq;
    if (this.sm.state !== 'Sta2') { this.fire('Evt6'); return; }
    let d: ReturnType<Association['onAssociateRq']>;
    try {
      d = this.onAssociateRq(rq);
    } catch (e) {
      this.log.error(`${this.id} negotiation failed: ${errorMessage(e)}`);
      d = { rj: { type: 'A-ASSOCIATE-RJ', result: 2, source: 1, reason: 1 } };
    }
    this.decision = d;
    // AE-6: a provider-level problem (protocol version) rejects at once; the rest go through Sta3.
    this.fire('Evt6', { acceptable: !d.providerReject });
    if ((this.sm.state as string) === 'Sta3') this.fire(d.ac ? LocalEvent.associateResponseAccept : LocalEvent.associateResponseReject);
  }

  private onTransportClosed(): void {
    this.artim.stop();
    if (this.sm.state !== 'Sta1') {
      try { this.fire(LocalEvent.transportClosed); } catch { /* already idle */ }
    }
    this.closeInfo ??= { kind: 'transport-closed', detail: 'connection closed' };
    this.emit('close', this.closeInfo);
  }

  private onTimeout(): void {
    if (this.socket.destroyed) return;
    this.log.warn(`${this.id} no data from ${this.peerAddress} within the timeout (state ${this.sm.state})`);
    this.abort('timeout');
  }

  // ---- the state machine ----------------------------------------------------------------

  private fire(event: FsmEvent, opts: { acceptable?: boolean } = {}): void {
    let step: Step;
    try {
      step = this.sm.fire(event, opts);
    } catch (e) {
      this.log.warn(`${this.id} ${errorMessage(e)}`);
      if (event === 'Evt17' || event === 'Evt18') { this.socket.destroy(); return; }
      throw e;
    }
    this.run(step.action);
  }

  private run(action: Action): void {
    switch (action) {
      case 'AE-1': return; // the socket is connected by the client before the shell exists
      case 'AE-2': return this.send(this.rq!);
      case 'AE-3': return this.onAccepted();
      case 'AE-4': return this.onRejected();
      case 'AE-5': return this.artim.start();
      case 'AE-6': return this.ae6();
      case 'AE-7': return this.ae7();
      case 'AE-8': this.send(this.decision!.rj!); this.closeInfo ??= { kind: 'rejected', detail: 'association rejected' }; return this.artim.start();
      case 'DT-1': case 'AR-7': return; // the bytes are written by sendPData
      case 'DT-2': case 'AR-6': return this.deliver();
      case 'AR-1': return this.send({ type: 'A-RELEASE-RQ' });
      case 'AR-2': return void this.emit('release-requested');
      case 'AR-3': this.closeInfo ??= { kind: 'released', detail: 'released' }; this.emit('released'); return void this.socket.end();
      case 'AR-4': this.send({ type: 'A-RELEASE-RP' }); this.closeInfo ??= { kind: 'released', detail: 'released by peer' }; this.emit('released'); return this.artim.start();
      case 'AR-5': case 'AA-5': return this.artim.stop();
      case 'AR-8': return this.collision();
      case 'AR-9': return this.send({ type: 'A-RELEASE-RP' });
      case 'AR-10': return void queueMicrotask(() => this.fire(LocalEvent.releaseResponse));
      case 'AA-1': return this.aa1();
      case 'AA-2': this.artim.stop(); return void this.socket.destroy();
      case 'AA-3': return this.aa3();
      case 'AA-4': this.closeInfo ??= { kind: 'transport-closed', detail: 'connection closed unexpectedly' }; return void this.emit('aborted', this.closeInfo);
      case 'AA-6': return; // ignore the PDU
      case 'AA-7': return this.sendAbort(2, this.abortReason || 2);
      case 'AA-8': this.sendAbort(2, this.abortReason); this.emit('aborted', this.closeInfo); return this.artim.start();
    }
  }

  private ae6(): void {
    this.artim.stop();
    if (this.sm.state === 'Sta13') {
      this.send(this.decision!.rj!);
      this.closeInfo ??= { kind: 'rejected', detail: 'protocol not supported' };
      this.artim.start();
    }
  }

  private ae7(): void {
    const d = this.decision!;
    this.ac = d.ac;
    this.contexts = new Map((d.contexts ?? []).map((c) => [c.id, c]));
    this.peerMaxPdu = this.rq!.userInfo.maxLength;
    this.send(d.ac!);
    this.emit('established');
  }

  private onAccepted(): void {
    this.ac = this.lastPdu as AssociateAc;
    this.peerMaxPdu = this.ac.userInfo.maxLength;
    this.emit('established');
  }

  private onRejected(): void {
    const rj = this.lastPdu as AssociateRj | undefined;
    this.closeInfo ??= { kind: 'rejected', detail: rj ? `rejected: result ${rj.result} source ${rj.source} reason ${rj.reason}` : 'rejected' };
    this.emit('rejected', rj);
    this.socket.end();
  }

  private aa1(): void {
    // Local request: service-user source. Unexpected PDU: provider source, reason 2 (unexpected PDU).
    const local = this.pendingAbortSource === 0;
    this.sendAbort(local ? 0 : 2, local ? 0 : 2);
    this.closeInfo ??= { kind: 'provider-abort', detail: 'unexpected PDU' };
    this.artim.restart();
    if (local) this.socket.end();
  }

  private aa3(): void {
    const a = this.lastPdu as Abort | undefined;
    this.closeInfo ??= { kind: 'aborted-by-peer', detail: a ? `A-ABORT source ${a.source} reason ${a.reason}` : 'A-ABORT' };
    this.emit('aborted', this.closeInfo);
    this.socket.destroy();
  }

  private collision(): void {
    this.emit('release-requested');
    // We asked for release ourselves, so nothing is pending: answer at once (Evt14).
    if (this.sm.state === 'Sta9') queueMicrotask(() => this.fire(LocalEvent.releaseResponse));
  }

  private deliver(): void {
    const pdu = this.lastPdu;
    if (!pdu || pdu.type !== 'P-DATA-TF') return;
    for (const pdv of pdu.pdvs) {
      if (!this.onPData(pdv)) this.pauseReading();
    }
  }

  private sendAbort(source: number, reason: number): void {
    this.send({ type: 'A-ABORT', source, reason: source === 2 ? reason : 0 });
  }

  private send(pdu: Pdu): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    const bytes = writePdu(pdu);
    tracePdu(this.id, 'out', [bytes]);
    if (this.log.debugEnabled) this.log.debug(`${this.id} -> ${describePdu(pdu)}`);
    this.socket.write(bytes);
  }
}
