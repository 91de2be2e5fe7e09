/**
 * pduDump / dimseDump: subscribes to the PDU and DIMSE diagnostics channels and appends
 * records to one file per association in the dump folder. Nothing runs when both are off.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import diagnostics from 'node:diagnostics_channel';
import { join } from 'node:path';
import type { Logger } from '../util/log';
import type { PduTrace } from '../ul/channels';
import type { DimseTrace } from '../dimse/trace';
import { DUMP_MAGIC, dimsePayload, encodeRecord } from './dump-format';

export interface DumpOptions { dir: string; pdu: boolean; dimse: boolean; log: Logger }

export class DumpWriter {
  private readonly files = new Map<string, string>();
  private readonly onPdu = (m: unknown): void => this.write('pdu', m as PduTrace);
  private readonly onDimse = (m: unknown): void => this.write('dimse', m as DimseTrace);
  private failed = false;

  constructor(private readonly o: DumpOptions) {
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    if (o.pdu) diagnostics.subscribe('dicom-edge:pdu', this.onPdu);
    if (o.dimse) diagnostics.subscribe('dicom-edge:dimse', this.onDimse);
  }

  close(): void {
    if (this.o.pdu) diagnostics.unsubscribe('dicom-edge:pdu', this.onPdu);
    if (this.o.dimse) diagnostics.unsubscribe('dicom-edge:dimse', this.onDimse);
  }

  private fileFor(kind: 'pdu' | 'dimse', assocId: string): string {
    const key = `${kind}:${assocId}`;
    let f = this.files.get(key);
    if (!f) {
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
      f = join(this.o.dir, `${stamp}-${process.pid}-${assocId}.${kind}`);
      appendFileSync(f, DUMP_MAGIC, { mode: 0o600 });
      this.files.set(key, f);
    }
    return f;
  }

  private write(kind: 'pdu' | 'dimse', t: PduTrace | DimseTrace): void {
    try {
      const parts = kind === 'pdu'
        ? (t as PduTrace).bytes
        : (() => { const d = t as DimseTrace; return dimsePayload(d.contextId, d.command, d.dataset, false); })();
      appendFileSync(this.fileFor(kind, t.associationId), encodeRecord(kind, t.direction, parts));
    } catch (e) {
      // A full disk must not stop DICOM traffic: report once and keep going.
      if (!this.failed) this.o.log.warn(`dump to ${this.o.dir} failed: ${(e as Error).message}`);
      this.failed = true;
    }
  }
}
