/**
 * The dump file format written by pduDump/dimseDump and read by `dicom-edge pdudump`.
 *   file   = "DEDUMP1\n" record*
 *   record = kind (1: 'P' PDU, 'D' DIMSE) dir (1: '<' received, '>' sent)
 *            time (8: ms since epoch, uint64 BE) length (4, BE) payload
 *   PDU payload   = the whole PDU as on the wire (header included)
 *   DIMSE payload = context id (1) flags (1: bit0 data set present but not captured)
 *                   command length (4, BE) command set (implicit VR LE) data set (rest)
 * Files without the magic are read as bare PDUs back to back (e.g. a capture's payload).
 */
export const DUMP_MAGIC = Buffer.from('DEDUMP1\n', 'latin1');

export interface DumpRecord {
  kind: 'pdu' | 'dimse';
  direction: 'in' | 'out';
  time: Date;
  payload: Buffer;
}

export function encodeRecord(kind: 'pdu' | 'dimse', direction: 'in' | 'out', parts: Buffer[]): Buffer {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const head = Buffer.alloc(14);
  head[0] = kind === 'pdu' ? 0x50 : 0x44;
  head[1] = direction === 'in' ? 0x3c : 0x3e;
  head.writeBigUInt64BE(BigInt(Date.now()), 2);
  head.writeUInt32BE(length, 10);
  return Buffer.concat([head, ...parts]);
}

export function dimsePayload(contextId: number, command: Buffer, dataset: Buffer | undefined, uncaptured: boolean): Buffer[] {
  const head = Buffer.alloc(6);
  head[0] = contextId;
  head[1] = uncaptured ? 1 : 0;
  head.writeUInt32BE(command.length, 2);
  return dataset ? [head, command, dataset] : [head, command];
}

export function decodeDimsePayload(p: Buffer): { contextId: number; uncaptured: boolean; command: Buffer; dataset: Buffer } {
  const len = p.readUInt32BE(2);
  return { contextId: p[0], uncaptured: (p[1] & 1) === 1, command: p.subarray(6, 6 + len), dataset: p.subarray(6 + len) };
}

/** All records of a dump file; a truncated tail (agent killed mid-write) ends the list with `truncated`. */
export function readRecords(buf: Buffer): { records: DumpRecord[]; truncated: boolean } {
  const records: DumpRecord[] = [];
  if (!buf.subarray(0, DUMP_MAGIC.length).equals(DUMP_MAGIC)) return readBarePdus(buf);
  let off = DUMP_MAGIC.length;
  while (off + 14 <= buf.length) {
    const len = buf.readUInt32BE(off + 10);
    if (off + 14 + len > buf.length) return { records, truncated: true };
    records.push({
      kind: buf[off] === 0x50 ? 'pdu' : 'dimse',
      direction: buf[off + 1] === 0x3c ? 'in' : 'out',
      time: new Date(Number(buf.readBigUInt64BE(off + 2))),
      payload: buf.subarray(off + 14, off + 14 + len),
    });
    off += 14 + len;
  }
  return { records, truncated: off !== buf.length };
}

function readBarePdus(buf: Buffer): { records: DumpRecord[]; truncated: boolean } {
  const records: DumpRecord[] = [];
  let off = 0;
  while (off + 6 <= buf.length) {
    const len = buf.readUInt32BE(off + 2);
    if (off + 6 + len > buf.length) return { records, truncated: true };
    records.push({ kind: 'pdu', direction: 'in', time: new Date(0), payload: buf.subarray(off, off + 6 + len) });
    off += 6 + len;
  }
  return { records, truncated: off !== buf.length };
}
