/**
 * Constants of the DIMSE command set (PS3.7 section 9.3, 10.3 and Annex E).
 * Pure data: no logic beyond name lookups.
 */

/** Command Field (0000,0100) values, PS3.7 Table E.1-1 and sections 9.3 / 10.3. */
export const CommandField = {
  C_STORE_RQ: 0x0001,
  C_STORE_RSP: 0x8001,
  C_GET_RQ: 0x0010,
  C_GET_RSP: 0x8010,
  C_FIND_RQ: 0x0020,
  C_FIND_RSP: 0x8020,
  C_MOVE_RQ: 0x0021,
  C_MOVE_RSP: 0x8021,
  C_ECHO_RQ: 0x0030,
  C_ECHO_RSP: 0x8030,
  N_EVENT_REPORT_RQ: 0x0100,
  N_EVENT_REPORT_RSP: 0x8100,
  N_GET_RQ: 0x0110,
  N_GET_RSP: 0x8110,
  N_SET_RQ: 0x0120,
  N_SET_RSP: 0x8120,
  N_ACTION_RQ: 0x0130,
  N_ACTION_RSP: 0x8130,
  N_CREATE_RQ: 0x0140,
  N_CREATE_RSP: 0x8140,
  N_DELETE_RQ: 0x0150,
  N_DELETE_RSP: 0x8150,
  /** PS3.7 9.3.2.3: there is no C-CANCEL-RSP. */
  C_CANCEL_RQ: 0x0fff,
} as const;

export type CommandFieldValue = (typeof CommandField)[keyof typeof CommandField];

const COMMAND_NAMES = new Map<number, string>(
  Object.entries(CommandField).map(([k, v]) => [v, k.replace(/_/g, '-')]),
);

/** "C-STORE-RQ" for 0x0001; "0x1234" for values PS3.7 does not define. */
export function commandFieldName(value: number): string {
  return COMMAND_NAMES.get(value) ?? `0x${value.toString(16).padStart(4, '0')}`;
}

/** PS3.7 E.1: bit 15 of the Command Field distinguishes responses (0x8xxx) from requests. */
export function isResponse(commandField: number): boolean {
  return (commandField & 0x8000) !== 0;
}

/** Command Data Set Type (0000,0800), PS3.7 Table E.1-1: 0x0101 = no data set; any other value = present. */
export const DataSetType = {
  NONE: 0x0101,
  /** The value DCMTK and pynetdicom send; receivers must accept any value other than 0x0101. */
  PRESENT: 0x0001,
} as const;

/** Priority (0000,0700), PS3.7 Table E.1-1. */
export const Priority = {
  MEDIUM: 0x0000,
  HIGH: 0x0001,
  LOW: 0x0002,
} as const;

export function priorityName(p: number): string {
  return p === Priority.MEDIUM ? 'MEDIUM' : p === Priority.HIGH ? 'HIGH' : p === Priority.LOW ? 'LOW' : `0x${p.toString(16)}`;
}

/**
 * Element numbers of group 0000 (the group is always 0000 in a command set).
 * PS3.7 Table E.1-1; retired ones (Table E.2-1) are listed only so decoders can name them.
 */
export const CommandTag = {
  CommandGroupLength: 0x0000,
  AffectedSopClassUid: 0x0002,
  RequestedSopClassUid: 0x0003,
  CommandField: 0x0100,
  MessageId: 0x0110,
  MessageIdBeingRespondedTo: 0x0120,
  MoveDestination: 0x0600,
  Priority: 0x0700,
  CommandDataSetType: 0x0800,
  Status: 0x0900,
  OffendingElement: 0x0901,
  ErrorComment: 0x0902,
  ErrorId: 0x0903,
  AffectedSopInstanceUid: 0x1000,
  RequestedSopInstanceUid: 0x1001,
  EventTypeId: 0x1002,
  AttributeIdentifierList: 0x1005,
  ActionTypeId: 0x1008,
  NumberOfRemainingSubOperations: 0x1020,
  NumberOfCompletedSubOperations: 0x1021,
  NumberOfFailedSubOperations: 0x1022,
  NumberOfWarningSubOperations: 0x1023,
  MoveOriginatorAeTitle: 0x1030,
  MoveOriginatorMessageId: 0x1031,
} as const;

/** Retired command elements (PS3.7 Table E.2-1), ignored when decoding. */
export const RetiredCommandTags: ReadonlyMap<number, string> = new Map([
  [0x0001, 'CommandLengthToEnd'],
  [0x0010, 'CommandRecognitionCode'],
  [0x0200, 'Initiator'],
  [0x0300, 'Receiver'],
  [0x0400, 'FindLocation'],
  [0x0850, 'NumberOfMatches'],
  [0x0860, 'ResponseSequenceNumber'],
  [0x4000, 'DialogReceiver'],
  [0x4010, 'TerminalType'],
  [0x5010, 'MessageSetID'],
  [0x5020, 'EndMessageID'],
  [0x5110, 'DisplayFormat'],
  [0x5120, 'PagePositionID'],
  [0x5130, 'TextFormatID'],
  [0x5140, 'NormalReverse'],
  [0x5150, 'AddGrayScale'],
  [0x5160, 'Borders'],
  [0x5170, 'Copies'],
  [0x5180, 'CommandMagnificationType'],
  [0x5190, 'Erase'],
  [0x51a0, 'Print'],
  [0x51b0, 'Overlays'],
]);
