/**
 * DIMSE command set codec (PS3.7 section 6.3 and Annex E).
 *
 * A command set is a group-0000 data set that is ALWAYS encoded Implicit VR Little
 * Endian, whatever transfer syntax the presentation context negotiated (PS3.7 6.3.1).
 * Each element: tag group (2) + element (2), value length (4), value; LE throughout.
 */
import { EdgeError } from '../util/errors';
import { CommandTag, DataSetType, RetiredCommandTags, commandFieldName, priorityName } from './command-fields';
import { describeStatus, type StatusService } from '../dicom/status';
import { sopClassInfo } from '../dicom/sop-classes';

/** The typed view of a command set; absent fields are simply not encoded. */
export interface CommandSet {
  affectedSopClassUid?: string;
  requestedSopClassUid?: string;
  commandField?: number;
  messageId?: number;
  messageIdBeingRespondedTo?: number;
  moveDestination?: string;
  priority?: number;
  /** 0x0101 = no data set follows; any other value = a data set follows (PS3.7 E.1). */
  commandDataSetType?: number;
  status?: number;
  /** AT values as 0xGGGGEEEE. */
  offendingElement?: number[];
  errorComment?: string;
  errorId?: number;
  affectedSopInstanceUid?: string;
  requestedSopInstanceUid?: string;
  eventTypeId?: number;
  /** AT values as 0xGGGGEEEE. */
  attributeIdentifierList?: number[];
  actionTypeId?: number;
  numberOfRemainingSubOperations?: number;
  numberOfCompletedSubOperations?: number;
  numberOfFailedSubOperations?: number;
  numberOfWarningSubOperations?: number;
  moveOriginatorAeTitle?: string;
  moveOriginatorMessageId?: number;
}

type Vr = 'UL' | 'UI' | 'US' | 'AE' | 'LO' | 'AT';
type Key = keyof CommandSet;
interface FieldDef {
  key: Key;
  element: number;
  vr: Vr;
  name: string;
}

/** PS3.7 Table E.1-1, in ascending tag order (the order elements are encoded in). */
const FIELDS: readonly FieldDef[] = [
  { key: 'affectedSopClassUid', element: CommandTag.AffectedSopClassUid, vr: 'UI', name: 'AffectedSOPClassUID' },
  { key: 'requestedSopClassUid', element: CommandTag.RequestedSopClassUid, vr: 'UI', name: 'RequestedSOPClassUID' },
  { key: 'commandField', element: CommandTag.CommandField, vr: 'US', name: 'CommandField' },
  { key: 'messageId', element: CommandTag.MessageId, vr: 'US', name: 'MessageID' },
  { key: 'messageIdBeingRespondedTo', element: CommandTag.MessageIdBeingRespondedTo, vr: 'US', name: 'MessageIDBeingRespondedTo' },
  { key: 'moveDestination', element: CommandTag.MoveDestination, vr: 'AE', name: 'MoveDestination' },
  { key: 'priority', element: CommandTag.Priority, vr: 'US', name: 'Priority' },
  { key: 'commandDataSetType', element: CommandTag.CommandDataSetType, vr: 'US', name: 'CommandDataSetType' },
  { key: 'status', element: CommandTag.Status, vr: 'US', name: 'Status' },
  { key: 'offendingElement', element: CommandTag.OffendingElement, vr: 'AT', name: 'OffendingElement' },
  { key: 'errorComment', element: CommandTag.ErrorComment, vr: 'LO', name: 'ErrorComment' },
  { key: 'errorId', element: CommandTag.ErrorId, vr: 'US', name: 'ErrorID' },
  { key: 'affectedSopInstanceUid', element: CommandTag.AffectedSopInstanceUid, vr: 'UI', name: 'AffectedSOPInstanceUID' },
  { key: 'requestedSopInstanceUid', element: CommandTag.RequestedSopInstanceUid, vr: 'UI', name: 'RequestedSOPInstanceUID' },
  { key: 'eventTypeId', element: CommandTag.EventTypeId, vr: 'US', name: 'EventTypeID' },
  { key: 'attributeIdentifierList', element: CommandTag.AttributeIdentifierList, vr: 'AT', name: 'AttributeIdentifierList' },
  { key: 'actionTypeId', element: CommandTag.ActionTypeId, vr: 'US', name: 'ActionTypeID' },
  { key: 'numberOfRemainingSubOperations', element: CommandTag.NumberOfRemainingSubOperations, vr: 'US', name: 'NumberOfRemainingSuboperations' },
  { key: 'numberOfCompletedSubOperations', element: CommandTag.NumberOfCompletedSubOperations, vr: 'US', name: 'NumberOfCompletedSuboperations' },
  { key: 'numberOfFailedSubOperations', element: CommandTag.NumberOfFailedSubOperations, vr: 'US', name: 'NumberOfFailedSuboperations' },
  { key: 'numberOfWarningSubOperations', element: CommandTag.NumberOfWarningSubOperations, vr: 'US', name: 'NumberOfWarningSuboperations' },
  { key: 'moveOriginatorAeTitle', element: CommandTag.MoveOriginatorAeTitle, vr: 'AE', name: 'MoveOriginatorApplicationEntityTitle' },
  { key: 'moveOriginatorMessageId', element: CommandTag.MoveOriginatorMessageId, vr: 'US', name: 'MoveOriginatorMessageID' },
];
const BY_ELEMENT = new Map(FIELDS.map((f) => [f.element, f]));

/** PS3.5 Table 6.2-1 maximum value lengths. */
const MAX_LEN: Partial<Record<Vr, number>> = { UI: 64, AE: 16, LO: 64 };

// ---------------------------------------------------------------- encoding

function invalid(f: FieldDef, why: string): EdgeError {
  return new EdgeError('DIMSE_INVALID_COMMAND_FIELD', `${f.name} (0000,${hex4(f.element)}): ${why}`);
}

function encodeString(f: FieldDef, v: unknown): Buffer {
  if (typeof v !== 'string') throw invalid(f, 'expected a string');
  if (v.length > (MAX_LEN[f.vr] ?? Infinity)) throw invalid(f, `longer than ${MAX_LEN[f.vr]} characters`);
  if (f.vr === 'UI' && !/^[0-9.]*$/.test(v)) throw invalid(f, `not a UID: ${JSON.stringify(v)}`);
  if (/[\\\x00-\x1f\x7f-\uffff]/.test(v)) throw invalid(f, 'control, backslash or non-ASCII character');
  const s = Buffer.from(v, 'latin1');
  if (s.length % 2 === 0) return s;
  // PS3.5 6.2: UI pads with a single trailing NUL, other strings with a space.
  return Buffer.concat([s, Buffer.from([f.vr === 'UI' ? 0x00 : 0x20])]);
}

function encodeUs(f: FieldDef, v: unknown): Buffer {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) throw invalid(f, `not a US value: ${String(v)}`);
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}

/** PS3.5 6.2 AT: group number then element number, each a 16-bit LE value. */
function encodeAt(f: FieldDef, v: unknown): Buffer {
  if (!Array.isArray(v)) throw invalid(f, 'expected an array of tags');
  const b = Buffer.alloc(v.length * 4);
  v.forEach((tag: unknown, i) => {
    if (typeof tag !== 'number' || !Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) throw invalid(f, `not a tag: ${String(tag)}`);
    b.writeUInt16LE(tag >>> 16, i * 4);
    b.writeUInt16LE(tag & 0xffff, i * 4 + 2);
  });
  return b;
}

function encodeValue(f: FieldDef, v: unknown): Buffer {
  if (f.vr === 'US') return encodeUs(f, v);
  if (f.vr === 'AT') return encodeAt(f, v);
  if (f.key === 'errorComment' && typeof v === 'string') return encodeString(f, errorCommentText(v));
  return encodeString(f, v);
}

/**
 * Error Comment (0000,0902) is LO in the default repertoire: free text for people, never
 * a reason to lose the response that carries it. Characters LO cannot hold (non-ASCII
 * such as "≠", control characters, backslash) become "?", and it is cut to 64.
 */
export function errorCommentText(s: string): string {
  return s.replace(/[\\\x00-\x1f\x7f-\uffff]/g, '?').slice(0, 64);
}

/**
 * Encode in ascending tag order with (0000,0000) CommandGroupLength first; its value
 * is the byte count of all following elements (PS3.7 E.1). The caller supplies
 * commandDataSetType: nothing is defaulted, so what is sent is what was asked for.
 */
export function encodeCommand(cmd: CommandSet): Buffer {
  const elements: Array<[number, Buffer]> = [];
  let bodyLength = 0;
  for (const f of FIELDS) {
    const v = cmd[f.key];
    if (v === undefined) continue;
    const value = encodeValue(f, v);
    elements.push([f.element, value]);
    bodyLength += 8 + value.length;
  }
  // One buffer for the whole command (a response per instance: no concat per element).
  const out = Buffer.allocUnsafe(12 + bodyLength);
  let off = writeElementHeader(out, 0, CommandTag.CommandGroupLength, 4);
  out.writeUInt32LE(bodyLength, off);
  off += 4;
  for (const [elementNo, value] of elements) {
    off = writeElementHeader(out, off, elementNo, value.length);
    off += value.copy(out, off);
  }
  return out;
}

/** Group 0000, element, 32-bit length (Implicit VR LE); returns the offset after it. */
function writeElementHeader(out: Buffer, off: number, elementNo: number, length: number): number {
  out.writeUInt16LE(0x0000, off);
  out.writeUInt16LE(elementNo, off + 2);
  out.writeUInt32LE(length, off + 4);
  return off + 8;
}

// ---------------------------------------------------------------- decoding

export interface RawCommandElement {
  element: number;
  /** Byte offset of the element's tag within the command buffer. */
  offset: number;
  value: Buffer;
}

function bad(message: string): EdgeError {
  return new EdgeError('DIMSE_BAD_COMMAND', message);
}

/** Split a command buffer into its elements (Implicit VR LE); values are views, not copies. */
export function readCommandElements(buf: Buffer): RawCommandElement[] {
  const out: RawCommandElement[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 8) throw bad(`truncated element header at offset ${off}`);
    const group = buf.readUInt16LE(off);
    const elementNo = buf.readUInt16LE(off + 2);
    const len = buf.readUInt32LE(off + 4);
    if (group !== 0x0000) throw bad(`element (${hex4(group)},${hex4(elementNo)}) outside group 0000 at offset ${off}`);
    if (len === 0xffffffff) throw bad(`undefined length for (0000,${hex4(elementNo)})`);
    if (off + 8 + len > buf.length) throw bad(`truncated value of (0000,${hex4(elementNo)}): ${len} bytes declared, ${buf.length - off - 8} present`);
    out.push({ element: elementNo, offset: off, value: buf.subarray(off + 8, off + 8 + len) });
    off += 8 + len;
  }
  return out;
}

function decodeValue(f: FieldDef, v: Buffer): string | number | number[] {
  switch (f.vr) {
    case 'US':
      if (v.length !== 2) throw bad(`${f.name}: US value of ${v.length} bytes`);
      return v.readUInt16LE(0);
    case 'AT': {
      if (v.length % 4 !== 0) throw bad(`${f.name}: AT value of ${v.length} bytes`);
      const tags: number[] = [];
      for (let i = 0; i < v.length; i += 4) tags.push(((v.readUInt16LE(i) << 16) | v.readUInt16LE(i + 2)) >>> 0);
      return tags;
    }
    default:
      // UI: trailing NUL is the standard pad; some peers (dcmqrscp) pad UIDs with a space.
      // AE, LO: leading and trailing spaces are not significant (PS3.5 Table 6.2-1).
      return trimmedText(v);
  }
}

/** The value as latin1 without trailing NULs/spaces and leading spaces (no regex: once per field of every command). */
function trimmedText(v: Buffer): string {
  let end = v.length;
  while (end > 0 && (v[end - 1] === 0x00 || v[end - 1] === 0x20)) end--;
  let start = 0;
  while (start < end && v[start] === 0x20) start++;
  return v.toString('latin1', start, end);
}

/**
 * Decode a complete command set. Unknown and retired group-0000 elements are skipped;
 * (0000,0000) is read but not checked against the actual length (DCMTK tolerates a
 * wrong one too). Throws EdgeError('DIMSE_BAD_COMMAND') on truncation, non-group-0000
 * elements, bad value lengths or a missing Command Field.
 */
export function decodeCommand(buf: Buffer): CommandSet {
  const cmd: Record<string, unknown> = {};
  for (const el of readCommandElements(buf)) {
    const f = BY_ELEMENT.get(el.element);
    if (!f) continue; // group length, retired (PS3.7 E.2) or unknown
    if (el.value.length === 0 && f.vr === 'US') continue; // empty = absent
    cmd[f.key] = decodeValue(f, el.value);
  }
  if (cmd.commandField === undefined) throw bad('no Command Field (0000,0100)');
  return cmd as CommandSet;
}

/** PS3.7 E.1: any Command Data Set Type other than 0x0101 means a data set follows. */
export function hasDataset(cmd: CommandSet): boolean {
  return cmd.commandDataSetType !== undefined && cmd.commandDataSetType !== DataSetType.NONE;
}

// ---------------------------------------------------------------- describing

export interface DescribeOptions {
  contextId?: number;
  /** Name for a UID; default: the SOP class table (src/dicom/sop-classes). */
  uidName?: (uid: string) => string | undefined;
}

const WORKLIST_FIND = '1.2.840.10008.5.1.4.31';

/** Which PS3.4 status table applies to a command, for status names. */
export function statusServiceOf(cmd: CommandSet): StatusService {
  const base = (cmd.commandField ?? 0) & 0x7fff;
  const uid = cmd.affectedSopClassUid ?? cmd.requestedSopClassUid ?? '';
  if (base === 0x0001) return 'storage';
  if (base === 0x0020) return uid === WORKLIST_FIND ? 'worklist' : 'find';
  if (base === 0x0021) return 'move';
  if (base === 0x0010) return 'get';
  if (base === 0x0030) return 'verification';
  return uid.startsWith('1.2.840.10008.5.1.1.') ? 'print' : 'normalized';
}

function uidText(uid: string, opts: DescribeOptions): string {
  const name = (opts.uidName ?? ((u: string) => sopClassInfo(u)?.name))(uid);
  return name ? `${name} ${uid}` : uid;
}

function tagText(t: number): string {
  return `(${hex4(t >>> 16)},${hex4(t & 0xffff)})`;
}

/** One line for logs, e.g. "C-STORE-RQ id=3 ctx=1 CT Image Storage 1.2.840.10008.5.1.4.1.1.2 inst=1.2.3 prio=MEDIUM +data". */
export function describeCommand(cmd: CommandSet, opts: DescribeOptions = {}): string {
  const p: string[] = [commandFieldName(cmd.commandField ?? 0)];
  if (cmd.messageId !== undefined) p.push(`id=${cmd.messageId}`);
  if (cmd.messageIdBeingRespondedTo !== undefined) p.push(`rsp-to=${cmd.messageIdBeingRespondedTo}`);
  if (opts.contextId !== undefined) p.push(`ctx=${opts.contextId}`);
  if (cmd.status !== undefined) p.push(`status=${describeStatus(cmd.status, statusServiceOf(cmd))}`);
  const cls = cmd.affectedSopClassUid ?? cmd.requestedSopClassUid;
  if (cls) p.push(uidText(cls, opts));
  const inst = cmd.affectedSopInstanceUid ?? cmd.requestedSopInstanceUid;
  if (inst) p.push(`inst=${inst}`);
  if (cmd.moveDestination !== undefined) p.push(`dest=${cmd.moveDestination}`);
  if (cmd.priority !== undefined) p.push(`prio=${priorityName(cmd.priority)}`);
  if (cmd.eventTypeId !== undefined) p.push(`event=${cmd.eventTypeId}`);
  if (cmd.actionTypeId !== undefined) p.push(`action=${cmd.actionTypeId}`);
  const subs = [cmd.numberOfRemainingSubOperations, cmd.numberOfCompletedSubOperations, cmd.numberOfFailedSubOperations, cmd.numberOfWarningSubOperations];
  if (subs.some((n) => n !== undefined)) p.push(`sub(rem/ok/fail/warn)=${subs.map((n) => n ?? '-').join('/')}`);
  if (cmd.moveOriginatorAeTitle !== undefined) p.push(`orig=${cmd.moveOriginatorAeTitle}#${cmd.moveOriginatorMessageId ?? '-'}`);
  if (cmd.offendingElement?.length) p.push(`offending=${cmd.offendingElement.map(tagText).join(',')}`);
  if (cmd.errorId !== undefined) p.push(`errorId=${cmd.errorId}`);
  if (cmd.errorComment) p.push(`comment=${JSON.stringify(cmd.errorComment)}`);
  p.push(hasDataset(cmd) ? '+data' : 'no-data');
  return p.join(' ');
}

function rawValueText(f: FieldDef | undefined, v: Buffer, cmd: CommandSet): string {
  if (!f) return v.length <= 16 ? `[${v.toString('hex')}]` : `[${v.subarray(0, 16).toString('hex')}…]`;
  try {
    const d = decodeValue(f, v);
    if (f.key === 'commandField') return `0x${hex4(d as number)} ${commandFieldName(d as number)}`;
    if (f.key === 'status') return describeStatus(d as number, statusServiceOf(cmd));
    if (f.key === 'priority') return `${d} ${priorityName(d as number)}`;
    if (f.key === 'commandDataSetType') return `0x${hex4(d as number)} ${d === DataSetType.NONE ? '(none)' : '(present)'}`;
    if (Array.isArray(d)) return d.map(tagText).join('\\');
    return typeof d === 'string' ? `[${d}]` : String(d);
  } catch (e) {
    return `<invalid: ${(e as Error).message}>`;
  }
}

/**
 * Multi-line dump, one element per line (DCMTK dcmdump style), for debug logs and
 * pdudump. Given raw bytes it shows every element as received, unknown ones included;
 * a typed CommandSet is encoded first.
 */
export function dumpCommand(cmd: CommandSet | Buffer): string {
  let buf: Buffer;
  try {
    buf = Buffer.isBuffer(cmd) ? cmd : encodeCommand(cmd);
  } catch (e) {
    return `<unencodable command: ${(e as Error).message}> ${JSON.stringify(cmd)}`;
  }
  let typed: CommandSet = {};
  try {
    typed = decodeCommand(buf);
  } catch {
    // dump what can be read anyway
  }
  const lines: string[] = [];
  let elements: RawCommandElement[];
  try {
    elements = readCommandElements(buf);
  } catch (e) {
    return `<bad command (${buf.length} bytes): ${(e as Error).message}>`;
  }
  for (const el of elements) {
    const f = BY_ELEMENT.get(el.element);
    const vr = el.element === 0 ? 'UL' : (f?.vr ?? '??');
    const value = el.element === 0 && el.value.length === 4 ? String(el.value.readUInt32LE(0)) : rawValueText(f, el.value, typed);
    const name = el.element === 0 ? 'CommandGroupLength' : (f?.name ?? RetiredCommandTags.get(el.element) ?? 'Unknown');
    lines.push(`(0000,${hex4(el.element)}) ${vr} ${value.padEnd(40)} # ${String(el.value.length).padStart(3)}, ${name}`);
  }
  return lines.join('\n');
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}
