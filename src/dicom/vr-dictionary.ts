/**
 * Value Representation lookup for the transfer-syntax converter.
 *
 * Implicit VR data sets carry no VR (PS3.5 7.1.3); turning them into Explicit VR
 * needs the data dictionary (PS3.6 Table 6-1). The dictionary comes from dcmjs,
 * whose `DicomMetaDictionary.nameMap` is enumerable ("(GGGG,EEEE)" → { vr }), and is
 * compacted once, on first use, into a Map keyed by the 32-bit tag number.
 * dcmjs spells the ambiguous VRs of PS3.6 with lower-case codes: "ox" (OB or OW),
 * "xs" (US or SS), "lt" (US or SS or OW), "up" (the old UL "unsigned pointer").
 */

export type Vr = string;

/** Pixel module values that decide the ambiguous VRs (PS3.5 Annex A.1). */
export interface VrContext {
  bitsAllocated?: number;
  pixelRepresentation?: number;
}

// PS3.5 7.1.2 / Table 7.1-1: these VRs have 2 reserved bytes and a 32-bit length.
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UR', 'UT', 'UN', 'SV', 'UV']);

/** Every VR of PS3.5 Table 6.2-1. */
export const KNOWN_VRS = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW',
  'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV',
]);

// Byte-swap unit of each binary VR when the byte order changes (PS3.5 7.3).
// AT is a pair of 16-bit unsigned integers (group, element): each half swaps alone.
const SWAP_UNIT: Record<string, number> = {
  US: 2, SS: 2, OW: 2, AT: 2,
  UL: 4, SL: 4, FL: 4, OL: 4, OF: 4,
  FD: 8, OD: 8, SV: 8, UV: 8, OV: 8,
};

export const TAG_PIXEL_DATA = 0x7fe00010;
export const TAG_BITS_ALLOCATED = 0x00280100;
export const TAG_PIXEL_REPRESENTATION = 0x00280103;

let dictionary: Map<number, Vr> | undefined;

function loadDictionary(): Map<number, Vr> {
  // dcmjs has no types; only nameMap's { tag, vr } entries are used.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dcmjs = require('dcmjs') as { data: { DicomMetaDictionary: { nameMap: Record<string, { tag: string; vr: string }> } } };
  const map = new Map<number, Vr>();
  for (const entry of Object.values(dcmjs.data.DicomMetaDictionary.nameMap)) {
    const m = /^\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)$/.exec(entry.tag);
    if (m) map.set(parseInt(m[1] + m[2], 16) >>> 0, entry.vr);
  }
  return map;
}

/** The dictionary's VR for a tag (ambiguous VRs in dcmjs spelling), or undefined. */
export function dictionaryVr(tag: number): Vr | undefined {
  dictionary ??= loadDictionary();
  const exact = dictionary.get(tag >>> 0);
  if (exact !== undefined) return exact;
  // Repeating groups 50xx, 60xx, 7Fxx (PS3.5 7.6): the dictionary lists the base group.
  const group = tag >>> 16;
  const base = group & 0xff00;
  if ((base === 0x5000 || base === 0x6000 || base === 0x7f00) && group % 2 === 0) {
    return dictionary.get(((base << 16) | (tag & 0xffff)) >>> 0);
  }
  return undefined;
}

function isLutDescriptor(tag: number): boolean {
  // PS3.3 C.7.6.3.1.5 / C.11.1.1: descriptors' first and third values are always US.
  const t = tag >>> 0;
  return t === 0x00283002 || (t >= 0x00281101 && t <= 0x00281103) || (t >= 0x00281111 && t <= 0x00281113) || t === 0x00281100;
}

/** Resolves an ambiguous dcmjs VR code to one real VR. `length` guards OW against odd lengths. */
function resolveAmbiguous(tag: number, vr: Vr, ctx: VrContext, length: number): Vr {
  switch (vr) {
    case 'up':
      return 'UL';
    case 'xs':
      if (isLutDescriptor(tag)) return 'US';
      return ctx.pixelRepresentation === 1 ? 'SS' : 'US';
    case 'ox':
      // PS3.5 A.1: Pixel Data is OW when Bits Allocated > 8, OB otherwise; other OB/OW
      // elements (overlay, waveform, LUT data) default to OW, as DCMTK does.
      if (length % 2 === 1) return 'OB';
      if ((tag >>> 0) === TAG_PIXEL_DATA && ctx.bitsAllocated !== undefined && ctx.bitsAllocated <= 8) return 'OB';
      return 'OW';
    case 'lt':
      return length % 2 === 1 ? 'OB' : 'OW';
    default:
      return KNOWN_VRS.has(vr) ? vr : 'UN';
  }
}

/**
 * The VR to write in Explicit VR for an element read from Implicit VR (PS3.5 A.1).
 * Group length (gggg,0000) is UL; private creators (odd gggg, 0010-00FF) are LO;
 * other private and unknown elements are UN (PS3.5 6.2.2).
 */
export function implicitVr(tag: number, ctx: VrContext = {}, length = 0): Vr {
  const group = tag >>> 16;
  const element = tag & 0xffff;
  if (element === 0x0000) return 'UL';
  if (group % 2 === 1) return element >= 0x0010 && element <= 0x00ff ? 'LO' : 'UN';
  const vr = dictionaryVr(tag);
  return vr === undefined ? 'UN' : resolveAmbiguous(tag, vr, ctx, length);
}

/** True if the VR's explicit header has 2 reserved bytes and a 32-bit length. */
export function isLongVr(vr: Vr): boolean {
  return LONG_VRS.has(vr);
}

/** Bytes per value to swap when the byte order changes; 1 means copy as is (strings, OB, UN, SQ). */
export function swapUnit(vr: Vr): number {
  return SWAP_UNIT[vr] ?? 1;
}
