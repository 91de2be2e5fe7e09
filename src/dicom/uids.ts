/**
 * Well-known UIDs (PS3.6 Annex A) and our implementation identity (conformance statement,
 * "Implementation Identifying Information"); new UIDs under 2.25.
 */
import { randomBytes } from 'node:crypto';

/** A UID under 2.25 (PS3.5 B.2) from 128 random bits. */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString()}`;
}

/** Verification SOP Class (PS3.4 Annex A, C-ECHO). */
export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/** Implicit VR Little Endian: Default Transfer Syntax for DICOM (PS3.5 10.1). */
export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
/** Explicit VR Little Endian (PS3.5 A.2). */
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Explicit VR Big Endian (PS3.5 A.3, retired in the standard, still in the statement). */
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

/** DICOM Application Context Name (PS3.7 Annex A.2.1). */
export const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

/** The Implementation Class UID the statement gives for the AE (default of [Local AE] implementationClassUid). */
export const IMPLEMENTATION_CLASS_UID = '1.2.840.114093.1.1';

/** Modality Worklist Information Model - FIND (PS3.4 K.6.1.2.2). */
export const MODALITY_WORKLIST_FIND = '1.2.840.10008.5.1.4.31';
