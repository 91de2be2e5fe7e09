/** Progress line and summary shared by `move` and `get`. */
import type { RetrieveProgress, RetrieveResult } from '../../services/qr-scu';
import { bool } from '../args';
import { Progress } from '../progress';
import { statusLine, type QrCli } from './qr-shared';

export function retrieveProgress(label: string, q: QrCli): { update(p: RetrieveProgress): void; done(): void } {
  let bar: Progress | undefined;
  let responses = 0;
  let finished = false;
  return {
    update: (p) => {
      responses++;
      const total = (p.remaining ?? 0) + p.completed + p.failed + p.warning;
      bar ??= bool(q.a, 'quiet') ? undefined : new Progress(total, label);
      bar?.update(p.completed + p.failed + p.warning, 0, p.failed);
      if (bool(q.a, 'verbose')) process.stderr.write(`${label}: ${p.completed} completed, ${p.warning} warning, ${p.failed} failed, ${p.remaining ?? '?'} remaining\n`);
      if (q.cancelAfter && responses >= q.cancelAfter) q.controller.abort();
    },
    done: () => {
      if (!finished) bar?.done();
      finished = true;
    },
  };
}

export function printRetrieve(q: QrCli, r: RetrieveResult, what: string, service: 'move' | 'get'): void {
  if (bool(q.a, 'json')) {
    process.stdout.write(`${JSON.stringify({ ...r, statusText: statusLine(r.status, service) }, null, 2)}\n`);
    return;
  }
  if (bool(q.a, 'quiet')) return;
  process.stdout.write(`${what}: ${r.completed} completed, ${r.warning} warning, ${r.failed} failed${r.remaining ? `, ${r.remaining} remaining` : ''}; status ${statusLine(r.status, service)}${r.errorComment ? `: ${r.errorComment}` : ''}${r.cancelled ? ' (cancel requested)' : ''}\n`);
  for (const uid of r.failedUids) process.stdout.write(`failed: ${uid}\n`);
}
