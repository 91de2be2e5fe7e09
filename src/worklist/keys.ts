/**
 * The Modality Worklist Information Model (PS3.4 K.6.1.2.2, Table K.6-1): which return keys
 * are Type 1 (always a value), the identity of an item (merge/dedupe), and the broad
 * identifier the proxy sends upstream so that cached items can answer later queries
 * whatever return keys those ask for.
 */
import { findElement, get, type IdElement, type Identifier } from '../dicom/identifier';
import { combinedPairs } from '../store/query-match';

export const MWL_TAG = {
  SpecificCharacterSet: 0x00080005,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  ReferringPhysicianName: 0x00080090,
  ReferencedStudySequence: 0x00081110,
  ReferencedPatientSequence: 0x00081120,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  PatientBirthDate: 0x00100030,
  PatientSex: 0x00100040,
  StudyInstanceUID: 0x0020000d,
  RequestingPhysician: 0x00321032,
  RequestedProcedureDescription: 0x00321060,
  RequestedProcedureCodeSequence: 0x00321064,
  ScheduledStationAETitle: 0x00400001,
  ScheduledProcedureStepStartDate: 0x00400002,
  ScheduledProcedureStepStartTime: 0x00400003,
  ScheduledPerformingPhysicianName: 0x00400006,
  ScheduledProcedureStepDescription: 0x00400007,
  ScheduledProtocolCodeSequence: 0x00400008,
  ScheduledProcedureStepID: 0x00400009,
  ScheduledStationName: 0x00400010,
  ScheduledProcedureStepLocation: 0x00400011,
  ScheduledProcedureStepSequence: 0x00400100,
  RequestedProcedureID: 0x00401001,
  RequestedProcedurePriority: 0x00401003,
} as const;

const T = MWL_TAG;

/** Table K.6-1 Return Key Type 1 at the top level of the identifier. */
export const TYPE1_TOP: ReadonlySet<number> = new Set([
  T.ScheduledProcedureStepSequence, T.RequestedProcedureID, T.StudyInstanceUID, T.PatientName, T.PatientID,
]);

/** Table K.6-1 Return Key Type 1 inside a Scheduled Procedure Step Sequence item. */
export const TYPE1_SPS: ReadonlySet<number> = new Set([
  T.ScheduledStationAETitle, T.ScheduledProcedureStepStartDate, T.ScheduledProcedureStepStartTime, T.Modality, T.ScheduledProcedureStepID,
]);

const el = (tag: number, vr: string, value: string | Identifier[] = ''): IdElement => ({ tag, vr, value });

/** Scheduled Procedure Step Sequence keys the proxy asks the RIS for. */
function spsTemplate(): Identifier {
  return [
    el(T.Modality, 'CS'),
    el(T.ScheduledStationAETitle, 'AE'),
    el(T.ScheduledProcedureStepStartDate, 'DA'),
    el(T.ScheduledProcedureStepStartTime, 'TM'),
    el(T.ScheduledPerformingPhysicianName, 'PN'),
    el(T.ScheduledProcedureStepDescription, 'LO'),
    el(T.ScheduledProtocolCodeSequence, 'SQ', []),
    el(T.ScheduledProcedureStepID, 'SH'),
    el(T.ScheduledStationName, 'SH'),
    el(T.ScheduledProcedureStepLocation, 'SH'),
  ];
}

/** Every other Table K.6-1 key the proxy asks for (return keys: zero length). */
function topTemplate(): Identifier {
  return [
    // Asked for so that the RIS says how its text is encoded (carried through to the modality).
    el(T.SpecificCharacterSet, 'CS'),
    el(T.AccessionNumber, 'SH'),
    el(T.ReferringPhysicianName, 'PN'),
    el(T.ReferencedStudySequence, 'SQ', []),
    el(T.ReferencedPatientSequence, 'SQ', []),
    el(T.PatientName, 'PN'),
    el(T.PatientID, 'LO'),
    el(T.PatientBirthDate, 'DA'),
    el(T.PatientSex, 'CS'),
    el(T.StudyInstanceUID, 'UI'),
    el(T.RequestingPhysician, 'PN'),
    el(T.RequestedProcedureDescription, 'LO'),
    el(T.RequestedProcedureCodeSequence, 'SQ', []),
    el(T.ScheduledProcedureStepSequence, 'SQ', [spsTemplate()]),
    el(T.RequestedProcedureID, 'SH'),
    el(T.RequestedProcedurePriority, 'SH'),
  ];
}

/**
 * The identifier sent upstream: the modality's query (its matching values and any extra
 * keys it asked for) on top of every Table K.6-1 key, so the cached items are complete.
 * A start date + time pair that is one period (Table K.6-1 remark on (0040,0003)) goes up
 * as the date range alone: RISs differ there (DCMTK 3.6.7 wlmscpfs matches the two ranges
 * separately), the date range holds every step of the period, and the period itself is
 * applied here (match.ts) to the answers.
 */
export function upstreamIdentifier(query: Identifier): Identifier {
  const out = topTemplate();
  for (const q of query) mergeKey(out, q);
  return widenCombined(out).sort((a, b) => a.tag - b.tag);
}

/** The time of each combined pair becomes a return key (zero length), here and in sequence items. */
function widenCombined(id: Identifier): Identifier {
  const times = new Set(combinedPairs(id).map((p) => p.timeTag));
  return id.map((e) => {
    if (times.has(e.tag)) return { ...e, value: '' };
    if (e.vr === 'SQ' && Array.isArray(e.value) && Array.isArray(e.value[0])) return { ...e, value: (e.value as Identifier[]).map(widenCombined) };
    return e;
  });
}

function mergeKey(out: Identifier, q: IdElement): void {
  const i = out.findIndex((e) => e.tag === q.tag);
  if (i < 0) {
    out.push(q);
    return;
  }
  const base = out[i];
  if (base.vr === 'SQ' && q.vr === 'SQ' && Array.isArray(q.value) && Array.isArray(base.value)) {
    const qItem = (q.value as Identifier[])[0];
    const bItem = (base.value as Identifier[])[0];
    if (!qItem || !bItem) return;
    const merged = [...bItem];
    for (const k of qItem) mergeKey(merged, k);
    out[i] = { ...base, value: [merged.sort((a, b) => a.tag - b.tag)] };
    return;
  }
  out[i] = q;
}

/** The first Scheduled Procedure Step item of an item, if any. */
export function firstSps(item: Identifier): Identifier | undefined {
  const sq = findElement(item, T.ScheduledProcedureStepSequence);
  return sq && Array.isArray(sq.value) ? (sq.value as Identifier[])[0] : undefined;
}

/**
 * The identity used to merge and de-duplicate items from several sources: Accession Number
 * + Scheduled Procedure Step ID. Undefined when both are missing (such items are never merged).
 */
export function itemKey(item: Identifier): string | undefined {
  const acc = (get(item, T.AccessionNumber) ?? '').trim();
  const sps = firstSps(item);
  const step = sps ? (get(sps, T.ScheduledProcedureStepID) ?? '').trim() : '';
  if (!acc && !step) return undefined;
  return `${acc}\\${step}`;
}
