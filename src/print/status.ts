/**
 * Status codes the print SCP answers with: PS3.7 Annex C (general N-service statuses)
 * and PS3.4 H.4 (Print Management specific, B6xx warnings and C6xx failures).
 */
export const ST = {
  Success: 0x0000,
  // PS3.7 C.4 / C.5
  AttributeListError: 0x0107, // warning: unsupported attributes were ignored
  AttributeValueOutOfRange: 0x0116, // warning
  NoSuchAttribute: 0x0105,
  InvalidAttributeValue: 0x0106,
  ProcessingFailure: 0x0110,
  DuplicateSopInstance: 0x0111,
  NoSuchSopInstance: 0x0112,
  InvalidObjectInstance: 0x0117,
  NoSuchSopClass: 0x0118,
  ClassInstanceConflict: 0x0119,
  MissingAttribute: 0x0120,
  MissingAttributeValue: 0x0121,
  NoSuchActionType: 0x0123,
  UnrecognizedOperation: 0x0211,
  ResourceLimitation: 0x0213,
  // PS3.4 H.4.1 / H.4.2
  MemoryAllocationNotSupported: 0xb600,
  CollationNotSupported: 0xb601,
  SessionEmptyPage: 0xb602,
  FilmBoxEmptyPage: 0xb603,
  ImageDemagnified: 0xb604,
  DensityOutOfRange: 0xb605,
  ImageCropped: 0xb609,
  ImageDecimated: 0xb60a,
  SessionHasNoFilmBox: 0xc600,
  SessionQueueFull: 0xc601,
  FilmBoxQueueFull: 0xc602,
  ImageLargerThanBox: 0xc603,
  PositionCollision: 0xc604,
  InsufficientMemory: 0xc605,
  FilmBoxNotPrinted: 0xc616,
} as const;

export function isFailure(status: number): boolean {
  return status !== 0 && !isWarning(status);
}

/** PS3.7 C: 0001, 0107, 0116 and Bxxx are warnings. */
export function isWarning(status: number): boolean {
  return status === 0x0001 || status === 0x0107 || status === 0x0116 || (status & 0xf000) === 0xb000;
}
