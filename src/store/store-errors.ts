/**
 * Store failures carry the C-STORE status the SCP must answer with (PS3.4 B.2.3,
 * PS3.7 C). The network layer copies `status` into the C-STORE-RSP; nothing else.
 */
import { EdgeError } from '../util/errors';

export const STORE_STATUS = {
  success: 0x0000,
  /** PS3.7 C: Failure: Duplicate SOP Instance. Used for duplicates=reject (as dcm4che's storescp does). */
  duplicate: 0x0111,
  /** PS3.7 C: Failure: Invalid SOP Instance (UID construction rules violated). */
  invalidSopInstance: 0x0117,
  /** PS3.7 C: Failure: Processing failure (unexpected internal error). */
  processingFailure: 0x0110,
  /** PS3.4 B.2.3: Refused: Out of Resources (A7xx). */
  outOfResources: 0xa700,
  /** PS3.4 B.2.3: Error: Data Set does not match SOP Class (A9xx). */
  dataSetMismatch: 0xa900,
  /** PS3.4 B.2.3: Error: Cannot understand (Cxxx). */
  cannotUnderstand: 0xc000,
} as const;

export class StoreError extends EdgeError {
  readonly status: number;
  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StoreError';
    this.status = status;
  }
}

/** errno codes that mean "the machine cannot keep this now": answer A700. */
const RESOURCE_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EFBIG', 'ENOMEM', 'EMFILE', 'ENFILE', 'EROFS', 'EAGAIN', 'EACCES', 'EPERM']);

/** Maps any error raised while storing to a StoreError with the right status. */
export function toStoreError(e: unknown, stage: string): StoreError {
  if (e instanceof StoreError) return e;
  const code = (e as { code?: unknown })?.code;
  const msg = e instanceof Error ? e.message : String(e);
  if (typeof code === 'string' && (RESOURCE_ERRNOS.has(code) || code.startsWith('SQLITE_FULL') || code.startsWith('SQLITE_IOERR'))) {
    return new StoreError('STORE_OUT_OF_RESOURCES', STORE_STATUS.outOfResources, `${stage}: ${code}: ${msg}`, { cause: e });
  }
  return new StoreError('STORE_FAILED', STORE_STATUS.processingFailure, `${stage}: ${msg}`, { cause: e });
}
