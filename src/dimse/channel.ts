/**
 * DIMSE over one association: received PDVs → MessageAssembler → requests to service
 * handlers or responses to our pending requests; outgoing messages fragmented to the
 * peer's maximum PDU with socket backpressure. Messages are sent one at a time (their
 * PDVs never interleave). Services never see the socket.
 */
import type { Readable, Writable } from 'node:stream';
import { EdgeError, errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import type { Association } from '../ul/association';
import type { NegotiatedContext } from '../ul/negotiation';
import { MessageAssembler, type DimseMessage } from './assembler';
import { type CommandSet, describeCommand, encodeCommand } from './command';
import { CommandField, DataSetType } from './command-fields';
import { SpillSink } from './dataset-sink';
import { messagePdus, pdataFromStream } from './fragmenter';
import { traceDimse } from './trace';
import { LazyAbort } from './lazy-abort';
import { PeerWindow } from './peer-window';

export type DatasetBody = Buffer | Readable | undefined;

export type { DimseMessage };

export interface RequestContext {
  channel: DimseChannel;
  message: DimseMessage;
  context: NegotiatedContext;
  /** Aborted when the peer sends C-CANCEL for this request or the association goes away. */
  signal: AbortSignal;
  log: Logger;
}

/** A service: answers requests of some command fields; may provide its own data set sink. */
export interface DimseService {
  name: string;
  handles(command: CommandSet, context: NegotiatedContext): boolean;
  /** Where a request's data set goes (e.g. straight into the store's temp file). */
  openSink?(command: CommandSet, context: NegotiatedContext, channel: DimseChannel): Writable;
  handle(ctx: RequestContext): Promise<void>;
}

export interface ChannelOptions {
  assoc: Association;
  log: Logger;
  services: DimseService[];
  dimseSize: number;
  tmpDir: string;
  /** Seconds; applied while a message is partly received or we await a response. */
  readTimeout: number;
  /** Seconds between requests (acceptor only); 0 = none. */
  idleTimeout: number;
}

interface Pending {
  onResponse: (m: DimseMessage) => boolean; // true = final
  resolve: () => void;
  reject: (e: Error) => void;
}

export class DimseChannel {
  readonly assoc: Association;
  private readonly log: Logger;
  private readonly assembler: MessageAssembler;
  private sendChain: Promise<void> = Promise.resolve();
  private nextMessageId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Map<number, LazyAbort>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Request message ids whose final response has been sent. */
  private readonly answered = new Set<number>();
  private closed = false;
  /** Flow control of the peer's requests (Asynchronous Operations Window). */
  private readonly window: PeerWindow;

  constructor(private readonly o: ChannelOptions) {
    this.assoc = o.assoc;
    this.log = o.log;
    this.assembler = new MessageAssembler({
      openSink: (command, contextId) => this.openSink(command, contextId),
      onMessage: (m) => this.onMessage(m),
      onDrain: () => this.window.drained(),
      onError: (e) => this.log.error(`${this.assoc.id} message handling failed: ${errorMessage(e)}`),
    });
    this.window = new PeerWindow(this.assoc, this.log, () => this.outstanding());
    this.assoc.onPData = (pdv) => this.onPdv(pdv);
    this.assoc.on('release-requested', () => void this.answerRelease());
    this.assoc.once('close', () => this.onClosed());
  }

  context(id: number): NegotiatedContext | undefined {
    return this.assoc.contexts.get(id);
  }

  /** First accepted context for an abstract syntax where we may act as SCU (or SCP). */
  findContext(abstractSyntax: string, as: 'scu' | 'scp' = 'scu', transferSyntax?: string): NegotiatedContext | undefined {
    for (const c of this.assoc.contexts.values()) {
      if (c.abstractSyntax !== abstractSyntax || (as === 'scu' ? !c.weAreScu : !c.weAreScp)) continue;
      if (!transferSyntax || c.transferSyntax === transferSyntax) return c;
    }
    return undefined;
  }

  allocateMessageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = (this.nextMessageId % 0xffff) + 1;
    return id;
  }

  // ---- sending ---------------------------------------------------------------------------

  /** Queue one message; resolves when all its PDUs were handed to the socket (with backpressure). */
  send(contextId: number, command: CommandSet, dataset?: DatasetBody): Promise<void> {
    const cmd: CommandSet = { ...command, commandDataSetType: dataset === undefined ? DataSetType.NONE : DataSetType.PRESENT };
    const run = this.sendChain.then(() => this.write(contextId, cmd, dataset));
    this.sendChain = run.catch(() => undefined);
    return run;
  }

  private async write(contextId: number, cmd: CommandSet, dataset: DatasetBody): Promise<void> {
    if (this.closed) throw new EdgeError('DIMSE_CLOSED', 'association closed');
    const encoded = encodeCommand(cmd);
    const st = cmd.status;
    if ((cmd.commandField ?? 0) & 0x8000 && st !== 0xff00 && st !== 0xff01) this.answered.add(cmd.messageIdBeingRespondedTo ?? -1);
    traceDimse(this.assoc.id, 'out', contextId, encoded, dataset);
    if (this.log.debugEnabled) this.log.debug(`${this.assoc.id} -> ${describeCommand(cmd)} ctx=${contextId}`);
    const max = this.assoc.peerMaxPdu;
    const inMemory = Buffer.isBuffer(dataset) ? dataset : undefined;
    await this.writeBatched(messagePdus(contextId, encoded, inMemory, max));
    if (dataset && !Buffer.isBuffer(dataset)) {
      try {
        for await (const parts of pdataFromStream(contextId, dataset, max)) await this.writeGroup([parts]);
      } catch (e) {
        // The command is out and the data set is half sent: the only clean way out is A-ABORT.
        if (!this.closed) this.assoc.abort(`data set source failed: ${errorMessage(e)}`);
        throw e;
      }
    }
  }

  /** In-memory PDUs handed to the socket in corked groups of about assoc.writeBatchBytes (one writev each). */
  private async writeBatched(pdus: Iterable<Buffer[]>): Promise<void> {
    let batch: Buffer[][] = [];
    let bytes = 0;
    for (const parts of pdus) {
      batch.push(parts);
      for (const p of parts) bytes += p.length;
      if (bytes >= this.assoc.writeBatchBytes) {
        await this.writeGroup(batch);
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length) await this.writeGroup(batch);
  }

  private async writeGroup(pdus: Buffer[][]): Promise<void> {
    if (this.closed) throw new EdgeError('DIMSE_CLOSED', 'association closed while sending');
    if (!this.assoc.sendPDataBatch(pdus)) await this.assoc.drained();
  }


  /**
   * Send a request and collect responses until a final one (status not Pending).
   * `onResponse` sees every response (pending ones too).
   */
  async request(contextId: number, command: CommandSet, dataset?: DatasetBody, onResponse?: (m: DimseMessage) => void): Promise<DimseMessage> {
    const messageId = command.messageId ?? this.allocateMessageId();
    let final: DimseMessage | undefined;
    const done = new Promise<void>((resolve, reject) => {
      this.pending.set(messageId, {
        onResponse: (m) => {
          onResponse?.(m);
          const st = m.command.status ?? 0;
          if (st === 0xff00 || st === 0xff01) return false;
          final = m;
          return true;
        },
        resolve, reject,
      });
    });
    this.updateTimeout();
    this.window.resume(); // its response must be read (a C-GET SCP's C-STORE sub-operations)
    try {
      await this.send(contextId, { ...command, messageId }, dataset);
    } catch (e) {
      this.pending.delete(messageId);
      throw e;
    }
    await done;
    return final!;
  }

  /** C-CANCEL-RQ for one of our requests (PS3.7 9.3.2.3 etc.). */
  cancel(contextId: number, messageId: number): Promise<void> {
    return this.send(contextId, { commandField: CommandField.C_CANCEL_RQ, messageIdBeingRespondedTo: messageId });
  }

  // ---- receiving -------------------------------------------------------------------------

  private onPdv(pdv: Parameters<Association['onPData']>[0]): boolean {
    try {
      const ok = this.assembler.push(pdv);
      this.updateTimeout();
      return ok;
    } catch (e) {
      this.log.warn(`${this.assoc.id} DIMSE protocol error: ${errorMessage(e)}`);
      this.assoc.abort(errorMessage(e));
      return true;
    }
  }

  private openSink(command: CommandSet, contextId: number): Writable {
    const ctx = this.context(contextId);
    if (ctx && (command.commandField ?? 0) < 0x8000) {
      const svc = this.o.services.find((s) => s.openSink && s.handles(command, ctx));
      if (svc?.openSink) return svc.openSink(command, ctx, this);
    }
    return new SpillSink({ dimseSize: this.o.dimseSize, tmpDir: this.o.tmpDir });
  }

  private onMessage(msg: DimseMessage): void {
    const m = msg;
    traceDimse(this.assoc.id, 'in', m.contextId, m.commandBytes, undefined);
    if (this.log.debugEnabled) this.log.debug(`${this.assoc.id} <- ${describeCommand(m.command)} ctx=${m.contextId}`);
    const field = m.command.commandField ?? 0;
    if (field === CommandField.C_CANCEL_RQ) {
      this.running.get(m.command.messageIdBeingRespondedTo ?? -1)?.abort();
      return;
    }
    if (field & 0x8000) return this.onResponse(msg);
    this.dispatch(msg);
    this.updateTimeout();
  }

  private onResponse(msg: DimseMessage): void {
    const id = msg.command.messageIdBeingRespondedTo ?? -1;
    const p = this.pending.get(id);
    if (!p) {
      this.log.warn(`${this.assoc.id} response to unknown message id ${id}; ignored`);
      return;
    }
    if (p.onResponse(msg)) {
      this.pending.delete(id);
      p.resolve();
    }
    this.updateTimeout();
  }

  private dispatch(msg: DimseMessage): void {
    const ctx = this.context(msg.contextId);
    const svc = ctx && this.o.services.find((s) => s.handles(msg.command, ctx));
    if (!ctx || !svc) {
      this.log.warn(`${this.assoc.id} no service for ${describeCommand(msg.command)} on context ${msg.contextId}`);
      void this.replyUnsupported(msg);
      return;
    }
    const ac = new LazyAbort();
    const messageId = msg.command.messageId ?? 0;
    this.window.admit(this.pending.size > 0);
    this.running.set(messageId, ac);
    const log = this.log;
    const job = svc.handle({ channel: this, message: msg, context: ctx, get signal() { return ac.signal; }, log })
      .catch((e) => {
        this.log.error(`${this.assoc.id} ${svc.name} failed: ${errorMessage(e)}`);
        // A request must get an answer: 0110 Processing failure (PS3.7 C.4.x) if none went out.
        if (!this.answered.has(messageId)) return this.replyFailure(msg, 0x0110);
      })
      .finally(() => {
        this.answered.delete(messageId);
        this.running.delete(messageId);
        this.inFlight.delete(job);
        disposeSink(msg.dataset);
        this.window.released();
        this.updateTimeout();
      });
    this.inFlight.add(job);
  }

  /** The peer's requests dispatched and not yet answered. */
  private outstanding(): number {
    let n = 0;
    for (const id of this.running.keys()) if (!this.answered.has(id)) n++;
    return n;
  }

  /** 0x0211 Unrecognized operation (PS3.7 C.4.4) for a request nobody handles. */
  private async replyUnsupported(msg: DimseMessage): Promise<void> {
    disposeSink(msg.dataset);
    await this.replyFailure(msg, 0x0211);
  }

  /** A failure response; the request's UIDs are echoed only if they can be encoded. */
  private async replyFailure(msg: DimseMessage, status: number): Promise<void> {
    const field = msg.command.commandField ?? 0;
    const base = { commandField: field | 0x8000, messageIdBeingRespondedTo: msg.command.messageId, status };
    const full = { ...base, affectedSopClassUid: msg.command.affectedSopClassUid ?? msg.command.requestedSopClassUid, affectedSopInstanceUid: msg.command.affectedSopInstanceUid };
    for (const cmd of [full, base]) {
      try {
        encodeCommand(cmd);
      } catch {
        continue;
      }
      try {
        await this.send(msg.contextId, cmd);
      } catch (e) {
        this.log.debug(`${this.assoc.id} could not answer: ${errorMessage(e)}`);
      }
      return;
    }
  }

  /** The acceptor answers A-RELEASE-RQ only after running operations have finished. */
  private async answerRelease(): Promise<void> {
    // PS3.8 7.2: responses first. A message still being flushed to its sink is not yet in
    // flight, so wait for the assembler's undelivered messages too.
    while (!this.closed && (this.inFlight.size || this.assembler.undelivered > 0)) {
      if (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
      else await new Promise((r) => setTimeout(r, 2));
    }
    await this.sendChain;
    this.assoc.releaseResponse();
  }

  private updateTimeout(): void {
    if (this.closed) return;
    // readTimeout while bytes of a message or a response are due; none while our own handler
    // works (the peer is rightly silent); idleTimeout between requests on the server side.
    let seconds = 0;
    if (this.pending.size > 0 || !this.assembler.idle) seconds = this.o.readTimeout;
    else if (this.inFlight.size === 0 && this.assoc.role === 'acceptor') seconds = this.o.idleTimeout;
    this.assoc.setInactivityTimeout(seconds);
  }

  private onClosed(): void {
    this.closed = true;
    const summary = this.window.summary();
    if (summary) this.log.info(summary);
    this.assembler.abort(new EdgeError('DIMSE_CLOSED', 'association closed'));
    for (const ac of this.running.values()) ac.abort();
    for (const p of this.pending.values()) p.reject(new EdgeError('DIMSE_CLOSED', 'association closed before the response'));
    this.pending.clear();
  }
}

function disposeSink(sink: Writable | undefined): void {
  const d = (sink as { dispose?: () => Promise<void> } | undefined)?.dispose;
  if (d) d.call(sink).catch(() => undefined);
}
