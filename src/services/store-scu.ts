/**
 * Storage Service Class, SCU role: send Part 10 files over one association, each
 * streamed from disk (never whole in memory), converted between the three uncompressed
 * syntaxes only when the peer did not accept the file's own syntax. Shared by the
 * `store` command, the forwarder and C-MOVE/C-GET sub-operations.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import type { DimseChannel } from '../dimse/channel';
import { CommandField } from '../dimse/command-fields';
import type { CommandSet } from '../dimse/command';
import { readPart10MetaFromFile } from '../dicom/part10-reader';
import { createConverter, isConvertibleTransferSyntax } from '../dicom/ts-convert';
import type { ProposedContext } from '../ul/proposal';
import type { NegotiatedContext } from '../ul/negotiation';
import { errorMessage } from '../util/errors';
import { nodeStoreFs } from '../store/store-fs';

export interface SendableInstance {
  path: string;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** Byte offset of the data set in the file (after the File Meta Information). */
  datasetOffset: number;
  size: number;
}

export interface SendResult {
  instance: SendableInstance;
  status: number;
  /** Status category: success, warning, failure. */
  outcome: 'success' | 'warning' | 'failure';
  transferSyntaxUid?: string;
  error?: string;
}

/** Reads the File Meta Information; undefined (with a reason) for non-DICOM files. */
export async function describeFile(path: string): Promise<SendableInstance | { path: string; error: string }> {
  try {
    const [m, st] = await Promise.all([readPart10MetaFromFile(path), stat(path)]);
    return { path, sopClassUid: m.sopClassUid, sopInstanceUid: m.sopInstanceUid, transferSyntaxUid: m.transferSyntaxUid, datasetOffset: m.datasetOffset, size: st.size - m.datasetOffset };
  } catch (e) {
    return { path, error: errorMessage(e) };
  }
}

/** Files and directories (recursively, sorted) → Part 10 instances and the rest as skipped. */
export async function scanInputs(inputs: string[]): Promise<{ instances: SendableInstance[]; skipped: { path: string; error: string }[] }> {
  const instances: SendableInstance[] = [];
  const skipped: { path: string; error: string }[] = [];
  const visit = async (p: string): Promise<void> => {
    const st = await stat(p).catch((e: Error) => e);
    if (st instanceof Error) { skipped.push({ path: p, error: st.message }); return; }
    if (st.isDirectory()) {
      for (const name of (await readdir(p)).sort()) await visit(join(p, name));
      return;
    }
    const d = await describeFile(p);
    if ('error' in d) skipped.push(d); else instances.push(d);
  };
  for (const i of inputs) await visit(i);
  return { instances, skipped };
}

/**
 * Contexts for a set of instances: per SOP class, one context per syntax the files have
 * (so they go as they are), plus one with every allowed syntax (for conversion).
 * Falls back to only the latter when that exceeds the 128-context limit.
 */
export function storageContexts(instances: SendableInstance[], allowed: (sopClassUid: string) => string[]): ProposedContext[] {
  const exact = new Map<string, ProposedContext>();
  const fallback = new Map<string, ProposedContext>();
  for (const i of instances) {
    const key = `${i.sopClassUid}|${i.transferSyntaxUid}`;
    if (!exact.has(key)) exact.set(key, { abstractSyntax: i.sopClassUid, transferSyntaxes: [i.transferSyntaxUid], role: 'scu' });
    if (!fallback.has(i.sopClassUid)) fallback.set(i.sopClassUid, { abstractSyntax: i.sopClassUid, transferSyntaxes: allowed(i.sopClassUid), role: 'scu' });
  }
  const all = [...exact.values(), ...fallback.values()];
  return all.length <= 128 ? all : [...fallback.values()].slice(0, 128);
}

/** The accepted context to use for an instance and whether conversion is needed. */
export function pickContext(channel: DimseChannel, i: SendableInstance): { ctx: NegotiatedContext; convert: boolean } | undefined {
  const same = channel.findContext(i.sopClassUid, 'scu', i.transferSyntaxUid);
  if (same) return { ctx: same, convert: false };
  if (!isConvertibleTransferSyntax(i.transferSyntaxUid)) return undefined;
  for (const c of channel.assoc.contexts.values()) {
    if (c.abstractSyntax === i.sopClassUid && c.weAreScu && isConvertibleTransferSyntax(c.transferSyntax)) return { ctx: c, convert: true };
  }
  return undefined;
}

export function outcomeOf(status: number): SendResult['outcome'] {
  if (status === 0) return 'success';
  // PS3.4 B.2.3: B000 coercion, B007 mismatch, B006 elements discarded; 0001/01xx-style warnings.
  if ((status & 0xf000) === 0xb000 || status === 0x0001 || status === 0x0107 || status === 0x0116) return 'warning';
  return 'failure';
}

/**
 * Data sets up to this size are read whole with one read (and can be read ahead while the
 * previous instance is on the wire); larger ones are streamed from disk.
 */
export const PRELOAD_MAX = 4 * 1024 * 1024;

/** The data set's bytes, read with one positioned read, when it is at most PRELOAD_MAX; else undefined (stream it). */
export async function preloadDataset(i: SendableInstance): Promise<Buffer | undefined> {
  if (i.size > PRELOAD_MAX) return undefined;
  const buf = await nodeStoreFs.readAt(i.path, i.datasetOffset, i.size);
  if (buf.length < i.size) throw new Error(`${i.path}: file ended ${i.size - buf.length} bytes early`);
  return buf;
}

/**
 * One C-STORE; `extra` adds Move Originator fields for C-MOVE sub-operations. `preloaded`
 * is the data set as preloadDataset read it (by a caller that reads ahead); without it
 * small data sets are read here (a failed read ahead is thus retried, its error reported)
 * and large ones streamed.
 */
export async function sendInstance(channel: DimseChannel, i: SendableInstance, extra: Partial<CommandSet> = {}, preloaded?: Buffer): Promise<SendResult> {
  const pick = pickContext(channel, i);
  if (!pick) {
    return { instance: i, status: 0x0122, outcome: 'failure', error: `no accepted presentation context for ${i.sopClassUid} in a usable transfer syntax` };
  }
  const bytes = preloaded ?? await preloadDataset(i);
  const raw = bytes && !pick.convert ? undefined : bytes ? Readable.from([bytes], { objectMode: false }) : createReadStream(i.path, { start: i.datasetOffset, highWaterMark: 256 * 1024 });
  const body = raw && pick.convert ? raw.pipe(createConverter(i.transferSyntaxUid, pick.ctx.transferSyntax)) : raw ?? bytes;
  try {
    const rsp = await channel.request(pick.ctx.id, {
      commandField: CommandField.C_STORE_RQ, affectedSopClassUid: i.sopClassUid, affectedSopInstanceUid: i.sopInstanceUid, priority: 0, ...extra,
    }, body);
    const status = rsp.command.status ?? 0xffff;
    return { instance: i, status, outcome: outcomeOf(status), transferSyntaxUid: pick.ctx.transferSyntax, error: rsp.command.errorComment };
  } catch (e) {
    raw?.destroy();
    throw e;
  }
}
