/**
 * The JPEG encoder off the event loop: jpeg-js takes ~300 ms for a 2048×2048 frame, which on
 * the agent's thread would stall every association (C-STOREs wait for their answer). Bundled
 * into a string at build time (scripts/lib/jpeg-worker.mjs) and run with `eval: true`.
 * One message in ({ id, image, quality }), one out ({ id, jpeg } or { id, error }).
 */
import { parentPort } from 'node:worker_threads';
import { encodeJpeg } from './jpeg';

parentPort?.on('message', (m: { id: number; image: Parameters<typeof encodeJpeg>[0]; quality?: number }) => {
  try {
    parentPort!.postMessage({ id: m.id, jpeg: encodeJpeg(m.image, m.quality) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
