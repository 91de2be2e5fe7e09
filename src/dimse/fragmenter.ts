/**
 * DIMSE message → P-DATA-TF PDUs (PS3.8 9.3.5, Annex E; PS3.7 section 8).
 *
 * Every PDU we produce carries exactly ONE PDV. Each yielded value is a Buffer[]:
 * a 12-byte header (PDU header + PDV item header) followed by data slices that share
 * memory with the caller's buffers (nothing is copied); write them in order (writev).
 *
 * Byte layout of the header (PS3.8 Table 9-22 and 9.3.5.1):
 *   0     PDU type 0x04
 *   1     reserved 0x00
 *   2-5   PDU length (UInt32BE) = bytes after this field = 4 + 1 + 1 + data
 *   6-9   PDV item length (UInt32BE) = context id + MCH + data = 2 + data
 *   10    presentation context id
 *   11    message control header: bit 0 = 1 command / 0 data set, bit 1 = 1 last fragment
 */
import { EdgeError } from '../util/errors';

/** PDU header (6) + PDV item length (4) + context id (1) + MCH (1). */
export const PDATA_HEADER_LENGTH = 12;
/** PDV item overhead counted inside the PDU length: item length (4) + context id (1) + MCH (1). */
export const PDV_OVERHEAD = 6;
/**
 * Bytes of data per PDU when the peer announced 0 (no limit, PS3.8 D.1) and the upper
 * bound in every case: bounds the lookahead memory of pdataFromStream and keeps one
 * PDU from monopolising the socket. Smaller than the peer's limit is always allowed.
 */
export const DEFAULT_PDV_DATA_CAP = 1024 * 1024;

/**
 * Largest data slice per PDV for a peer's Maximum Length (PS3.8 D.1: the largest
 * P-DATA-TF *variable field*, i.e. the PDU length field value the peer accepts).
 */
export function pdvDataLimit(maxPduLength: number, cap = DEFAULT_PDV_DATA_CAP): number {
  if (!Number.isInteger(maxPduLength) || maxPduLength < 0) {
    throw new EdgeError('DIMSE_BAD_MAX_PDU', `invalid maximum PDU length ${maxPduLength}`);
  }
  if (maxPduLength === 0) return cap;
  if (maxPduLength <= PDV_OVERHEAD) {
    throw new EdgeError('DIMSE_BAD_MAX_PDU', `maximum PDU length ${maxPduLength} leaves no room for PDV data`);
  }
  return Math.min(maxPduLength - PDV_OVERHEAD, cap);
}

/** The 12 header bytes of a single-PDV P-DATA-TF PDU carrying `dataLength` bytes. */
export function pdataHeader(contextId: number, isCommand: boolean, last: boolean, dataLength: number): Buffer {
  if (!Number.isInteger(contextId) || contextId < 1 || contextId > 255 || contextId % 2 === 0) {
    // PS3.8 9.3.2.2: presentation context ids are odd integers 1-255.
    throw new EdgeError('DIMSE_BAD_CONTEXT_ID', `invalid presentation context id ${contextId}`);
  }
  const h = Buffer.alloc(PDATA_HEADER_LENGTH);
  h[0] = 0x04;
  h[1] = 0x00;
  h.writeUInt32BE(PDV_OVERHEAD + dataLength, 2);
  h.writeUInt32BE(2 + dataLength, 6);
  h[10] = contextId;
  h[11] = (isCommand ? 0x01 : 0x00) | (last ? 0x02 : 0x00);
  return h;
}

/**
 * Fragment one command set or one whole in-memory data set into PDUs of at most
 * `maxPduLength` (0 = unlimited). An empty buffer still yields one PDV with the last bit.
 */
export function* pdataChunks(contextId: number, isCommand: boolean, data: Buffer, maxPduLength: number): Generator<Buffer[]> {
  const limit = pdvDataLimit(maxPduLength);
  if (data.length === 0) {
    yield [pdataHeader(contextId, isCommand, true, 0), data];
    return;
  }
  for (let off = 0; off < data.length; off += limit) {
    const end = Math.min(off + limit, data.length);
    yield [pdataHeader(contextId, isCommand, end === data.length, end - off), data.subarray(off, end)];
  }
}

/** A whole DIMSE message: the command's PDUs, then the data set's (PS3.7 8.2: command first). */
export function* messagePdus(contextId: number, command: Buffer, dataset: Buffer | undefined, maxPduLength: number): Generator<Buffer[]> {
  yield* pdataChunks(contextId, true, command, maxPduLength);
  if (dataset) yield* pdataChunks(contextId, false, dataset, maxPduLength);
}

/**
 * Re-chunk a data set arriving in arbitrary pieces (a file Readable, any async iterable
 * of Buffers) into full-size data-set PDVs. One PDV of lookahead decides which is last:
 * a PDV is only emitted when more bytes than fit are buffered, so the final PDV (and
 * only it) carries the last bit; an empty source yields one empty last PDV.
 * Pulling is the backpressure: the source is read only as fast as PDUs are consumed.
 * Yields [header, ...slices]; the slices reference the source's chunks (no copy).
 */
export async function* pdataFromStream(
  contextId: number,
  source: AsyncIterable<Buffer | Uint8Array | string>,
  maxPduLength: number,
): AsyncGenerator<Buffer[]> {
  const limit = pdvDataLimit(maxPduLength);
  let pending: Buffer[] = [];
  let pendingLength = 0;
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (chunk.length === 0) continue;
    pending.push(chunk);
    pendingLength += chunk.length;
    while (pendingLength > limit) {
      const { head, rest } = take(pending, limit);
      pending = rest;
      pendingLength -= limit;
      yield [pdataHeader(contextId, false, false, limit), ...compact(head)];
    }
  }
  yield [pdataHeader(contextId, false, true, pendingLength), ...compact(pending)];
}

/** Many tiny source chunks would make a huge writev; past a few dozen, one copy is cheaper. */
function compact(slices: Buffer[]): Buffer[] {
  return slices.length > 32 ? [Buffer.concat(slices)] : slices;
}

/** Split a list of buffers after `n` bytes, slicing (not copying) the straddling one. */
function take(list: Buffer[], n: number): { head: Buffer[]; rest: Buffer[] } {
  const head: Buffer[] = [];
  let i = 0;
  while (n > 0) {
    const b = list[i];
    if (b.length <= n) {
      head.push(b);
      n -= b.length;
      i++;
    } else {
      head.push(b.subarray(0, n));
      return { head, rest: [b.subarray(n), ...list.slice(i + 1)] };
    }
  }
  return { head, rest: list.slice(i) };
}
