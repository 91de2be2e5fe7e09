/**
 * Baseline JPEG of a rendered frame (the default media type of DICOMweb rendered
 * resources and of WADO-URI, PS3.18 8.7.4 and 9.1.2.1.6), encoded by jpeg-js: YCbCr 4:4:4
 * (a grey image has flat chroma, which costs almost nothing after quantisation).
 */
import { encode } from 'jpeg-js';
import { EdgeError } from '../../util/errors';
import type { RasterImage } from './png';

/** Default quality (1-100) when the request names none. */
export const DEFAULT_JPEG_QUALITY = 90;

export function encodeJpeg(img: RasterImage, quality = DEFAULT_JPEG_QUALITY): Buffer {
  const { width, height, channels, data } = img;
  if (width < 1 || height < 1 || data.length !== width * height * channels) {
    throw new EdgeError('RENDER_BAD_RASTER', `raster ${width}x${height}x${channels} does not match ${data.length} bytes`);
  }
  const rgba = Buffer.allocUnsafe(width * height * 4);
  for (let i = 0, o = 0; i < data.length; i += channels, o += 4) {
    rgba[o] = data[i];
    rgba[o + 1] = data[i + (channels === 3 ? 1 : 0)];
    rgba[o + 2] = data[i + (channels === 3 ? 2 : 0)];
    rgba[o + 3] = 255;
  }
  const q = Math.max(1, Math.min(100, Math.round(quality)));
  return encode({ width, height, data: rgba }, q).data;
}
