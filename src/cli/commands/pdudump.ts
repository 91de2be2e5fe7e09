/**
 * `dicom-edge pdudump [-d] FILE...`: prints dump files readably, like the statement's
 * pdudump tool: PDUs by default, DIMSE messages with -d.
 */
import { readFileSync } from 'node:fs';
import { decodeCommand, dumpCommand, hasDataset } from '../../dimse/command';
import { decodeDimsePayload, readRecords, type DumpRecord } from '../../dump/dump-format';
import { dumpPdu } from '../../ul/pdu-format';
import { decodePdu } from '../../ul/pdu-reader';
import { errorMessage } from '../../util/errors';
import { parseArgs, bool } from '../args';

export const usage = 'pdudump [-d] FILE...';

function header(r: DumpRecord, n: number): string {
  const when = r.time.getTime() ? r.time.toISOString() : '-';
  return `#${n} ${when} ${r.direction === 'in' ? 'received' : 'sent'} (${r.payload.length} bytes)`;
}

export function formatPduRecord(r: DumpRecord, n: number): string {
  try {
    return `${header(r, n)}\n${dumpPdu(decodePdu(r.payload[0], r.payload.subarray(6)))}`;
  } catch (e) {
    return `${header(r, n)}\n  undecodable PDU: ${errorMessage(e)}\n  ${r.payload.subarray(0, 64).toString('hex')}`;
  }
}

export function formatDimseRecord(r: DumpRecord, n: number): string {
  try {
    const d = decodeDimsePayload(r.payload);
    const cmd = decodeCommand(d.command);
    const ds = d.dataset.length ? `data set: ${d.dataset.length} bytes` : hasDataset(cmd) ? 'data set: streamed, not captured' : 'no data set';
    return `${header(r, n)} context ${d.contextId}\n${dumpCommand(cmd)}\n  ${ds}`;
  } catch (e) {
    return `${header(r, n)}\n  undecodable DIMSE record: ${errorMessage(e)}`;
  }
}

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, [{ names: ['-d', '--dimse'], key: 'dimse' }]);
  if (a.positionals.length === 0) {
    process.stderr.write(`usage: dicom-edge ${usage}\n`);
    return 2;
  }
  const wantDimse = bool(a, 'dimse');
  let bad = 0;
  for (const file of a.positionals) {
    let buf: Buffer;
    try { buf = readFileSync(file); } catch (e) { process.stderr.write(`${file}: ${errorMessage(e)}\n`); bad++; continue; }
    const { records, truncated } = readRecords(buf);
    process.stdout.write(`== ${file}: ${records.length} record(s)${truncated ? ', truncated at the end' : ''}\n`);
    records.forEach((r, i) => {
      if (wantDimse && r.kind === 'dimse') process.stdout.write(formatDimseRecord(r, i + 1) + '\n');
      else if (!wantDimse && r.kind === 'pdu') process.stdout.write(formatPduRecord(r, i + 1) + '\n');
    });
  }
  return bad ? 1 : 0;
}
