/**
 * Storage SCP for the C-GET SCU side: each C-STORE sub-operation's data set streams into
 * `<dir>/<SOP Instance UID>.dcm.tmp` behind a File Meta Information header (PS3.10 7.1),
 * then is renamed into place before the C-STORE-RSP is sent. For `get -od DIR`; a caller
 * that wants the instances in the agent's store passes storageScpService(store) instead.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { DimseService, RequestContext } from '../dimse/channel';
import { errorCommentText } from '../dimse/command';
import { CommandField } from '../dimse/command-fields';
import { buildFileMeta } from '../store/part10';
import { errorMessage } from '../util/errors';

export interface FileStorageOptions {
  dir: string;
  implementationClassUid: string;
  implementationVersionName?: string;
  /** Our AE title (Source/Receiving AE Title in the meta). */
  aeTitle?: string;
  /** After each C-STORE-RSP: the file written, or the failure. */
  onInstance?(e: { sopClassUid: string; sopInstanceUid: string; path?: string; status: number; error?: string }): void;
}

const UID = /^[0-9]+(\.[0-9]+)*$/;

/** A Part 10 file being written: header first, then the data set as it arrives. */
export class Part10FileSink extends Writable {
  private file?: FileHandle;
  private committed = false;
  readonly tmpPath: string;

  constructor(readonly finalPath: string, private readonly meta: Buffer) {
    super({ autoDestroy: false });
    this.tmpPath = `${finalPath}.tmp`;
  }

  private async handle(): Promise<FileHandle> {
    if (!this.file) {
      this.file = await open(this.tmpPath, 'w', 0o644);
      await this.file.write(this.meta);
    }
    return this.file;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.handle().then((f) => f.write(chunk)).then(() => cb(), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.handle().then((f) => f.close()).then(() => { this.file = undefined; cb(); }, cb);
  }

  /** Moves the finished file into place. */
  async commit(): Promise<string> {
    await rename(this.tmpPath, this.finalPath);
    this.committed = true;
    return this.finalPath;
  }

  /** Called by the channel when the request is done: removes an uncommitted file. */
  async dispose(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    if (!this.committed) await rm(this.tmpPath, { force: true });
  }
}

export function fileStorageService(o: FileStorageOptions): DimseService {
  return {
    name: 'get-file-storage',
    handles: (cmd, ctx) => cmd.commandField === CommandField.C_STORE_RQ && ctx.weAreScp,
    openSink: (cmd, ctx) => {
      const uid = (cmd.affectedSopInstanceUid ?? '').trim();
      const name = UID.test(uid) && uid.length <= 64 ? `${uid}.dcm` : `invalid-${process.pid}-${Date.now()}.dcm`;
      return new Part10FileSink(join(o.dir, name), buildFileMeta({
        mediaStorageSopClassUid: (cmd.affectedSopClassUid ?? '').trim(), mediaStorageSopInstanceUid: uid,
        transferSyntaxUid: ctx.transferSyntax, implementationClassUid: o.implementationClassUid,
        implementationVersionName: o.implementationVersionName, sourceAeTitle: o.aeTitle, receivingAeTitle: o.aeTitle,
      }));
    },
    handle: (rc) => storeFile(o, rc),
  };
}

async function storeFile(o: FileStorageOptions, { channel, message }: RequestContext): Promise<void> {
  const cmd = message.command;
  const sopClassUid = (cmd.affectedSopClassUid ?? '').trim();
  const sopInstanceUid = (cmd.affectedSopInstanceUid ?? '').trim();
  let status = 0x0000;
  let error: string | undefined;
  let path: string | undefined;
  try {
    if (!UID.test(sopInstanceUid)) throw new Error(`invalid SOP Instance UID ${JSON.stringify(sopInstanceUid)}`);
    if (message.datasetError) throw message.datasetError;
    const sink = message.dataset;
    if (!(sink instanceof Part10FileSink)) throw new Error('C-STORE-RQ without a data set');
    path = await sink.commit();
  } catch (e) {
    // PS3.4 B.2.3: A700 out of resources for write problems, C000 for requests we cannot use.
    status = /UID|data set/.test(errorMessage(e)) ? 0xc000 : 0xa700;
    error = errorCommentText(errorMessage(e));
  }
  await channel.send(message.contextId, {
    commandField: CommandField.C_STORE_RSP, messageIdBeingRespondedTo: cmd.messageId,
    affectedSopClassUid: sopClassUid, affectedSopInstanceUid: sopInstanceUid, status, errorComment: error,
  }).catch(() => undefined);
  o.onInstance?.({ sopClassUid, sopInstanceUid, path, status, error });
}
