/**
 * Film layout and attribute values of PS3.3 C.13, pure: Image Display Format parsing,
 * film sizes, enumerated-value checks, and the mapping of what a modality asked for to
 * what a printer accepts.
 */
import type { PrinterCapabilities } from './config';

/** A box on the film in film-relative units (0..1), in Image Box Position order. */
export interface BoxRect { x: number; y: number; w: number; h: number }

export interface DisplayFormat {
  kind: 'STANDARD' | 'ROW' | 'COL';
  /** STANDARD: [columns, rows]; ROW: images per row; COL: images per column. */
  counts: number[];
  boxes: BoxRect[];
}

/**
 * PS3.3 C.13.3 Image Display Format: `STANDARD\C,R` (C columns, R rows), `ROW\R1,R2,…`
 * (one value per row: images in that row), `COL\C1,C2,…` (images per column). Boxes are
 * numbered left to right, top to bottom (ROW) or top to bottom, left to right (COL).
 * SLIDE, SUPERSLIDE and CUSTOM are not supported. Returns a problem text when invalid.
 */
export function parseDisplayFormat(value: string): DisplayFormat | string {
  const m = /^\s*(STANDARD|ROW|COL)\\(\d+(?:,\d+)*)\s*$/i.exec(value);
  if (!m) return `Image Display Format "${value}" is not STANDARD\\C,R, ROW\\… or COL\\…`;
  const kind = m[1].toUpperCase() as DisplayFormat['kind'];
  const counts = m[2].split(',').map(Number);
  if (counts.some((n) => n < 1 || n > 64)) return `Image Display Format "${value}": counts must be 1..64`;
  if (kind === 'STANDARD') {
    if (counts.length !== 2) return `Image Display Format "${value}": STANDARD takes C,R`;
    const [c, r] = counts;
    const boxes: BoxRect[] = [];
    for (let y = 0; y < r; y++) for (let x = 0; x < c; x++) boxes.push({ x: x / c, y: y / r, w: 1 / c, h: 1 / r });
    return { kind, counts, boxes };
  }
  const boxes: BoxRect[] = [];
  counts.forEach((n, i) => {
    for (let j = 0; j < n; j++) {
      if (kind === 'ROW') boxes.push({ x: j / n, y: i / counts.length, w: 1 / n, h: 1 / counts.length });
      else boxes.push({ x: i / counts.length, y: j / n, w: 1 / counts.length, h: 1 / n });
    }
  });
  return { kind, counts, boxes };
}

/** PS3.3 C.13.3 Film Size ID → [width, height] in mm (portrait). */
export function filmSizeMm(id: string): [number, number] | undefined {
  const v = id.trim().toUpperCase();
  if (v === 'A4') return [210, 297];
  if (v === 'A3') return [297, 420];
  const m = /^(\d+)(?:_(\d+))?(IN|CM)X(\d+)(?:_(\d+))?(IN|CM)$/.exec(v);
  if (!m) return undefined;
  const part = (whole: string, frac: string | undefined, unit: string): number =>
    (Number(whole) + (frac ? Number(`0.${frac}`) : 0)) * (unit === 'IN' ? 25.4 : 10);
  return [part(m[1], m[2], m[3]), part(m[4], m[5], m[6])];
}

/** Enumerated / defined values checked on N-CREATE and N-SET (PS3.3 C.13.1, C.13.3, C.13.5). */
export const ENUMS: Record<number, RegExp> = {
  0x20000020: /^(HIGH|MED|LOW)$/, // Print Priority
  0x20000030: /^(PAPER|CLEAR FILM|BLUE FILM|MAMMO CLEAR FILM|MAMMO BLUE FILM)$/, // Medium Type
  0x20000040: /^(MAGAZINE|PROCESSOR|BIN_\d+)$/, // Film Destination
  0x20100040: /^(PORTRAIT|LANDSCAPE)$/, // Film Orientation
  0x20100050: /^(\d+(_\d+)?(IN|CM)X\d+(_\d+)?(IN|CM)|A4|A3)$/, // Film Size ID
  0x20100060: /^(REPLICATE|BILINEAR|CUBIC|NONE)$/, // Magnification Type
  0x20100100: /^(BLACK|WHITE|\d+)$/, // Border Density
  0x20100110: /^(BLACK|WHITE|\d+)$/, // Empty Image Density
  0x20100140: /^(YES|NO)$/, // Trim
  0x20200020: /^(NORMAL|REVERSE)$/, // Polarity
  0x20200040: /^(DECIMATE|CROP|FAIL)$/, // Requested Decimate/Crop Behavior
  0x20500020: /^(IDENTITY|LIN OD)$/, // Presentation LUT Shape
};

/** Density (BLACK, WHITE, hundredths of optical density) → 8-bit grey for previews. */
export function densityGrey(v: string | undefined, dflt: number): number {
  const s = (v ?? '').trim().toUpperCase();
  if (s === 'BLACK') return 0;
  if (s === 'WHITE') return 255;
  if (/^\d+$/.test(s)) return Math.round(255 * Math.max(0, 1 - Number(s) / 300));
  return dflt;
}

/** The film size to send: as asked when accepted (or nothing is configured), else the accepted size nearest in area. */
export function mapFilmSize(asked: string | undefined, caps: PrinterCapabilities): string | undefined {
  if (!caps.filmSizes.length) return asked;
  if (asked && caps.filmSizes.includes(asked.toUpperCase())) return asked.toUpperCase();
  const dims = asked ? filmSizeMm(asked) : undefined;
  if (!dims) return caps.filmSizes[0];
  const area = dims[0] * dims[1];
  let best = caps.filmSizes[0];
  let bestDiff = Infinity;
  for (const s of caps.filmSizes) {
    const d = filmSizeMm(s);
    const diff = d ? Math.abs(d[0] * d[1] - area) : Infinity;
    if (diff < bestDiff) { best = s; bestDiff = diff; }
  }
  return best;
}

/**
 * The STANDARD\c,r format to send `boxes` images with, or undefined when the printer
 * accepts the asked format as is. Prefers a format with room for every image and the
 * fewest empty boxes; when none holds them all, the largest (the SCU splits the film).
 */
export function mapDisplayFormat(asked: string, boxes: number, caps: PrinterCapabilities): { format: string; capacity: number } {
  const f = parseDisplayFormat(asked);
  const std = typeof f !== 'string' && f.kind === 'STANDARD' ? f.counts : undefined;
  if (!caps.displayFormats.length) return { format: asked, capacity: typeof f === 'string' ? boxes : f.boxes.length };
  if (std && caps.displayFormats.some(([c, r]) => c === std[0] && r === std[1])) return { format: asked, capacity: std[0] * std[1] };
  const fits = caps.displayFormats.filter(([c, r]) => c * r >= boxes).sort((a, b) => a[0] * a[1] - b[0] * b[1]);
  const [c, r] = fits[0] ?? [...caps.displayFormats].sort((a, b) => b[0] * b[1] - a[0] * a[1])[0];
  return { format: `STANDARD\\${c},${r}`, capacity: c * r };
}

/** The magnification to send: as asked when accepted, else the first accepted smooth one. */
export function mapMagnification(asked: string | undefined, caps: PrinterCapabilities): string | undefined {
  if (!caps.magnificationTypes.length || !asked) return asked;
  const a = asked.toUpperCase();
  if (caps.magnificationTypes.includes(a)) return a;
  return ['BILINEAR', 'CUBIC', 'REPLICATE', 'NONE'].find((m) => caps.magnificationTypes.includes(m)) ?? caps.magnificationTypes[0];
}
