/**
 * The Modality Performed Procedure Step SOP class rules (PS3.4 F.7.2), pure:
 *  - N-CREATE: Performed Procedure Step Status (0040,0252) shall be IN PROGRESS;
 *  - N-SET: only while IN PROGRESS; the new status IN PROGRESS, COMPLETED or DISCONTINUED;
 *    the attributes given replace the current ones (F.7.2.2: a zero-length value empties it);
 *  - statuses (PS3.4 F.7.2.1.2 / F.7.2.2.2, PS3.7 C): 0111 duplicate, 0112 no such
 *    instance, 0106 invalid value, 0120 missing attribute, 0110 "may no longer be updated".
 * And what a relay peer's status means for the queued message.
 */
import { get, type Identifier } from '../dicom/identifier';

export const MPPS_SOP_CLASS = '1.2.840.10008.3.1.2.3.3';
export const TAG_PPS_STATUS = 0x00400252;

export const MPPS_STATUS = {
  success: 0x0000,
  processingFailure: 0x0110,
  duplicateInstance: 0x0111,
  noSuchInstance: 0x0112,
  invalidAttributeValue: 0x0106,
  missingAttribute: 0x0120,
} as const;

const FINAL = new Set(['COMPLETED', 'DISCONTINUED']);
const ALLOWED = new Set(['IN PROGRESS', ...FINAL]);

export interface Refusal {
  status: number;
  comment: string;
  offending?: number;
}

/** Checks an N-CREATE's attributes; undefined when acceptable. */
export function checkCreate(attrs: Identifier): Refusal | undefined {
  const status = get(attrs, TAG_PPS_STATUS)?.trim();
  if (!status) return { status: MPPS_STATUS.missingAttribute, comment: 'Performed Procedure Step Status missing', offending: TAG_PPS_STATUS };
  if (status !== 'IN PROGRESS') return { status: MPPS_STATUS.invalidAttributeValue, comment: `N-CREATE status must be IN PROGRESS, not ${status}`, offending: TAG_PPS_STATUS };
  return undefined;
}

/** Checks an N-SET against the current status; undefined when acceptable. */
export function checkSet(currentStatus: string, mods: Identifier): Refusal | undefined {
  if (FINAL.has(currentStatus)) return { status: MPPS_STATUS.processingFailure, comment: 'Performed Procedure Step Object may no longer be updated' };
  const next = get(mods, TAG_PPS_STATUS)?.trim();
  if (next !== undefined && !ALLOWED.has(next)) return { status: MPPS_STATUS.invalidAttributeValue, comment: `invalid Performed Procedure Step Status ${next}`, offending: TAG_PPS_STATUS };
  return undefined;
}

/** The attributes after an N-SET: each given top-level attribute replaces the current one. */
export function applySet(current: Identifier, mods: Identifier): Identifier {
  const out = current.filter((e) => !mods.some((m) => m.tag === e.tag));
  out.push(...mods);
  return out.sort((a, b) => a.tag - b.tag);
}

export function statusOf(attrs: Identifier): string {
  return get(attrs, TAG_PPS_STATUS)?.trim() ?? '';
}

/**
 * What the relay peer's answer means for a message: delivered (Success, warnings, and
 * 0111 to an N-CREATE: a resend after a lost response), dead (the same message can never
 * succeed: attribute errors, unknown class/instance, no longer updatable), else retry.
 */
export function relayVerdict(status: number, kind: 'create' | 'set'): 'delivered' | 'retry' | 'dead' {
  if (status === 0x0000 || (status & 0xf000) === 0xb000 || status === 0x0107 || status === 0x0116) return 'delivered';
  if (status === MPPS_STATUS.duplicateInstance && kind === 'create') return 'delivered';
  const dead = [0x0105, 0x0106, 0x0110, 0x0112, 0x0117, 0x0118, 0x0119, 0x0120, 0x0121, 0x0122, 0x0123, 0x0124, 0x0210, 0x0211, 0x0212];
  if (dead.includes(status)) return 'dead';
  return 'retry';
}
