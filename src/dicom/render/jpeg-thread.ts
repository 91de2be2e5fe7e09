/**
 * JPEG encoding on a worker thread (src/dicom/render/jpeg-worker.ts), so a large frame does
 * not stall the event loop the DICOM associations share. One worker, started on first use,
 * holding the process only while an encoding is waiting (unref'd when idle); if it dies,
 * waiting encodings fail and the next one starts a new worker. Builds define its source as __JPEG_WORKER__ (scripts/lib/
 * jpeg-worker.mjs); without it (no such build today) the encoding runs inline.
 */
import { Worker } from 'node:worker_threads';
import { EdgeError } from '../../util/errors';
import { encodeJpeg } from './jpeg';
import type { RasterImage } from './png';

declare const __JPEG_WORKER__: string | undefined;

interface Waiting { resolve: (b: Buffer) => void; reject: (e: Error) => void }

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, Waiting>();

function start(source: string): Worker {
  const w = new Worker(source, { eval: true });
  w.on('message', (m: { id: number; jpeg?: Uint8Array; error?: string }) => {
    const p = waiting.get(m.id);
    if (!p) return;
    waiting.delete(m.id);
    if (waiting.size === 0) w.unref();
    if (m.jpeg) p.resolve(Buffer.from(m.jpeg.buffer, m.jpeg.byteOffset, m.jpeg.byteLength));
    else p.reject(new EdgeError('JPEG_ENCODE', m.error ?? 'JPEG encoding failed'));
  });
  const gone = (why: string): void => {
    if (worker === w) worker = undefined;
    for (const p of waiting.values()) p.reject(new EdgeError('JPEG_ENCODE', `JPEG worker ${why}`));
    waiting.clear();
  };
  w.on('error', (e) => gone(`failed: ${e.message}`));
  w.on('exit', (code) => gone(`exited (${code})`));
  return w;
}

/** `encodeJpeg` on the worker thread; resolves with the JPEG bytes. */
export function encodeJpegOffThread(img: RasterImage, quality?: number): Promise<Buffer> {
  const source = typeof __JPEG_WORKER__ === 'string' ? __JPEG_WORKER__ : undefined;
  if (!source) return Promise.resolve().then(() => encodeJpeg(img, quality));
  const w = (worker ??= start(source));
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    if (waiting.size === 0) w.ref();
    waiting.set(id, { resolve, reject });
    w.postMessage({ id, image: img, quality });
  });
}
