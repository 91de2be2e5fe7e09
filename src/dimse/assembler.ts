/**
 * PDVs → DIMSE messages (PS3.7 section 8, PS3.8 Annex E), streaming data sets to a sink.
 *
 * Usage by the association shell (the only caller that sees sockets):
 *
 *   const asm = new MessageAssembler({ openSink, onMessage, onDrain, onError });
 *   for (const pdv of pdata.pdvs) if (!asm.push(pdv)) paused = true;
 *   if (paused) socket.pause();              // resume in onDrain()
 *   ... on A-ABORT / socket close / release: asm.abort(err)
 *
 * Backpressure contract (ws receiver habit): `push` returns false when a sink's
 * `write()` returned false (or an ended sink is still flushing). Like Writable.write,
 * false is advisory: keep pushing the PDVs already in hand, but stop reading the
 * socket. `onDrain()` is called exactly once when every such sink has drained,
 * finished or failed; then resume reading.
 *
 * Ordering contract: `onMessage` is called in arrival order, and for a message with a
 * data set only after its sink has emitted 'finish' (the bytes are flushed, e.g. on
 * disk) or failed. PDVs of the next message are accepted meanwhile (a C-FIND SCP sends
 * pending responses back to back); their delivery waits for the earlier message.
 *
 * Faults: protocol violations throw EdgeError from `push` with a stable code, after
 * which the assembler is dead (the partial sink is destroyed, later pushes throw
 * DIMSE_ASSEMBLER_FAILED); the caller should A-ABORT. A sink that fails (disk full,
 * openSink threw) is NOT a protocol fault: the rest of that data set is discarded and
 * the message is delivered with `datasetError`, so the service can answer with a
 * failure status (e.g. A700 out of resources) and the association lives on.
 */
import type { Writable } from 'node:stream';
import { onSettled } from '../util/settled';
import { EdgeError } from '../util/errors';
import type { Pdv } from '../ul/pdu-types';
import { decodeCommand, hasDataset, type CommandSet } from './command';
import { commandFieldName } from './command-fields';

export interface DimseMessage<S extends Writable = Writable> {
  contextId: number;
  command: CommandSet;
  /** The command set as received (a private copy), for dimseDump. */
  commandBytes: Buffer;
  /** The finished sink holding the data set; undefined when the command has none. */
  dataset?: S;
  /** Set when the sink failed or could not be opened; the data set was discarded. */
  datasetError?: Error;
  /** Data set bytes received from the peer (whether or not the sink kept them). */
  datasetLength: number;
}

export interface AssemblerOptions<S extends Writable> {
  /** Where the data set of `command` goes; called once the command is complete. May throw. */
  openSink(command: CommandSet, contextId: number): S;
  /** A complete message, in order; ownership of `dataset` passes to the callee. */
  onMessage(message: DimseMessage<S>): void;
  /** Every sink that made `push` return false has drained: resume reading. */
  onDrain(): void;
  /** Errors thrown by onMessage (never protocol faults: those are thrown by push). */
  onError(err: Error): void;
  /** Cap on one command set's accumulated bytes; default 64 KiB. */
  maxCommandLength?: number;
}

export const DEFAULT_MAX_COMMAND_LENGTH = 64 * 1024;

interface Entry<S extends Writable> {
  msg: DimseMessage<S>;
  /** Last data set PDV seen (or no data set). */
  ended: boolean;
  /** Sink finished or failed (or there is no sink). */
  settled: boolean;
}

type State = 'idle' | 'command' | 'dataset';

export class MessageAssembler<S extends Writable = Writable> {
  private readonly opts: AssemblerOptions<S>;
  private readonly maxCommandLength: number;
  private state: State = 'idle';
  private contextId = 0;
  private commandParts: Buffer[] = [];
  private commandLength = 0;
  /** The message whose data set is being received. */
  private current?: Entry<S>;
  private queue: Entry<S>[] = [];
  private readonly waitingDrain = new Map<Writable, () => void>();
  private dead?: Error;
  /** The previous message had no data set: names the fault of a stray data set PDV. */
  private previousHadNoDataset = false;

  constructor(opts: AssemblerOptions<S>) {
    this.opts = opts;
    this.maxCommandLength = opts.maxCommandLength ?? DEFAULT_MAX_COMMAND_LENGTH;
  }

  /** True when no message is partly received (no command or data set fragments pending). */
  get idle(): boolean {
    return this.state === 'idle';
  }

  /** Complete or partial messages not yet handed to onMessage. */
  get undelivered(): number {
    return this.queue.length + (this.state === 'command' ? 1 : 0);
  }

  /** Feed one PDV. Returns false when the caller should stop reading until onDrain. */
  push(pdv: Pdv): boolean {
    if (this.dead) throw new EdgeError('DIMSE_ASSEMBLER_FAILED', 'message assembler already failed or aborted', { cause: this.dead });
    try {
      if (this.state !== 'idle' && pdv.presentationContextId !== this.contextId) {
        throw new EdgeError('DIMSE_CONTEXT_MISMATCH', `PDV for presentation context ${pdv.presentationContextId} in the middle of a message on context ${this.contextId} (PS3.7 8.2)`);
      }
      if (pdv.command) this.acceptCommand(pdv);
      else this.acceptData(pdv);
    } catch (e) {
      this.abort(e as Error);
      throw e;
    }
    return this.waitingDrain.size === 0;
  }

  /**
   * Drop everything not yet delivered: partial and flushing sinks are destroyed (a
   * SpillSink deletes its temp file), queued messages are never delivered, onDrain is
   * not called. Idempotent. Call it when the association ends for any reason.
   */
  abort(err: Error = new EdgeError('DIMSE_ABORTED', 'association ended')): void {
    if (this.dead) return;
    this.dead = err;
    for (const e of this.queue) {
      // destroy() without an error: no 'error' event can reach an unlistened sink.
      if (e.msg.dataset && !e.msg.dataset.destroyed) e.msg.dataset.destroy();
    }
    this.queue = [];
    this.current = undefined;
    for (const [sink, onDrain] of this.waitingDrain) sink.off('drain', onDrain);
    this.waitingDrain.clear();
    this.commandParts = [];
    this.state = 'idle';
  }

  private acceptCommand(pdv: Pdv): void {
    if (this.state === 'dataset') {
      const got = this.current?.msg.datasetLength ?? 0;
      const what = commandFieldName(this.current?.msg.command.commandField ?? 0);
      throw new EdgeError(
        'DIMSE_UNEXPECTED_COMMAND',
        got === 0
          ? `command PDV while the data set of ${what} is expected`
          : `command PDV before the data set of ${what} finished (${got} bytes received, no last fragment)`,
      );
    }
    if (this.state === 'idle') {
      this.state = 'command';
      this.contextId = pdv.presentationContextId;
      this.commandParts = [];
      this.commandLength = 0;
    }
    this.commandLength += pdv.data.length;
    if (this.commandLength > this.maxCommandLength) {
      throw new EdgeError('DIMSE_COMMAND_TOO_LARGE', `command set exceeds ${this.maxCommandLength} bytes`);
    }
    this.commandParts.push(pdv.data);
    if (pdv.last) this.commandComplete();
  }

  private commandComplete(): void {
    // A private copy: a slice would pin the whole socket read buffer.
    const commandBytes = Buffer.concat(this.commandParts, this.commandLength);
    this.commandParts = [];
    const command = decodeCommand(commandBytes);
    const msg: DimseMessage<S> = { contextId: this.contextId, command, commandBytes, datasetLength: 0 };
    const entry: Entry<S> = { msg, ended: false, settled: false };
    this.queue.push(entry);
    if (!hasDataset(command)) {
      this.state = 'idle';
      this.previousHadNoDataset = true;
      entry.ended = entry.settled = true;
      this.flush();
      return;
    }
    this.state = 'dataset';
    this.current = entry;
    this.openSink(entry);
  }

  private openSink(entry: Entry<S>): void {
    let sink: S;
    try {
      sink = this.opts.openSink(entry.msg.command, entry.msg.contextId);
    } catch (e) {
      entry.msg.datasetError = e instanceof Error ? e : new Error(String(e));
      entry.settled = true;
      return;
    }
    entry.msg.dataset = sink;
    // An 'error' listener stays attached until the sink settles.
    onSettled(sink, (err) => {
      if (this.dead) return;
      if (err) entry.msg.datasetError ??= err;
      entry.settled = true;
      this.releaseDrain(sink);
      this.flush();
    });
  }

  private acceptData(pdv: Pdv): void {
    if (this.state === 'idle') {
      throw this.previousHadNoDataset
        ? new EdgeError('DIMSE_DATASET_NOT_DECLARED', 'data set PDV for a command whose Command Data Set Type is 0x0101 (none)')
        : new EdgeError('DIMSE_UNEXPECTED_DATASET', 'data set PDV before any command');
    }
    if (this.state === 'command') {
      throw new EdgeError('DIMSE_UNEXPECTED_DATASET', 'data set PDV before the last fragment of the command');
    }
    const entry = this.current!;
    entry.msg.datasetLength += pdv.data.length;
    const sink = entry.msg.dataset;
    const usable = sink && !entry.msg.datasetError && !sink.destroyed;
    if (usable && pdv.data.length > 0 && !sink.write(pdv.data)) this.waitDrain(sink);
    if (!pdv.last) return;
    this.state = 'idle';
    this.previousHadNoDataset = false;
    this.current = undefined;
    entry.ended = true;
    if (usable) sink.end(); // if a drain was pending, 'finish' (or an error) releases it
    this.flush();
  }

  private waitDrain(sink: Writable): void {
    if (this.waitingDrain.has(sink)) return;
    const onDrain = (): void => this.releaseDrain(sink);
    this.waitingDrain.set(sink, onDrain);
    sink.once('drain', onDrain);
  }

  private releaseDrain(sink: Writable): void {
    const onDrain = this.waitingDrain.get(sink);
    if (!onDrain) return;
    sink.off('drain', onDrain);
    this.waitingDrain.delete(sink);
    if (this.waitingDrain.size === 0 && !this.dead) this.opts.onDrain();
  }

  /** Deliver, in order, every leading message that is complete and settled. */
  private flush(): void {
    while (!this.dead && this.queue.length > 0 && this.queue[0].ended && this.queue[0].settled) {
      const { msg } = this.queue.shift()!;
      try {
        this.opts.onMessage(msg);
      } catch (e) {
        this.opts.onError(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }
}
