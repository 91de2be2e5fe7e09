/**
 * diagnostics_channel hooks (undici habit): PDU and DIMSE traffic is published here at
 * near-zero cost when nobody listens; dumps and debug lines subscribe only when configured.
 */
import diagnostics from 'node:diagnostics_channel';

export interface PduTrace {
  associationId: string;
  direction: 'in' | 'out';
  /** The whole PDU, header included. For outgoing P-DATA the parts as written. */
  bytes: Buffer[];
}

export const pduChannel = diagnostics.channel('dicom-edge:pdu');

export function tracePdu(associationId: string, direction: 'in' | 'out', bytes: Buffer[]): void {
  if (pduChannel.hasSubscribers) pduChannel.publish({ associationId, direction, bytes } satisfies PduTrace);
}
