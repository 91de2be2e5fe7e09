/**
 * Item framing shared by the PDU reader and writer, and the User Information
 * sub-items of PS3.7 Annex D (0x51-0x58). Pure functions over bytes.
 *
 * Every item has the same header (PS3.8 9.3.2.1 ff.): byte 1 item-type,
 * byte 2 reserved (sent 00H, not tested), bytes 3-4 item-length (big endian),
 * then `item-length` bytes of value.
 */
import { PduError } from '../util/errors';
import { BufferReader, BufferWriter } from './bytes';
import { ItemType, emptyUserInfo, type UserInformation } from './pdu-types';

export function hex2(n: number): string {
  return '0x' + n.toString(16).padStart(2, '0');
}

/** UIDs: PS3.8 Annex F says no padding, but some peers pad with NUL or space (PS3.5 9.1). */
export function trimUid(s: string): string {
  return s.replace(/[\0 ]+$/, '');
}

/** AE titles: PS3.8 9.3.2 "leading and trailing spaces (20H) being non-significant"; NULs too. */
export function trimAeTitle(s: string): string {
  return s.replace(/^[\0 ]+/, '').replace(/[\0 ]+$/, '');
}

export interface RawItem {
  type: number;
  value: BufferReader;
}

/** Splits `r` into items. An item header or length that overruns the parent throws (reason 6). */
export function* readItems(r: BufferReader, parent: string): Generator<RawItem> {
  while (r.remaining > 0) {
    if (r.remaining < 4) {
      throw new PduError('PDU_ITEM_OVERRUN', `${parent}: ${r.remaining} trailing bytes are too few for an item header`, 6);
    }
    const type = r.u8();
    r.skip(1); // reserved, not tested
    const length = r.u16();
    if (length > r.remaining) {
      throw new PduError(
        'PDU_ITEM_OVERRUN',
        `${parent}: item ${hex2(type)} length ${length} overruns its parent (${r.remaining} bytes left)`,
        6,
      );
    }
    yield { type, value: r.sub(length, `item ${hex2(type)}`) };
  }
}

/** The rest of an item's value as a UID, padding removed. */
export function readUidValue(r: BufferReader): string {
  return trimUid(r.ascii(r.remaining));
}

/** A 2-byte length followed by that many bytes of UID (role selection, extended negotiation). */
function readLengthPrefixedUid(r: BufferReader): string {
  return trimUid(r.ascii(r.u16()));
}

function badItem(type: number, why: string): PduError {
  return new PduError('PDU_BAD_ITEM', `user information item ${hex2(type)}: ${why}`, 6);
}

/** Sub-items that may appear at most once in a User Information item. */
const SINGLE_USER_ITEMS = new Set<number>([
  ItemType.MaxLength,
  ItemType.ImplementationClassUid,
  ItemType.AsyncOpsWindow,
  ItemType.ImplementationVersionName,
  ItemType.UserIdentityRq,
]);

/**
 * User Information item value (PS3.8 9.3.2.3, PS3.7 D.3.3). The Maximum Length
 * sub-item is mandatory (PS3.7 D.1); a missing one is PDU_MISSING_ITEM.
 * Unknown sub-items, including 0x59 (user identity server response, which the
 * shared type has no field for) are kept raw in `unknownItems`.
 */
export function readUserInformation(r: BufferReader): UserInformation {
  const ui = emptyUserInfo();
  const seen = new Set<number>();
  for (const { type, value } of readItems(r, 'user information item')) {
    if (SINGLE_USER_ITEMS.has(type)) {
      if (seen.has(type)) throw new PduError('PDU_DUPLICATE_ITEM', `user information: sub-item ${hex2(type)} appears twice`, 5);
      seen.add(type);
    }
    readUserSubItem(ui, type, value);
  }
  if (!seen.has(ItemType.MaxLength)) {
    throw new PduError('PDU_MISSING_ITEM', 'user information item has no maximum length sub-item (PS3.7 D.1)', 6);
  }
  return ui;
}

function readUserSubItem(ui: UserInformation, type: number, v: BufferReader): void {
  switch (type) {
    case ItemType.MaxLength: // D.1: 5-8 Maximum-length-received
      if (v.remaining !== 4) throw badItem(type, `length ${v.remaining}, expected 4`);
      ui.maxLength = v.u32();
      return;
    case ItemType.ImplementationClassUid: // D.3.3.2: 5-xxx Implementation-class-uid
      ui.implementationClassUid = readUidValue(v);
      return;
    case ItemType.AsyncOpsWindow: // D.3.3.3: 5-6 invoked, 7-8 performed
      if (v.remaining !== 4) throw badItem(type, `length ${v.remaining}, expected 4`);
      ui.asyncOps = { invoked: v.u16(), performed: v.u16() };
      return;
    case ItemType.RoleSelection: // D.3.3.4: 5-6 UID-length, 7-xxx SOP-class-uid, SCU-role, SCP-role
      ui.roles.push({ sopClassUid: readLengthPrefixedUid(v), scuRole: v.u8() !== 0, scpRole: v.u8() !== 0 });
      return;
    case ItemType.ImplementationVersionName: // D.3.3.2: 5-xxx Implementation-version-name (1-16 chars)
      ui.implementationVersionName = v.ascii(v.remaining).replace(/[\0 ]+$/, '');
      return;
    case ItemType.SopClassExtendedNegotiation: // D.3.3.5: UID-length, SOP-class-uid, Service-class-application-information
      ui.extendedNegotiation.push({ sopClassUid: readLengthPrefixedUid(v), info: Buffer.from(v.bytes(v.remaining)) });
      return;
    case ItemType.SopClassCommonExtendedNegotiation:
      ui.commonExtendedNegotiation.push(readCommonExtended(v));
      return;
    case ItemType.UserIdentityRq:
      ui.userIdentity = readUserIdentity(v);
      return;
    default: // PS3.7 D.3.3: unrecognised sub-items are ignored; kept for dumps
      ui.unknownItems.push({ type, data: Buffer.from(v.bytes(v.remaining)) });
  }
}

/** D.3.3.6: SOP-class-uid, Service-class-uid, Related-general-sop-class-identification (each UID length-prefixed). */
function readCommonExtended(v: BufferReader): UserInformation['commonExtendedNegotiation'][number] {
  const sopClassUid = readLengthPrefixedUid(v);
  const serviceClassUid = readLengthPrefixedUid(v);
  const related = v.remaining > 0 ? v.sub(v.u16(), 'related general SOP classes') : undefined;
  const relatedGeneralSopClassUids: string[] = [];
  while (related && related.remaining > 0) relatedGeneralSopClassUids.push(readLengthPrefixedUid(related));
  return { sopClassUid, serviceClassUid, relatedGeneralSopClassUids };
}

/** D.3.3.7.1: 5 User-Identity-Type, 6 Positive-response-requested, 7-8 + primary, then 2 + secondary. */
function readUserIdentity(v: BufferReader): NonNullable<UserInformation['userIdentity']> {
  const type = v.u8();
  const positiveResponseRequested = v.u8() === 1;
  const primary = Buffer.from(v.bytes(v.u16()));
  // The secondary field is only meaningful for type 2; be lenient when a peer omits its length.
  const secondary = v.remaining >= 2 ? Buffer.from(v.bytes(v.u16())) : Buffer.alloc(0);
  return { type, positiveResponseRequested, primary, secondary };
}

// ---------------------------------------------------------------- writing

/** Writes one item: type, reserved 00H, back-filled 2-byte length, value from `body`. */
export function writeItem(w: BufferWriter, type: number, body: () => void): void {
  w.u8(type).u8(0);
  const mark = w.mark16();
  body();
  w.fill16(mark);
}

/** UID items are written as-is: PS3.8 Annex F, no trailing NUL padding (as DCMTK, pynetdicom, dicom-rs). */
export function writeUidItem(w: BufferWriter, type: number, uid: string): void {
  writeItem(w, type, () => w.ascii(uid));
}

function writeLengthPrefixed(w: BufferWriter, value: string | Buffer): void {
  const mark = w.mark16();
  if (typeof value === 'string') w.ascii(value);
  else w.bytes(value);
  w.fill16(mark);
}

/**
 * User Information item (0x50) with sub-items in the order DCMTK sends them:
 * 51, 52, 53, 54..., 55, 56..., 57..., 58, then unknown items as received.
 * The Implementation Class UID is omitted when empty so that round trips of
 * peers that did not send one stay exact.
 */
export function writeUserInformation(w: BufferWriter, ui: UserInformation): void {
  writeItem(w, ItemType.UserInformation, () => {
    writeItem(w, ItemType.MaxLength, () => w.u32(ui.maxLength));
    if (ui.implementationClassUid) writeUidItem(w, ItemType.ImplementationClassUid, ui.implementationClassUid);
    if (ui.asyncOps) {
      const { invoked, performed } = ui.asyncOps;
      writeItem(w, ItemType.AsyncOpsWindow, () => w.u16(invoked).u16(performed));
    }
    for (const role of ui.roles) {
      writeItem(w, ItemType.RoleSelection, () => {
        writeLengthPrefixed(w, role.sopClassUid);
        w.u8(role.scuRole ? 1 : 0).u8(role.scpRole ? 1 : 0);
      });
    }
    if (ui.implementationVersionName !== undefined) {
      writeItem(w, ItemType.ImplementationVersionName, () => w.ascii(ui.implementationVersionName!));
    }
    writeNegotiationItems(w, ui);
    for (const item of ui.unknownItems) writeItem(w, item.type, () => w.bytes(item.data));
  });
}

function writeNegotiationItems(w: BufferWriter, ui: UserInformation): void {
  for (const ext of ui.extendedNegotiation) {
    writeItem(w, ItemType.SopClassExtendedNegotiation, () => {
      writeLengthPrefixed(w, ext.sopClassUid);
      w.bytes(ext.info);
    });
  }
  for (const c of ui.commonExtendedNegotiation) {
    // Byte 2 is the Sub-Item-version (D.3.3.6.1), 0 for this version: writeItem writes 00H there.
    writeItem(w, ItemType.SopClassCommonExtendedNegotiation, () => {
      writeLengthPrefixed(w, c.sopClassUid);
      writeLengthPrefixed(w, c.serviceClassUid);
      const mark = w.mark16();
      for (const uid of c.relatedGeneralSopClassUids) writeLengthPrefixed(w, uid);
      w.fill16(mark);
    });
  }
  const id = ui.userIdentity;
  if (id) {
    writeItem(w, ItemType.UserIdentityRq, () => {
      w.u8(id.type).u8(id.positiveResponseRequested ? 1 : 0);
      writeLengthPrefixed(w, id.primary);
      writeLengthPrefixed(w, id.secondary);
    });
  }
}
