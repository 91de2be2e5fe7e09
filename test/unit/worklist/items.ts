/** Worklist items for unit tests, built like the dump of test/helpers/peers.ts worklistDump(). */
import type { Identifier } from '../../../src/dicom/identifier';

export interface ItemFields {
  name?: string; id?: string; acc?: string; modality?: string; station?: string; date?: string; time?: string; step?: string; rp?: string;
  study?: string; charset?: string; performing?: string;
}

export function item(f: ItemFields = {}): Identifier {
  const out: Identifier = [];
  if (f.charset) out.push({ tag: 0x00080005, vr: 'CS', value: f.charset });
  out.push(
    { tag: 0x00080050, vr: 'SH', value: f.acc ?? 'ACC1' },
    { tag: 0x00100010, vr: 'PN', value: f.name ?? 'DOE^JOHN' },
    { tag: 0x00100020, vr: 'LO', value: f.id ?? 'P1' },
    { tag: 0x00100030, vr: 'DA', value: '19700101' },
    { tag: 0x0020000d, vr: 'UI', value: f.study ?? '1.2.3.4' },
    { tag: 0x00321060, vr: 'LO', value: 'CT HEAD' },
    {
      tag: 0x00400100, vr: 'SQ', value: [[
        { tag: 0x00080060, vr: 'CS', value: f.modality ?? 'CT' },
        { tag: 0x00400001, vr: 'AE', value: f.station ?? 'CT1' },
        { tag: 0x00400002, vr: 'DA', value: f.date ?? '20240102' },
        { tag: 0x00400003, vr: 'TM', value: f.time ?? '101500' },
        { tag: 0x00400006, vr: 'PN', value: f.performing ?? 'PERF^DOC' },
        { tag: 0x00400009, vr: 'SH', value: f.step ?? 'SPS1' },
      ]],
    },
    { tag: 0x00401001, vr: 'SH', value: f.rp ?? 'RP1' },
  );
  return out;
}

/** A query: top-level keys and SPS item keys (empty string = return key). */
export function query(top: Record<number, string>, sps?: Record<number, string>): Identifier {
  const vr: Record<number, string> = {
    0x00080050: 'SH', 0x00100010: 'PN', 0x00100020: 'LO', 0x00100030: 'DA', 0x00100040: 'CS', 0x0020000d: 'UI', 0x00321060: 'LO', 0x00401001: 'SH', 0x00080005: 'CS',
    0x00080060: 'CS', 0x00400001: 'AE', 0x00400002: 'DA', 0x00400003: 'TM', 0x00400006: 'PN', 0x00400009: 'SH', 0x00400007: 'LO',
  };
  const q: Identifier = Object.entries(top).map(([t, v]) => ({ tag: Number(t), vr: vr[Number(t)] ?? 'LO', value: v }));
  if (sps) q.push({ tag: 0x00400100, vr: 'SQ', value: [Object.entries(sps).map(([t, v]) => ({ tag: Number(t), vr: vr[Number(t)] ?? 'LO', value: v }))] });
  return q.sort((a, b) => a.tag - b.tag);
}
