/**
 * Query/Retrieve SCU (PS3.4 C.4): find, move and get as a library for the CLI and the web
 * page. Each call opens one association, sends one request, reports every Pending response
 * (matches, sub-operation counts) through callbacks and resolves with the final status.
 * Aborting `signal` sends C-CANCEL-RQ (PS3.7 9.3.2.3) and waits for the peer's final answer;
 * with `cancelGraceMs`, only that long: then the association is aborted (A-ABORT).
 */
import type { Config } from '../config/types';
import type { DimseChannel, DimseMessage, DimseService } from '../dimse/channel';
import type { CommandSet } from '../dimse/command';
import { CommandField } from '../dimse/command-fields';
import { decodeIdentifier, encodeIdentifier, get as getValue, type Identifier } from '../dicom/identifier';
import { isStorageClass, STATEMENT_STORAGE_UIDS } from '../dicom/sop-classes';
import type { QueryModel } from '../store/query';
import type { ProposedContext } from '../ul/proposal';
import { EdgeError } from '../util/errors';
import type { Logger } from '../util/log';
import { QR_TAG, qrSopClass, type QrOperation } from './qr-common';
import { openChannel, type Peer } from './scu';

export interface QrConnection {
  config: Config;
  peer: Peer;
  /** Our AE title; default [Local AE] aeTitle. */
  callingAe?: string;
  log: Logger;
  /** Aborting sends C-CANCEL-RQ; the call still resolves with the peer's final response. */
  signal?: AbortSignal;
  /**
   * After C-CANCEL-RQ, wait at most this long for the final response, then A-ABORT the
   * association and reject with QR_ABORTED (a peer that ignores the cancel must not hold the
   * association until readTimeout). Also: a signal aborted before the request went out aborts
   * the association at once. Default: wait for the final response (bounded by readTimeout).
   */
  cancelGraceMs?: number;
}

export interface QrRequest extends QrConnection {
  model: QueryModel;
  identifier: Identifier;
}

export interface FindResult {
  status: number;
  matches: Identifier[];
  errorComment?: string;
  offendingElements?: number[];
  /** C-CANCEL was sent. */
  cancelled: boolean;
}

export interface RetrieveProgress {
  remaining?: number;
  completed: number;
  failed: number;
  warning: number;
}

export interface RetrieveResult extends RetrieveProgress {
  status: number;
  /** (0008,0058) of the final response. */
  failedUids: string[];
  errorComment?: string;
  cancelled: boolean;
}

/** Transfer syntaxes to propose: the remote's trSyn, else [Transfer Syntax]. */
function syntaxes(c: QrConnection): string[] {
  return c.peer.remote?.transferSyntaxes.length ? c.peer.remote.transferSyntaxes : c.config.transferSyntaxes;
}

async function open(c: QrConnection, contexts: ProposedContext[], services: DimseService[] = []): Promise<DimseChannel> {
  return openChannel({ config: c.config, peer: c.peer, callingAe: c.callingAe, log: c.log, contexts, services });
}

function qrContext(channel: DimseChannel, uid: string): number {
  const ctx = channel.findContext(uid, 'scu');
  if (!ctx) throw new EdgeError('QR_NOT_ACCEPTED', `the peer did not accept ${uid} (information model not supported)`);
  return ctx.id;
}

interface Exchange {
  final: DimseMessage;
  cancelled: boolean;
}

/**
 * Sends one Q/R request and routes the responses; identifiers of responses are decoded in
 * order (each data set is read from its sink, then the sink is freed).
 */
async function exchange(
  channel: DimseChannel, ctxId: number, command: CommandSet, identifier: Identifier, c: QrConnection,
  onResponse: (m: DimseMessage, id: Identifier | undefined) => void,
): Promise<Exchange & { finalIdentifier?: Identifier }> {
  const ts = channel.context(ctxId)!.transferSyntax;
  const messageId = channel.allocateMessageId();
  const signal = c.signal;
  let chain: Promise<unknown> = Promise.resolve();
  let finalIdentifier: Identifier | undefined;
  let cancelled = false;
  let grace: NodeJS.Timeout | undefined;
  let gaveUp = false;
  const cancel = (): void => {
    if (cancelled || !channel.assoc.established) return;
    cancelled = true;
    channel.cancel(ctxId, messageId).catch(() => undefined);
    if (c.cancelGraceMs === undefined) return;
    grace = setTimeout(() => {
      gaveUp = true;
      channel.assoc.abort(`no final response within ${c.cancelGraceMs} ms of C-CANCEL`);
    }, c.cancelGraceMs);
  };
  if (signal?.aborted) {
    // Given up while the association was being opened: nothing to cancel; with a grace, no
    // release handshake either with a peer we no longer wait for.
    if (c.cancelGraceMs !== undefined) channel.assoc.abort('cancelled before the request was sent');
    throw new EdgeError('QR_ABORTED', 'cancelled before the request was sent');
  }
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    const final = await channel.request(ctxId, { ...command, messageId }, encodeIdentifier(identifier, ts), (m) => {
      const read = readResponseIdentifier(m, ts);
      const pending = m.command.status === 0xff00 || m.command.status === 0xff01;
      chain = chain.then(() => read).then((id) => {
        if (pending) onResponse(m, id);
        else finalIdentifier = id;
      });
    });
    await chain;
    if (!pending(final)) onResponse(final, finalIdentifier);
    return { final, cancelled, finalIdentifier };
  } catch (e) {
    if (gaveUp) {
      throw new EdgeError('QR_ABORTED', `association aborted: no final response within ${c.cancelGraceMs} ms of C-CANCEL`, { cause: e });
    }
    throw e;
  } finally {
    clearTimeout(grace);
    signal?.removeEventListener('abort', cancel);
  }
}

function pending(m: DimseMessage): boolean {
  return m.command.status === 0xff00 || m.command.status === 0xff01;
}

async function readResponseIdentifier(m: DimseMessage, ts: string): Promise<Identifier | undefined> {
  const sink = m.dataset as unknown as { readAll?: () => Promise<Buffer>; dispose?: () => Promise<void> } | undefined;
  if (!sink?.readAll) return undefined;
  try {
    return decodeIdentifier(await sink.readAll(), ts);
  } finally {
    await sink.dispose?.().catch(() => undefined);
  }
}

async function withChannel<T>(channel: DimseChannel, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    if (channel.assoc.established) await channel.assoc.release().catch(() => channel.assoc.abort('release failed'));
  }
}

/** C-FIND: `onMatch` sees each match as it arrives. */
export async function find(r: QrRequest & { onMatch?(match: Identifier, n: number): void }): Promise<FindResult> {
  return findOn({ ...r, sopClassUid: qrSopClass(r.model, 'find') });
}

/** C-FIND on any FIND SOP class (a Q/R model, Modality Worklist PS3.4 K.4.1). */
export async function findOn(r: QrConnection & { sopClassUid: string; identifier: Identifier; onMatch?(match: Identifier, n: number): void }): Promise<FindResult> {
  const uid = r.sopClassUid;
  const channel = await open(r, [{ abstractSyntax: uid, transferSyntaxes: syntaxes(r), role: 'scu' }]);
  return withChannel(channel, async () => {
    const matches: Identifier[] = [];
    const x = await exchange(channel, qrContext(channel, uid), {
      commandField: CommandField.C_FIND_RQ, affectedSopClassUid: uid, priority: 0,
    }, r.identifier, r, (m, id) => {
      if (!pending(m) || !id) return;
      matches.push(id);
      r.onMatch?.(id, matches.length);
    });
    const c = x.final.command;
    return { status: c.status ?? 0xffff, matches, errorComment: c.errorComment, offendingElements: c.offendingElement, cancelled: x.cancelled };
  });
}

function progressOf(c: CommandSet): RetrieveProgress {
  return {
    remaining: c.numberOfRemainingSubOperations,
    completed: c.numberOfCompletedSubOperations ?? 0,
    failed: c.numberOfFailedSubOperations ?? 0,
    warning: c.numberOfWarningSubOperations ?? 0,
  };
}

/** Sends a C-MOVE or C-GET on an open channel and collects the counts. */
async function retrieve(
  channel: DimseChannel, r: QrRequest & { onProgress?(p: RetrieveProgress): void }, op: Extract<QrOperation, 'move' | 'get'>, extra: Partial<CommandSet>,
): Promise<RetrieveResult> {
  const uid = qrSopClass(r.model, op);
  const x = await exchange(channel, qrContext(channel, uid), {
    commandField: op === 'move' ? CommandField.C_MOVE_RQ : CommandField.C_GET_RQ, affectedSopClassUid: uid, priority: 0, ...extra,
  }, r.identifier, r, (m) => {
    if (pending(m)) r.onProgress?.(progressOf(m.command));
  });
  const c = x.final.command;
  const failed = x.finalIdentifier ? getValue(x.finalIdentifier, QR_TAG.FailedSOPInstanceUIDList) : undefined;
  return {
    status: c.status ?? 0xffff, ...progressOf(c), errorComment: c.errorComment, cancelled: x.cancelled,
    failedUids: failed ? failed.split('\\').map((u) => u.trim()).filter(Boolean) : [],
  };
}

/** C-MOVE to `destination` (an AE title the peer knows; often our own). */
export async function move(r: QrRequest & { destination: string; onProgress?(p: RetrieveProgress): void }): Promise<RetrieveResult> {
  const uid = qrSopClass(r.model, 'move');
  const channel = await open(r, [{ abstractSyntax: uid, transferSyntaxes: syntaxes(r), role: 'scu' }]);
  return withChannel(channel, () => retrieve(channel, r, 'move', { moveDestination: r.destination }));
}

export interface GetRequest extends QrRequest {
  onProgress?(p: RetrieveProgress): void;
  /** Handles the incoming C-STOREs: fileStorageService(dir) or storageScpService(store). */
  storage: DimseService;
  /** Storage classes to offer with the SCP role; default: the remote's scp classes, else the statement's. */
  storageClasses?: string[];
}

/**
 * Storage classes a C-GET proposes with the SCP role (role selection, PS3.7 D.3.3.4):
 * the remote's `scp`/`scuscp` storage classes, else every storage class of the statement.
 */
export function getStorageClasses(config: Config, peer: Peer): { uid: string; syntaxes: string[] }[] {
  const fallback = peer.remote?.transferSyntaxes.length ? peer.remote.transferSyntaxes : config.transferSyntaxes;
  const out = new Map<string, string[]>();
  for (const spec of peer.remote?.contexts ?? []) {
    if (spec.role === 'scu') continue;
    for (const uid of spec.sopClassUids) if (isStorageClass(uid) && !out.has(uid)) out.set(uid, spec.transferSyntaxes.length ? spec.transferSyntaxes : fallback);
  }
  if (out.size === 0) for (const uid of STATEMENT_STORAGE_UIDS) out.set(uid, fallback);
  return [...out].map(([uid, syntaxes]) => ({ uid, syntaxes }));
}

/** C-GET: the instances come back as C-STOREs on the same association. */
export async function get(r: GetRequest): Promise<RetrieveResult> {
  const uid = qrSopClass(r.model, 'get');
  const classes = r.storageClasses
    ? r.storageClasses.map((c) => ({ uid: c, syntaxes: syntaxes(r) }))
    : getStorageClasses(r.config, r.peer);
  const contexts: ProposedContext[] = [
    { abstractSyntax: uid, transferSyntaxes: syntaxes(r), role: 'scu' },
    ...classes.slice(0, 127).map((c): ProposedContext => ({ abstractSyntax: c.uid, transferSyntaxes: c.syntaxes, role: 'scp' })),
  ];
  const channel = await open(r, contexts, [r.storage]);
  return withChannel(channel, () => retrieve(channel, r, 'get', {}));
}

/** For messages: "0xA702" style. */
export function hexStatus(s: number): string {
  return `0x${s.toString(16).toUpperCase().padStart(4, '0')}`;
}
