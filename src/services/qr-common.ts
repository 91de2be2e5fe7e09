/**
 * Pieces shared by the Query/Retrieve SCPs and SCU (PS3.4 Annex C): SOP class ↔
 * information model, reading a request's Identifier, the response statuses of
 * C.4.1.1.4 (C-FIND), C.4.2.1.5 (C-MOVE) and C.4.3.1.4 (C-GET), and the sub-operation
 * counters of C-MOVE/C-GET.
 */
import type { DimseMessage } from '../dimse/channel';
import { errorCommentText, type CommandSet } from '../dimse/command';
import { decodeIdentifier, encodeIdentifier, type Identifier } from '../dicom/identifier';
import { sopClassInfo, type SopCategory } from '../dicom/sop-classes';
import { QueryError, QUERY_STATUS, type QueryModel, type RetrieveInstance } from '../store/query';
import type { SendableInstance, SendResult } from './store-scu';
import { errorMessage } from '../util/errors';

export type QrOperation = 'find' | 'move' | 'get';

const QR_ROOT = '1.2.840.10008.5.1.4.1.2.';
const MODEL_ARC: Record<QueryModel, string> = { patient: '1', study: '2', patientStudyOnly: '3' };
const OP_ARC: Record<QrOperation, string> = { find: '1', move: '2', get: '3' };

/** PS3.4 C.6.x.2 SOP class UIDs: 1.2.840.10008.5.1.4.1.2.<model>.<operation>. */
export function qrSopClass(model: QueryModel, op: QrOperation): string {
  return `${QR_ROOT}${MODEL_ARC[model]}.${OP_ARC[op]}`;
}

/** The information model of a Q/R SOP class of the given operation, else undefined. */
export function qrModelOf(sopClassUid: string, op: QrOperation): QueryModel | undefined {
  const info = sopClassInfo(sopClassUid);
  if (!info || info.category !== (`qr-${op}` as SopCategory)) return undefined;
  return info.model === 'patient' ? 'patient' : info.model === 'study' ? 'study' : info.model === 'patient-study' ? 'patientStudyOnly' : undefined;
}

/** Our own FIND/MOVE/GET: the model → the `-P/-S/-O` letters of DCMTK. */
export const MODEL_FLAGS: Record<string, QueryModel> = { P: 'patient', S: 'study', O: 'patientStudyOnly' };

/** Element tags the Q/R services use outside the query keys. */
export const QR_TAG = { FailedSOPInstanceUIDList: 0x00080058 } as const;

interface ReadableSink { readAll(): Promise<Buffer> }

/**
 * The request's Identifier (PS3.7 9.1.2.1 / 9.1.3.1 / 9.1.4.1: mandatory). Missing →
 * A900 (identifier does not match SOP class); undecodable → C000 (unable to process).
 */
export async function readRequestIdentifier(message: DimseMessage, transferSyntaxUid: string): Promise<Identifier> {
  if (message.datasetError) throw new QueryError(QUERY_STATUS.unableToProcess, `identifier not received: ${errorMessage(message.datasetError)}`, [], message.datasetError);
  const sink = message.dataset as unknown as Partial<ReadableSink> | undefined;
  if (!sink || typeof sink.readAll !== 'function') throw new QueryError(QUERY_STATUS.identifierDoesNotMatch, 'request has no identifier');
  let bytes: Buffer;
  try {
    bytes = await sink.readAll();
  } catch (e) {
    throw new QueryError(QUERY_STATUS.unableToProcess, `identifier unreadable: ${errorMessage(e)}`, [], e);
  }
  try {
    return decodeIdentifier(bytes, transferSyntaxUid);
  } catch (e) {
    throw new QueryError(QUERY_STATUS.unableToProcess, `identifier cannot be decoded: ${errorMessage(e)}`, [], e);
  }
}

/** A failure response's fields for any error: QueryError keeps its status, the rest is C000. */
export function failureFields(e: unknown): Pick<CommandSet, 'status' | 'errorComment' | 'offendingElement'> {
  if (e instanceof QueryError) {
    return { status: e.status, errorComment: errorCommentText(e.errorComment), offendingElement: e.offendingElements.length ? e.offendingElements : undefined };
  }
  return { status: QUERY_STATUS.unableToProcess, errorComment: errorCommentText(errorMessage(e)) };
}

/** An engine result → what store-scu sends (the index keeps the file size; the data set is the rest). */
export function toSendable(r: RetrieveInstance): SendableInstance {
  return {
    path: r.path, sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntaxUid,
    datasetOffset: r.dataSetOffset, size: Math.max(0, r.size - r.dataSetOffset),
  };
}

/** Counts of C-MOVE/C-GET sub-operations (PS3.7 9.3.3.2 / 9.3.4.2 fields). */
export class SubOperations {
  completed = 0;
  failed = 0;
  warning = 0;
  readonly failedUids: string[] = [];
  constructor(public remaining: number) {}

  record(r: Pick<SendResult, 'outcome'>, sopInstanceUid: string): void {
    this.remaining = Math.max(0, this.remaining - 1);
    if (r.outcome === 'success') this.completed++;
    else if (r.outcome === 'warning') this.warning++;
    else {
      this.failed++;
      this.failedUids.push(sopInstanceUid);
    }
  }

  /** Every remaining sub-operation counted as failed (e.g. the destination cannot be reached). */
  failRest(uids: string[]): void {
    for (const u of uids) this.record({ outcome: 'failure' }, u);
  }

  /**
   * PS3.4 C.4.2.3.1 / C.4.3.3.1 final status: 0000 all complete; B000 one or more failures
   * or warnings; when every sub-operation failed, A702 (Refused: out of resources, unable
   * to perform sub-operations), as DCMTK's dcmqrscp does.
   */
  finalStatus(): number {
    if (this.failed > 0 && this.completed + this.warning === 0) return 0xa702;
    if (this.failed > 0 || this.warning > 0) return 0xb000;
    return 0x0000;
  }

  /**
   * Count fields of a response. PS3.4 C.4.2.1.6 / C.4.3.1.5: Remaining only in Pending
   * (and Cancel) responses; completed/failed/warning in every one.
   */
  fields(status: number): Partial<CommandSet> {
    const withRemaining = status === 0xff00 || status === 0xfe00;
    return {
      numberOfRemainingSubOperations: withRemaining ? this.remaining : undefined,
      numberOfCompletedSubOperations: this.completed,
      numberOfFailedSubOperations: this.failed,
      numberOfWarningSubOperations: this.warning,
    };
  }

  /** The final response's Identifier: Failed SOP Instance UID List (0008,0058) when any failed. */
  failedIdentifier(transferSyntaxUid: string): Buffer | undefined {
    if (this.failedUids.length === 0) return undefined;
    // Explicit VR UI has a 16-bit length: keep the list within 65534 bytes.
    let list = '';
    for (const uid of this.failedUids) {
      const next = list ? `${list}\\${uid}` : uid;
      if (next.length > 65534) break;
      list = next;
    }
    return encodeIdentifier([{ tag: QR_TAG.FailedSOPInstanceUIDList, vr: 'UI', value: list }], transferSyntaxUid);
  }
}
