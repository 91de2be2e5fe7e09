// The JPEG encoder's worker thread (src/dicom/render/jpeg-worker.ts) bundled to one string,
// defined as __JPEG_WORKER__ in every build (bundle, single executable, test build): the
// agent starts it with `new Worker(source, { eval: true })`, which needs no file on disk.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../src/dicom/render/jpeg-worker.ts', import.meta.url));

export async function jpegWorkerSource() {
  const r = await build({
    entryPoints: [ENTRY],
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, minify: true, logLevel: 'warning',
  });
  return r.outputFiles[0].text;
}
