/**
 * `dicom-edge find [-P|-S|-O] -k key[=value]... (HOST PORT | REMOTE)`: C-FIND like DCMTK's
 * findscu. Matches print as a table (one column per requested key) or, with --json, as a
 * JSON array. Exit 0 on Success (or on the Cancel that --cancel-after / Ctrl-C asked for).
 */
import { findElement, type Identifier } from '../../dicom/identifier';
import { find } from '../../services/qr-scu';
import { MODEL_NAMES, cellText, identifierJson, keyName, setupQr, statusLine } from './qr-shared';
import { bool } from '../args';

export const usage = 'find [-P|-S|-O] -k KEY[=VALUE]... [-aet AE] [-aec AE] [--json] [--cancel-after N] (HOST PORT | REMOTE)';

/** A plain-text table: a header of keywords, one row per match, columns padded. */
export function formatTable(request: Identifier, matches: Identifier[]): string {
  const tags = request.map((e) => e.tag);
  for (const m of matches) for (const e of m) if (!tags.includes(e.tag)) tags.push(e.tag);
  const rows = [tags.map(keyName), ...matches.map((m) => tags.map((t) => cellText(findElement(m, t))))];
  const widths = tags.map((_, i) => Math.min(64, Math.max(...rows.map((r) => r[i].length))));
  return rows.map((r) => r.map((c, i) => c.slice(0, 64).padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  const q = setupQr(argv);
  const json = bool(q.a, 'json');
  try {
    const r = await find({
      ...q.request,
      onMatch: (_m, n) => { if (q.cancelAfter && n >= q.cancelAfter) q.controller.abort(); },
    });
    if (json) process.stdout.write(`${JSON.stringify(r.matches.map(identifierJson), null, 2)}\n`);
    else if (r.matches.length) process.stdout.write(formatTable(q.request.identifier, r.matches));
    const summary = `C-FIND ${MODEL_NAMES[q.request.model]}: ${r.matches.length} match(es); status ${statusLine(r.status, 'find')}${r.errorComment ? `: ${r.errorComment}` : ''}\n`;
    if (!bool(q.a, 'quiet')) (json ? process.stderr : process.stdout).write(summary);
    return r.status === 0 || (r.status === 0xfe00 && r.cancelled) ? 0 : 1;
  } finally {
    q.done();
  }
}
