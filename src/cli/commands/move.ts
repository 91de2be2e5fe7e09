/**
 * `dicom-edge move [-P|-S|-O] -k key=value... [--dest AE] (HOST PORT | REMOTE)`: C-MOVE like
 * DCMTK's movescu; the destination defaults to our own AE title (the running agent stores
 * what arrives). A progress line on a terminal; a summary at the end (JSON with --json).
 */
import { move } from '../../services/qr-scu';
import { str } from '../args';
import { printRetrieve, retrieveProgress } from './retrieve-output';
import { MODEL_NAMES, setupQr } from './qr-shared';

export const usage = 'move [-P|-S|-O] -k KEY=VALUE... [--dest AE] [-aet AE] [-aec AE] [--json] [--cancel-after N] (HOST PORT | REMOTE)';

export async function run(argv: string[]): Promise<number> {
  const q = setupQr(argv, [{ names: ['--dest', '-aem', '--move'], value: true, key: 'dest' }]);
  const destination = str(q.a, 'dest') ?? q.request.callingAe ?? q.config.localAe.aeTitle;
  const progress = retrieveProgress('move', q);
  try {
    const r = await move({ ...q.request, destination, onProgress: progress.update });
    progress.done();
    printRetrieve(q, r, `C-MOVE ${MODEL_NAMES[q.request.model]} to ${destination}`, 'move');
    return r.status === 0 || (r.status === 0xfe00 && r.cancelled) ? 0 : 1;
  } finally {
    progress.done();
    q.done();
  }
}
