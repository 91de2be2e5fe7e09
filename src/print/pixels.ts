/**
 * Pixel conversions for printing (PS3.3 C.13.5.1 Preformatted Grayscale/Color Image):
 * 12-bit P-values to 8-bit for printers without 12-bit support, colour to grey for a
 * grayscale printer, and a modality image (any depth, with its window) to a print image.
 */
import { findElement, get, set, type Identifier } from '../dicom/identifier';
import type { PixelModule } from '../dicom/render/pixel-module';
import { defaultWindow, modalityValues, renderFrame } from '../dicom/render/render';
import { TAG } from './uids';

function num(item: Identifier, tag: number): number {
  return Number(get(item, tag) ?? NaN);
}

/** Grey image item from 8- or 16-bit samples (unsigned, MONOCHROME2). */
export function greyItem(rows: number, cols: number, bits: 8 | 12, pixels: Buffer, photometric = 'MONOCHROME2'): Identifier {
  return [
    { tag: TAG.SamplesPerPixel, vr: 'US', value: '1' },
    { tag: TAG.Photometric, vr: 'CS', value: photometric },
    { tag: TAG.Rows, vr: 'US', value: String(rows) },
    { tag: TAG.Columns, vr: 'US', value: String(cols) },
    { tag: TAG.PixelAspectRatio, vr: 'IS', value: '1\\1' },
    { tag: TAG.BitsAllocated, vr: 'US', value: bits === 8 ? '8' : '16' },
    { tag: TAG.BitsStored, vr: 'US', value: String(bits) },
    { tag: TAG.HighBit, vr: 'US', value: String(bits - 1) },
    { tag: TAG.PixelRepresentation, vr: 'US', value: '0' },
    { tag: TAG.PixelData, vr: bits === 8 ? 'OB' : 'OW', value: pixels },
  ];
}

/** RGB 8-bit image item, colour-by-plane (Planar Configuration 1, PS3.3 C.13.5.1). */
export function colourItem(rows: number, cols: number, interleaved: Uint8Array): Identifier {
  const n = rows * cols;
  const planar = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) planar[c * n + i] = interleaved[i * 3 + c];
  return [
    { tag: TAG.SamplesPerPixel, vr: 'US', value: '3' },
    { tag: TAG.Photometric, vr: 'CS', value: 'RGB' },
    { tag: TAG.PlanarConfiguration, vr: 'US', value: '1' },
    { tag: TAG.Rows, vr: 'US', value: String(rows) },
    { tag: TAG.Columns, vr: 'US', value: String(cols) },
    { tag: TAG.PixelAspectRatio, vr: 'IS', value: '1\\1' },
    { tag: TAG.BitsAllocated, vr: 'US', value: '8' },
    { tag: TAG.BitsStored, vr: 'US', value: '8' },
    { tag: TAG.HighBit, vr: 'US', value: '7' },
    { tag: TAG.PixelRepresentation, vr: 'US', value: '0' },
    { tag: TAG.PixelData, vr: 'OB', value: planar },
  ];
}

/** 16/12 grey item → 8/8 (keeps the top 8 bits of each P-value). Other items are returned as they are. */
export function to8Bit(item: Identifier): Identifier {
  if (num(item, TAG.BitsAllocated) !== 16) return item;
  const px = findElement(item, TAG.PixelData)?.value as Buffer;
  const n = num(item, TAG.Rows) * num(item, TAG.Columns);
  const out = Buffer.alloc(n);
  const shift = Math.max(0, num(item, TAG.BitsStored) - 8);
  for (let i = 0; i < n; i++) out[i] = Math.min(255, px.readUInt16LE(i * 2) >> shift);
  return greyItem(num(item, TAG.Rows), num(item, TAG.Columns), 8, out, (get(item, TAG.Photometric) ?? 'MONOCHROME2').trim());
}

/** RGB item → MONOCHROME2 8-bit by luma (ITU-R BT.601 weights), for a grayscale-only printer. */
export function colourToGrey(item: Identifier): Identifier {
  const rows = num(item, TAG.Rows);
  const cols = num(item, TAG.Columns);
  const n = rows * cols;
  const px = findElement(item, TAG.PixelData)?.value as Buffer;
  const planar = num(item, TAG.PlanarConfiguration) === 1;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    const s = (c: number): number => (planar ? px[c * n + i] : px[i * 3 + c]);
    out[i] = Math.round(0.299 * s(0) + 0.587 * s(1) + 0.114 * s(2));
  }
  return greyItem(rows, cols, 8, out);
}

/**
 * A modality image → print item: grey through the Modality LUT and the image's window
 * (or `window`) to 8 or 12 bits (PS3.3 C.11.2.1.2.1 linear function, output range
 * 0..2^bits-1), MONOCHROME1 turned into MONOCHROME2; colour as RGB 8-bit.
 */
export function printItemFromImage(pm: PixelModule, bits: 8 | 12, window?: { center: number; width: number }): Identifier {
  if (pm.samplesPerPixel === 3) {
    const img = renderFrame(pm);
    return colourItem(img.height, img.width, img.data);
  }
  const values = modalityValues(pm, 0);
  const { center, width } = window ?? defaultWindow(pm, values);
  const ymax = 2 ** bits - 1;
  const w = Math.max(1, width);
  const invert = pm.photometric === 'MONOCHROME1';
  const out = Buffer.alloc(values.length * (bits === 8 ? 1 : 2));
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    let y: number;
    if (x <= center - 0.5 - (w - 1) / 2) y = 0;
    else if (x > center - 0.5 + (w - 1) / 2) y = ymax;
    else y = Math.round(((x - (center - 0.5)) / (w - 1 || 1) + 0.5) * ymax);
    if (invert) y = ymax - y;
    if (bits === 8) out[i] = y;
    else out.writeUInt16LE(y, i * 2);
  }
  return greyItem(pm.rows, pm.columns, bits, out);
}

/** Replaces the image item of an image box data set (grey or colour sequence). */
export function withItem(box: Identifier, item: Identifier, colour: boolean): Identifier {
  const out = box.filter((e) => e.tag !== TAG.BasicGrayscaleImageSequence && e.tag !== TAG.BasicColorImageSequence);
  set(out, colour ? TAG.BasicColorImageSequence : TAG.BasicGrayscaleImageSequence, [item], 'SQ');
  return out;
}
