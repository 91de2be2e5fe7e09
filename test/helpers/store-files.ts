/**
 * Leftovers of receptions in a data folder: every file in tmp/, and the non-empty files in
 * spare/ (the pool receives in place there; its unused files are empty).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function partialFiles(dataDir: string): string[] {
  const list = (d: string): string[] => {
    try {
      return readdirSync(join(dataDir, d)).map((f) => join(d, f));
    } catch {
      return [];
    }
  };
  return [...list('tmp'), ...list('spare').filter((f) => statSync(join(dataDir, f)).size > 0)];
}
