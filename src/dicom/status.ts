/**
 * DIMSE status codes (0000,0900): the general classes of PS3.7 Annex C and the
 * service-specific values of PS3.4 (B.2.3 Storage, C.4.1.1.4 Find, C.4.2.1.5 Move,
 * C.4.3.1.4 Get, K.4.1.1.4 Modality Worklist, H.4 Print Management).
 * Tables are data (pynetdicom status.py habit); lookups are tiny functions.
 */

export type StatusCategory = 'success' | 'warning' | 'failure' | 'cancel' | 'pending';

/** Which PS3.4 table to consult for service-specific names. */
export type StatusService = 'verification' | 'storage' | 'find' | 'move' | 'get' | 'worklist' | 'print' | 'normalized';

/** Named values used by the services. */
export const Status = {
  Success: 0x0000,
  /** PS3.4 C.4.1.1.4 / C.4.2.1.5: matches or sub-operations are continuing. */
  Pending: 0xff00,
  /** Pending, one or more Optional Keys were not supported (Find, Worklist). */
  PendingWarning: 0xff01,
  /** PS3.7 C.3: terminated due to a C-CANCEL indication. */
  Cancel: 0xfe00,
  /** Service-class-specific warning (PS3.7 C.4), e.g. requested optional attributes not supported. */
  Warning: 0x0001,
  AttributeListError: 0x0107,
  AttributeValueOutOfRange: 0x0116,
  /** PS3.4 B.2.3 Storage warnings. */
  CoercionOfDataElements: 0xb000,
  ElementsDiscarded: 0xb006,
  DataSetDoesNotMatchSopClassWarning: 0xb007,
  /** PS3.4 C.4.2.1.5 / C.4.3.1.4: sub-operations complete, one or more failures or warnings. */
  SubOperationsCompleteWithFailures: 0xb000,
  /** PS3.4 B.2.3: Refused, out of resources (A7xx). */
  OutOfResources: 0xa700,
  OutOfResourcesNumberOfMatches: 0xa701,
  OutOfResourcesSubOperations: 0xa702,
  MoveDestinationUnknown: 0xa801,
  /** PS3.4 B.2.3 (A9xx) and C.4.x (A900): data set / identifier does not match SOP class. */
  DataSetDoesNotMatchSopClass: 0xa900,
  IdentifierDoesNotMatchSopClass: 0xa900,
  /** PS3.4 B.2.3: Cannot understand (Cxxx); C.4.x: Unable to process (Cxxx). */
  CannotUnderstand: 0xc000,
  UnableToProcess: 0xc000,
  // PS3.7 C.5 general failures
  NoSuchAttribute: 0x0105,
  InvalidAttributeValue: 0x0106,
  ProcessingFailure: 0x0110,
  DuplicateSopInstance: 0x0111,
  NoSuchSopInstance: 0x0112,
  NoSuchEventType: 0x0113,
  NoSuchArgument: 0x0114,
  InvalidArgumentValue: 0x0115,
  InvalidObjectInstance: 0x0117,
  NoSuchSopClass: 0x0118,
  ClassInstanceConflict: 0x0119,
  MissingAttribute: 0x0120,
  MissingAttributeValue: 0x0121,
  SopClassNotSupported: 0x0122,
  NoSuchAction: 0x0123,
  NotAuthorized: 0x0124,
  DuplicateInvocation: 0x0210,
  UnrecognizedOperation: 0x0211,
  MistypedArgument: 0x0212,
  ResourceLimitation: 0x0213,
} as const;

/** PS3.7 C.5: failure codes outside the A/C ranges. */
const GENERAL_FAILURES = new Set([
  0x0105, 0x0106, 0x0110, 0x0111, 0x0112, 0x0113, 0x0114, 0x0115, 0x0117, 0x0118, 0x0119, 0x0120, 0x0121, 0x0122,
  0x0123, 0x0124, 0x0210, 0x0211, 0x0212, 0x0213,
]);
/** PS3.7 C.4: warnings outside the Bxxx range. */
const GENERAL_WARNINGS = new Set([0x0001, 0x0107, 0x0116]);

/**
 * PS3.7 Annex C class of a status. Codes PS3.7 and PS3.4 do not define are treated
 * as failures: an SCU must never take an unknown answer for success.
 */
export function statusCategory(code: number): StatusCategory {
  if (code === 0x0000) return 'success';
  if (code === 0xff00 || code === 0xff01) return 'pending';
  if (code === 0xfe00) return 'cancel';
  if (GENERAL_WARNINGS.has(code) || (code >= 0xb000 && code <= 0xbfff)) return 'warning';
  return 'failure';
}

/** True when the code is one PS3.7 Annex C / PS3.4 classify (unknown codes are still 'failure'). */
export function isKnownStatusClass(code: number): boolean {
  return (
    code === 0 || code === 0xff00 || code === 0xff01 || code === 0xfe00 || GENERAL_WARNINGS.has(code) ||
    GENERAL_FAILURES.has(code) || (code >= 0xa000 && code <= 0xcfff)
  );
}

/** [low, high, name]: a single code has low === high. */
type Entry = readonly [number, number, string];

/** PS3.7 Annex C (C.1–C.5). */
const GENERAL: Entry[] = [
  [0x0000, 0x0000, 'Success'],
  [0x0001, 0x0001, 'Warning'],
  [0x0105, 0x0105, 'No such attribute'],
  [0x0106, 0x0106, 'Invalid attribute value'],
  [0x0107, 0x0107, 'Attribute list error'],
  [0x0110, 0x0110, 'Processing failure'],
  [0x0111, 0x0111, 'Duplicate SOP instance'],
  [0x0112, 0x0112, 'No such SOP instance'],
  [0x0113, 0x0113, 'No such event type'],
  [0x0114, 0x0114, 'No such argument'],
  [0x0115, 0x0115, 'Invalid argument value'],
  [0x0116, 0x0116, 'Attribute value out of range'],
  [0x0117, 0x0117, 'Invalid object instance'],
  [0x0118, 0x0118, 'No such SOP class'],
  [0x0119, 0x0119, 'Class-instance conflict'],
  [0x0120, 0x0120, 'Missing attribute'],
  [0x0121, 0x0121, 'Missing attribute value'],
  [0x0122, 0x0122, 'Refused: SOP class not supported'],
  [0x0123, 0x0123, 'No such action'],
  [0x0124, 0x0124, 'Refused: not authorized'],
  [0x0210, 0x0210, 'Duplicate invocation'],
  [0x0211, 0x0211, 'Unrecognized operation'],
  [0x0212, 0x0212, 'Mistyped argument'],
  [0x0213, 0x0213, 'Resource limitation'],
  [0xfe00, 0xfe00, 'Cancel'],
];

/** PS3.4 Table B.2-1 (C-STORE). */
const STORAGE: Entry[] = [
  [0xa700, 0xa7ff, 'Refused: out of resources'],
  [0xa900, 0xa9ff, 'Error: data set does not match SOP class'],
  [0xb000, 0xb000, 'Warning: coercion of data elements'],
  [0xb006, 0xb006, 'Warning: elements discarded'],
  [0xb007, 0xb007, 'Warning: data set does not match SOP class'],
  [0xc000, 0xcfff, 'Error: cannot understand'],
];

/** PS3.4 Table C.4-1 (C-FIND). */
const FIND: Entry[] = [
  [0xa700, 0xa700, 'Refused: out of resources'],
  [0xa900, 0xa900, 'Failed: identifier does not match SOP class'],
  [0xc000, 0xcfff, 'Failed: unable to process'],
  [0xfe00, 0xfe00, 'Cancel: matching terminated due to cancel request'],
  [0xff00, 0xff00, 'Pending: matches are continuing'],
  [0xff01, 0xff01, 'Pending: matches are continuing, one or more optional keys not supported'],
];

/** PS3.4 Table K.4-1 (Modality Worklist C-FIND). */
const WORKLIST: Entry[] = FIND;

/** Shared part of PS3.4 Tables C.4-2 (C-MOVE) and C.4-3 (C-GET). */
const RETRIEVE: Entry[] = [
  [0xa701, 0xa701, 'Refused: out of resources, unable to calculate number of matches'],
  [0xa702, 0xa702, 'Refused: out of resources, unable to perform sub-operations'],
  [0xa900, 0xa900, 'Failed: identifier does not match SOP class'],
  [0xaa00, 0xaa00, 'Failed: none of the frames requested were found in the SOP instance'],
  [0xaa01, 0xaa01, 'Failed: unable to create new object for this SOP class'],
  [0xaa02, 0xaa02, 'Failed: unable to extract frames'],
  [0xaa03, 0xaa03, 'Failed: time-based request received for a non-time-based original SOP instance'],
  [0xaa04, 0xaa04, 'Failed: invalid request'],
  [0xb000, 0xb000, 'Warning: sub-operations complete, one or more failures or warnings'],
  [0xc000, 0xcfff, 'Failed: unable to process'],
  [0xfe00, 0xfe00, 'Cancel: sub-operations terminated due to cancel indication'],
  [0xff00, 0xff00, 'Pending: sub-operations are continuing'],
];
const MOVE: Entry[] = [[0xa801, 0xa801, 'Refused: move destination unknown'], ...RETRIEVE];
const GET: Entry[] = RETRIEVE;

/** PS3.4 H.4 (Print Management) service-specific values. */
const PRINT: Entry[] = [
  [0xb600, 0xb600, 'Warning: memory allocation not supported'],
  [0xb601, 0xb601, 'Warning: film session printing (collation) not supported'],
  [0xb602, 0xb602, 'Warning: film session has no image boxes (empty page)'],
  [0xb603, 0xb603, 'Warning: film box has no image boxes (empty page)'],
  [0xb604, 0xb604, 'Warning: image larger than image box, demagnified'],
  [0xb605, 0xb605, "Warning: requested density outside printer's range"],
  [0xb609, 0xb609, 'Warning: image larger than image box, cropped'],
  [0xb60a, 0xb60a, 'Warning: image larger than image box, decimated'],
  [0xc600, 0xc600, 'Failure: film session has no film boxes'],
  [0xc601, 0xc601, 'Failure: unable to create print job, print queue full'],
  [0xc602, 0xc602, 'Failure: unable to create print job, print queue full'],
  [0xc603, 0xc603, 'Failure: image larger than image box'],
  [0xc604, 0xc604, 'Failure: image position collision'],
  [0xc605, 0xc605, 'Failure: insufficient memory in printer to store the image'],
  [0xc606, 0xc606, 'Failure: more than one VOI LUT'],
  [0xc613, 0xc613, 'Failure: combined print image larger than image box'],
  [0xc616, 0xc616, 'Failure: existing film box not yet printed'],
];

const TABLES: Record<StatusService, Entry[]> = {
  verification: [],
  storage: STORAGE,
  find: FIND,
  worklist: WORKLIST,
  move: MOVE,
  get: GET,
  print: PRINT,
  normalized: [],
};

function lookup(table: Entry[], code: number): string | undefined {
  for (const [lo, hi, name] of table) if (code >= lo && code <= hi) return name;
  return undefined;
}

/** Generic names by class when no table has the code (PS3.7 C.4, C.5 ranges). */
function fallbackName(code: number): string {
  if (code >= 0xa700 && code <= 0xa7ff) return 'Refused: out of resources';
  if (code >= 0xa900 && code <= 0xa9ff) return 'Error: data set does not match SOP class';
  if (code >= 0xc000 && code <= 0xcfff) return 'Error: cannot understand';
  if (code >= 0xa000 && code <= 0xafff) return 'Failure';
  if (code === 0xff00 || code === 0xff01) return 'Pending';
  if (code >= 0xb000 && code <= 0xbfff) return 'Warning';
  return `Unknown status 0x${hex4(code)}`;
}

/** Human name of a status, using the service's PS3.4 table first, then PS3.7 Annex C. */
export function statusName(code: number, service?: StatusService): string {
  return (service && lookup(TABLES[service], code)) ?? lookup(GENERAL, code) ?? fallbackName(code);
}

/** "A700 Refused: out of resources (failure)" for logs. */
export function describeStatus(code: number, service?: StatusService): string {
  return `${hex4(code)} ${statusName(code, service)} (${statusCategory(code)})`;
}

function hex4(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}
