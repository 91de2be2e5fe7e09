/**
 * Reads a stored Part 10 file and renders one frame to PNG or JPEG: the one entry point
 * the web viewer, WADO and print previews call.
 */
import { readFile } from 'node:fs/promises';
import { decodeDataSet, type Identifier } from '../identifier';
import { pixelModuleOf, type PixelModule } from './pixel-module';
import { renderFrame, type RenderOptions, type RenderResult } from './render';
import { encodePng } from './png';
import { encodeJpegOffThread } from './jpeg-thread';
import { readPart10Meta } from '../part10-reader';

export interface DecodedFile {
  transferSyntaxUid: string;
  dataSet: Identifier;
}

/** Whole file → data set (uncompressed syntaxes; Pixel Data as little-endian bytes). */
export async function readDataSetFile(path: string, dataSetOffset?: number, transferSyntaxUid?: string): Promise<DecodedFile> {
  const bytes = await readFile(path);
  let offset = dataSetOffset;
  let ts = transferSyntaxUid;
  if (offset === undefined || ts === undefined) {
    const meta = readPart10Meta(bytes);
    offset = meta.datasetOffset;
    ts = meta.transferSyntaxUid;
  }
  return { transferSyntaxUid: ts, dataSet: decodeDataSet(bytes.subarray(offset), ts).identifier };
}

export async function loadPixelModule(path: string, dataSetOffset?: number, transferSyntaxUid?: string): Promise<PixelModule> {
  return pixelModuleOf((await readDataSetFile(path, dataSetOffset, transferSyntaxUid)).dataSet);
}

export function renderPng(pm: PixelModule, o: RenderOptions = {}): { png: Buffer; image: RenderResult } {
  const image = renderFrame(pm, o);
  return { png: encodePng(image), image };
}

export type RenderedType = 'image/png' | 'image/jpeg';

/** One frame rendered and encoded as `type` (`quality` 1-100 for JPEG, encoded on a worker thread). */
export async function renderAs(pm: PixelModule, o: RenderOptions, type: RenderedType, quality?: number): Promise<Buffer> {
  const image = renderFrame(pm, o);
  return type === 'image/jpeg' ? encodeJpegOffThread(image, quality) : encodePng(image);
}
