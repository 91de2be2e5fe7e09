/**
 * Flow control of the peer's requests on one association, against the Asynchronous
 * Operations Window of the A-ASSOCIATE-AC (PS3.7 D.3.3.3): counts the requests outstanding
 * (peak logged at close), warns once when a requestor goes past its window, and as acceptor
 * stops reading the socket while it has OUTSTANDING_SLACK requests past it. A peer that
 * ignores its window (each request holds a file, buffers and a promise chain) thus cannot
 * grow our memory without bound: TCP holds it back, nothing is refused. A peer within its
 * window is never paused (its C-CANCEL and A-RELEASE-RQ are always read), nor is any peer
 * while we await one of its responses on the association (a C-GET SCP's C-STORE
 * sub-operations: pausing would deadlock). No cap where we are the requestor.
 */
import type { Logger } from '../util/log';
import type { Association } from '../ul/association';

/** Requests a peer may have outstanding past its negotiated window before reading pauses. */
export const OUTSTANDING_SLACK = 16;
/** For a window granted as 0 (unlimited; we never grant it, a test peer may claim it). */
const DEFAULT_UNLIMITED_WINDOW = 64;

export class PeerWindow {
  /** Most of the peer's requests outstanding at once. */
  peak = 0;
  private warned = false;
  /** Reading stopped by this window (the assembler's backpressure is separate). */
  private paused = false;

  constructor(
    private readonly assoc: Association,
    private readonly log: Logger,
    /** The peer's requests dispatched and not yet answered. */
    private readonly outstanding: () => number,
  ) {}

  /** Before dispatching one more request of the peer; `awaitingPeer`: we wait for one of its responses. */
  admit(awaitingPeer: boolean): void {
    const n = this.outstanding() + 1;
    this.peak = Math.max(this.peak, n);
    const window = this.assoc.requestorOpsWindow;
    if (this.assoc.role === 'acceptor' && window > 0 && n > window && !this.warned) {
      this.warned = true;
      this.log.warn(`${this.assoc.id} ${n} requests outstanding, more than the ${window} negotiated (asynchronous operations window); served, reading pauses at ${this.cap()}`);
    }
    if (n >= this.cap() && !this.paused && !awaitingPeer) {
      this.paused = true;
      this.assoc.pauseReading();
    }
  }

  /** A request of the peer ended (answered or failed). */
  released(): void {
    if (this.outstanding() < this.cap()) this.resume();
  }

  /** Reading again (we send a request whose response must be read, or the window freed up). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.assoc.resumeReading(); // a sink still draining pauses it again (advisory contract)
  }

  /** The assembler's sinks drained: resume unless this window holds reading. */
  drained(): void {
    if (!this.paused) this.assoc.resumeReading();
  }

  /** Log line at close, when the peer had requests outstanding together. */
  summary(): string | undefined {
    if (this.peak <= 1) return undefined;
    return `${this.assoc.id} served up to ${this.peak} requests at once (asynchronous operations window ${this.assoc.requestorOpsWindow || 'unlimited'})`;
  }

  private cap(): number {
    if (this.assoc.role !== 'acceptor') return Infinity;
    const window = this.assoc.requestorOpsWindow;
    return (window > 0 ? window : DEFAULT_UNLIMITED_WINDOW) + OUTSTANDING_SLACK;
  }
}
