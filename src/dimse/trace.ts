/**
 * DIMSE messages published on a diagnostics channel; the dimseDump writer subscribes.
 * Data sets are included when they are in memory (outgoing buffers); streamed ones are
 * noted by the dump as not captured, so a dump never doubles the memory of a transfer.
 */
import diagnostics from 'node:diagnostics_channel';

export interface DimseTrace {
  associationId: string;
  direction: 'in' | 'out';
  contextId: number;
  command: Buffer;
  dataset?: Buffer;
}

export const dimseChannel = diagnostics.channel('dicom-edge:dimse');

export function traceDimse(associationId: string, direction: 'in' | 'out', contextId: number, command: Buffer, dataset: unknown): void {
  if (!dimseChannel.hasSubscribers) return;
  const t: DimseTrace = { associationId, direction, contextId, command, dataset: Buffer.isBuffer(dataset) ? dataset : undefined };
  dimseChannel.publish(t);
}
