/**
 * The SOP classes of the conformance statement, with the abbreviations the INI accepts in
 * scu/scp/scuscp. Names follow PS3.6 Annex A. The statement's abbreviations are: echo, cr, ct,
 * usmf, mr, nm, us, sc, patFind, patMove, patGet, studyFind, studyMove, studyGet, patStudyFind,
 * patStudyMove, patStudyGet, basicGrayPrint, basicColorPrint. usmf, nm and us each name the
 * current and the retired class. Ours (documented in the default INI): dx, dxProc, mg, mgProc,
 * xa, xrf, xaBiplane, pet, petCurve, worklist, and `storage` (every storage class of the statement).
 *
 * A later table of all standard storage classes plugs in with registerSopClasses().
 */
import { STORAGE_SOP_CLASSES } from './storage-classes.generated';
import { MODALITY_WORKLIST_FIND, VERIFICATION_SOP_CLASS } from './uids';

export type SopCategory = 'verification' | 'storage' | 'qr-find' | 'qr-move' | 'qr-get' | 'worklist' | 'print';
/** Query/Retrieve information model (PS3.4 C.6). */
export type QrModel = 'patient' | 'study' | 'patient-study';

export interface SopClassInfo {
  uid: string;
  name: string;
  category: SopCategory;
  /** INI abbreviation; several entries may share one (usmf, nm, us). */
  abbreviation?: string;
  model?: QrModel;
  retired?: boolean;
  /** Listed in the conformance statement (what `storage` expands to). */
  inStatement?: boolean;
}

const S = '1.2.840.10008.5.1.4.1.1.';
const QR = '1.2.840.10008.5.1.4.1.2.';

function st(uid: string, name: string, abbreviation: string, retired = false): SopClassInfo {
  return { uid, name, category: 'storage', abbreviation, retired, inStatement: true };
}
function qr(uid: string, name: string, abbreviation: string, category: SopCategory, model: QrModel): SopClassInfo {
  return { uid, name, category, abbreviation, model, inStatement: true };
}

const STATEMENT_CLASSES: SopClassInfo[] = [
  { uid: VERIFICATION_SOP_CLASS, name: 'Verification SOP Class', category: 'verification', abbreviation: 'echo', inStatement: true },
  st(S + '1', 'Computed Radiography Image Storage', 'cr'),
  st(S + '2', 'CT Image Storage', 'ct'),
  st(S + '3', 'Ultrasound Multi-frame Image Storage (Retired)', 'usmf', true),
  st(S + '3.1', 'Ultrasound Multi-frame Image Storage', 'usmf'),
  st(S + '4', 'MR Image Storage', 'mr'),
  st(S + '20', 'Nuclear Medicine Image Storage', 'nm'),
  st(S + '5', 'Nuclear Medicine Image Storage (Retired)', 'nm', true),
  st(S + '6', 'Ultrasound Image Storage (Retired)', 'us', true),
  st(S + '6.1', 'Ultrasound Image Storage', 'us'),
  st(S + '7', 'Secondary Capture Image Storage', 'sc'),
  st(S + '1.2.1', 'Digital Mammography X-Ray Image Storage - For Processing', 'mgProc'),
  st(S + '1.2', 'Digital Mammography X-Ray Image Storage - For Presentation', 'mg'),
  st(S + '1.1', 'Digital X-Ray Image Storage - For Presentation', 'dx'),
  st(S + '1.1.1', 'Digital X-Ray Image Storage - For Processing', 'dxProc'),
  st(S + '12.1', 'X-Ray Angiographic Image Storage', 'xa'),
  st(S + '12.2', 'X-Ray Radiofluoroscopic Image Storage', 'xrf'),
  // The statement calls it "X-Ray Radiofluoroscopic BiPlane"; PS3.6 names it as below.
  st(S + '12.3', 'X-Ray Angiographic Bi-Plane Image Storage (Retired)', 'xaBiplane', true),
  st(S + '128', 'Positron Emission Tomography Image Storage', 'pet'),
  st(S + '129', 'Standalone PET Curve Storage (Retired)', 'petCurve', true),
  qr(QR + '1.1', 'Patient Root Query/Retrieve Information Model - FIND', 'patFind', 'qr-find', 'patient'),
  qr(QR + '1.2', 'Patient Root Query/Retrieve Information Model - MOVE', 'patMove', 'qr-move', 'patient'),
  qr(QR + '1.3', 'Patient Root Query/Retrieve Information Model - GET', 'patGet', 'qr-get', 'patient'),
  qr(QR + '2.1', 'Study Root Query/Retrieve Information Model - FIND', 'studyFind', 'qr-find', 'study'),
  qr(QR + '2.2', 'Study Root Query/Retrieve Information Model - MOVE', 'studyMove', 'qr-move', 'study'),
  qr(QR + '2.3', 'Study Root Query/Retrieve Information Model - GET', 'studyGet', 'qr-get', 'study'),
  qr(QR + '3.1', 'Patient/Study Only Query/Retrieve Information Model - FIND (Retired)', 'patStudyFind', 'qr-find', 'patient-study'),
  qr(QR + '3.2', 'Patient/Study Only Query/Retrieve Information Model - MOVE (Retired)', 'patStudyMove', 'qr-move', 'patient-study'),
  qr(QR + '3.3', 'Patient/Study Only Query/Retrieve Information Model - GET (Retired)', 'patStudyGet', 'qr-get', 'patient-study'),
  { uid: MODALITY_WORKLIST_FIND, name: 'Modality Worklist Information Model - FIND', category: 'worklist', abbreviation: 'worklist', inStatement: true },
  { uid: '1.2.840.10008.5.1.1.9', name: 'Basic Grayscale Print Management Meta SOP Class', category: 'print', abbreviation: 'basicGrayPrint', inStatement: true },
  // Named only in the statement's abbreviation list, not in its SOP class table.
  { uid: '1.2.840.10008.5.1.1.18', name: 'Basic Color Print Management Meta SOP Class', category: 'print', abbreviation: 'basicColorPrint' },
];

const byUid = new Map<string, SopClassInfo>();
/** lower-case abbreviation → { spelling, uids } */
const byAbbreviation = new Map<string, { spelling: string; uids: string[] }>();

/** Adds classes (e.g. a generated table of every standard storage class); known UIDs are kept. */
export function registerSopClasses(list: readonly SopClassInfo[]): void {
  for (const info of list) {
    if (byUid.has(info.uid)) continue;
    byUid.set(info.uid, info);
    if (!info.abbreviation) continue;
    const key = info.abbreviation.toLowerCase();
    if (key === 'storage') throw new Error('"storage" is a reserved abbreviation');
    const group = byAbbreviation.get(key) ?? { spelling: info.abbreviation, uids: [] };
    group.uids.push(info.uid);
    byAbbreviation.set(key, group);
  }
}
registerSopClasses(STATEMENT_CLASSES);
// Every other standard storage class (PS3.4 B.5), so names resolve and `allStorage` works.
registerSopClasses(STORAGE_SOP_CLASSES.map((c) => ({ uid: c.uid, name: c.name, category: 'storage' as const, retired: c.retired })));

/** Every storage class of the conformance statement, current and retired, in table order. */
export const STATEMENT_STORAGE_UIDS: readonly string[] = STATEMENT_CLASSES.filter((c) => c.category === 'storage').map((c) => c.uid);

/**
 * Abbreviation (case-insensitive) → UIDs, e.g. `ct` → [CT Image Storage], `us` → [current, retired].
 * `storage` → every storage class of the statement. Undefined for unknown words (dotted UIDs
 * are not abbreviations: the config schema accepts them separately).
 */
export function expandAbbreviation(word: string): string[] | undefined {
  const key = word.trim().toLowerCase();
  if (key === 'storage') return [...STATEMENT_STORAGE_UIDS];
  // (ours) every standard storage class of PS3.4 B.5, current and retired.
  if (key === 'allstorage') return STORAGE_SOP_CLASSES.map((c) => c.uid);
  const group = byAbbreviation.get(key);
  return group ? [...group.uids] : undefined;
}

/** The abbreviations in their documented spelling, plus `storage`. */
export function abbreviationList(): string[] {
  return [...[...byAbbreviation.values()].map((g) => g.spelling), 'storage', 'allStorage'];
}

export function sopClassInfo(uid: string): SopClassInfo | undefined {
  return byUid.get(uid);
}

/** PS3.6 name for logs, or the UID itself when unknown. */
export function sopClassName(uid: string): string {
  return byUid.get(uid)?.name ?? uid;
}

/** Known classes of one category, e.g. every 'qr-move' class. */
export function sopClassesOfCategory(category: SopCategory): SopClassInfo[] {
  return [...byUid.values()].filter((c) => c.category === category);
}

/** True when the class is a storage class (C-STORE), from any registered table. */
export function isStorageClass(uid: string): boolean {
  return byUid.get(uid)?.category === 'storage';
}
