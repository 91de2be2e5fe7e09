/**
 * `dicom-edge get [-P|-S|-O] -k key=value... [-od DIR] (HOST PORT | REMOTE)`: C-GET like
 * DCMTK's getscu. Storage classes are proposed with the SCP role (the remote's `scp` classes,
 * else every storage class of the statement); each instance arrives as a C-STORE on the same
 * association and is written to DIR as `<SOP Instance UID>.dcm` (Part 10).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileStorageService } from '../../services/qr-file-sink';
import { get } from '../../services/qr-scu';
import { bool, str } from '../args';
import { printRetrieve, retrieveProgress } from './retrieve-output';
import { MODEL_NAMES, setupQr } from './qr-shared';

export const usage = 'get [-P|-S|-O] -k KEY=VALUE... [-od DIR] [-aet AE] [-aec AE] [--json] [--cancel-after N] (HOST PORT | REMOTE)';

export async function run(argv: string[]): Promise<number> {
  const q = setupQr(argv, [{ names: ['-od', '--output-directory'], value: true, key: 'od' }]);
  const dir = resolve(str(q.a, 'od') ?? '.');
  mkdirSync(dir, { recursive: true });
  const progress = retrieveProgress('get', q);
  let written = 0;
  const storage = fileStorageService({
    dir, aeTitle: q.request.callingAe ?? q.config.localAe.aeTitle,
    implementationClassUid: q.config.localAe.implementationClassUid, implementationVersionName: q.config.localAe.implementationVersionName,
    onInstance: (e) => {
      if (e.path) written++;
      else if (!bool(q.a, 'quiet')) process.stderr.write(`\nC-STORE ${e.sopInstanceUid} not written: ${e.error}\n`);
    },
  });
  try {
    const r = await get({ ...q.request, storage, onProgress: progress.update });
    progress.done();
    printRetrieve(q, r, `C-GET ${MODEL_NAMES[q.request.model]} into ${dir} (${written} file(s) written)`, 'get');
    return r.status === 0 || (r.status === 0xfe00 && r.cancelled) ? 0 : 1;
  } finally {
    progress.done();
    q.done();
  }
}
