/**
 * Decoding of character strings per Specific Character Set (0008,0005), PS3.5 6.1 and
 * PS3.3 C.12.1.1.2. Applies to the VRs whose repertoire may be extended: SH, LO, ST,
 * LT, UT, UC, PN (PS3.5 6.1.2.3). Everything else is the default repertoire.
 *
 * dcmjs decodes with one TextDecoder per data set and refuses multi-valued (ISO 2022)
 * charsets, so the store decodes raw bytes itself.
 */
import { TextDecoder } from 'node:util';

/** Non-ISO 2022 Defined Terms (PS3.3 Table C.12-2 and C.12-5) → WHATWG encoding label. */
const SINGLE: Record<string, string> = {
  '': 'ascii',
  'ISO_IR 6': 'ascii',
  'ISO_IR 100': 'latin1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 13': 'shift_jis',
  'ISO_IR 166': 'windows-874',
  'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/** ISO 2022 Defined Terms (PS3.3 Table C.12-3/C.12-4) → G1 code element used at start. */
const ISO2022_G1: Record<string, G1> = {
  'ISO 2022 IR 6': null,
  'ISO 2022 IR 100': 'latin1',
  'ISO 2022 IR 101': 'iso-8859-2',
  'ISO 2022 IR 109': 'iso-8859-3',
  'ISO 2022 IR 110': 'iso-8859-4',
  'ISO 2022 IR 144': 'iso-8859-5',
  'ISO 2022 IR 127': 'iso-8859-6',
  'ISO 2022 IR 126': 'iso-8859-7',
  'ISO 2022 IR 138': 'iso-8859-8',
  'ISO 2022 IR 148': 'iso-8859-9',
  'ISO 2022 IR 203': 'iso-8859-15',
  'ISO 2022 IR 13': 'jis-kana',
  'ISO 2022 IR 166': 'windows-874',
  'ISO 2022 IR 87': null,
  'ISO 2022 IR 159': null,
  'ISO 2022 IR 149': 'euc-kr',
  'ISO 2022 IR 58': 'gbk',
};

/** G0: what bytes 0x21-0x7E mean; G1: what bytes 0xA1-0xFE mean. */
type G0 = 'ascii' | 'jis-roman' | 'jis0208' | 'jis0212';
type G1 = string | 'jis-kana' | null;

/** Escape sequences (bytes after ESC) → designation (PS3.3 Table C.12-3, C.12-4). */
const ESCAPES: Array<[string, { g0?: G0; g1?: G1 }]> = [
  ['(B', { g0: 'ascii' }],
  ['(J', { g0: 'jis-roman' }],
  ['$B', { g0: 'jis0208' }],
  ['$(D', { g0: 'jis0212' }],
  [')I', { g1: 'jis-kana' }],
  ['-A', { g1: 'latin1' }],
  ['-B', { g1: 'iso-8859-2' }],
  ['-C', { g1: 'iso-8859-3' }],
  ['-D', { g1: 'iso-8859-4' }],
  ['-L', { g1: 'iso-8859-5' }],
  ['-G', { g1: 'iso-8859-6' }],
  ['-F', { g1: 'iso-8859-7' }],
  ['-H', { g1: 'iso-8859-8' }],
  ['-M', { g1: 'iso-8859-9' }],
  ['-b', { g1: 'iso-8859-15' }],
  ['-T', { g1: 'windows-874' }],
  ['$)C', { g1: 'euc-kr' }],
  ['$)A', { g1: 'gbk' }],
];

const decoders = new Map<string, TextDecoder>();
function decoder(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) {
    d = new TextDecoder(label);
    decoders.set(label, d);
  }
  return d;
}

/** Splits the raw (0008,0005) value into its terms; trims the padding of each. */
export function parseCharsetTerms(raw: string | null | undefined): string[] {
  if (!raw) return [];
  return raw.split('\\').map((t) => t.trim());
}

function isIso2022(terms: string[]): boolean {
  return terms.some((t) => t.startsWith('ISO 2022'));
}

/**
 * Decodes bytes with one single-byte or multi-byte encoding. Real-world data in the
 * default repertoire often carries undeclared Latin-1 or UTF-8: for bytes ≥ 0x80 we try
 * UTF-8 strictly and fall back to ISO 8859-1 (never throws).
 */
function decodeSimple(bytes: Uint8Array, label: string): string {
  if (label === 'latin1') return Buffer.from(bytes).toString('latin1'); // true ISO 8859-1, not windows-1252
  if (label === 'ascii') {
    if (bytes.every((b) => b < 0x80)) return Buffer.from(bytes).toString('latin1');
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return Buffer.from(bytes).toString('latin1');
    }
  }
  return decoder(label).decode(bytes);
}

/**
 * Decodes one text value (all its multiple values and PN groups together) from raw
 * bytes using the data set's Specific Character Set terms.
 */
export function decodeText(bytes: Uint8Array, terms: string[]): string {
  if (isIso2022(terms)) return decodeIso2022(bytes, terms);
  const label = SINGLE[terms[0] ?? ''];
  return decodeSimple(bytes, label ?? 'ascii');
}

interface State { g0: G0; g1: G1 }

function initialState(terms: string[]): State {
  const first = terms[0] ?? '';
  const g1 = first in ISO2022_G1 ? ISO2022_G1[first] : null;
  return { g0: 'ascii', g1 };
}

/**
 * PS3.5 6.1.2.5.3: code extension by escape sequences. The value starts in the
 * designation of the first term; delimiters CR, LF, FF, TAB, `\` and, in PN, `^` and
 * `=` return to it ("the character set ... shall be switched back ... before").
 * Bytes are cut into runs of one code element and each run is decoded on its own.
 */
function decodeIso2022(bytes: Uint8Array, terms: string[]): string {
  const init = initialState(terms);
  let st: State = { ...init };
  let out = '';
  let run: number[] = [];
  let runKey = '';
  const flush = (): void => {
    if (run.length) out += decodeRun(runKey, Uint8Array.from(run));
    run = [];
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x1b) {
      const esc = matchEscape(bytes, i + 1);
      if (esc) {
        flush();
        st = { g0: esc.designation.g0 ?? st.g0, g1: esc.designation.g1 !== undefined ? esc.designation.g1 : st.g1 };
        i += esc.length;
        continue;
      }
    }
    if (isResetDelimiter(b) && st.g0 !== 'jis0208' && st.g0 !== 'jis0212') st = { ...init };
    const key = b < 0x80 ? `g0:${b < 0x21 ? 'ascii' : st.g0}` : `g1:${st.g1 ?? 'none'}`;
    if (key !== runKey) {
      flush();
      runKey = key;
    }
    run.push(b);
  }
  flush();
  return out;
}

function isResetDelimiter(b: number): boolean {
  return b === 0x0d || b === 0x0a || b === 0x0c || b === 0x09 || b === 0x5c || b === 0x5e || b === 0x3d;
}

function matchEscape(bytes: Uint8Array, at: number): { designation: { g0?: G0; g1?: G1 }; length: number } | null {
  for (const [seq, designation] of ESCAPES) {
    let ok = at + seq.length <= bytes.length;
    for (let k = 0; ok && k < seq.length; k++) ok = bytes[at + k] === seq.charCodeAt(k);
    if (ok) return { designation, length: seq.length };
  }
  return null;
}

const ESC_JIS0208 = [0x1b, 0x24, 0x42];
const ESC_ASCII = [0x1b, 0x28, 0x42];

function decodeRun(key: string, bytes: Uint8Array): string {
  const [plane, set] = key.split(':') as ['g0' | 'g1', string];
  if (plane === 'g0') {
    if (set === 'jis0208') return decoder('iso-2022-jp').decode(Uint8Array.from([...ESC_JIS0208, ...bytes, ...ESC_ASCII]));
    if (set === 'jis0212') return '\ufffd'.repeat(Math.ceil(bytes.length / 2)); // no decoder for JIS X 0212
    if (set === 'jis-roman') return decoder('shift_jis').decode(bytes);
    return Buffer.from(bytes).toString('latin1');
  }
  if (set === 'none') return '\ufffd'.repeat(bytes.length);
  if (set === 'jis-kana') return decoder('shift_jis').decode(bytes);
  return decodeSimple(bytes, set);
}

/** PN value → its three component groups (PS3.5 6.2.1): alphabetic, ideographic, phonetic. */
export function personNameGroups(pn: string): { alphabetic: string; ideographic: string; phonetic: string } {
  const [alphabetic = '', ideographic = '', phonetic = ''] = pn.split('=');
  return { alphabetic, ideographic, phonetic };
}

/**
 * Key for case-insensitive PN matching: alphabetic group, upper case, without the
 * trailing empty components (`DOE^JOHN^^^` → `DOE^JOHN`).
 */
export function normalizePersonName(alphabetic: string): string {
  return alphabetic.replace(/[\^ ]+$/, '').toUpperCase();
}
