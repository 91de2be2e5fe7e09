/**
 * The console's pending copy of the INI: edits (`set`, `remote add`…) change this text only,
 * each one checked with the parser `config check` uses; `apply` hands it to the backend,
 * `revert` drops it. An edit is refused when it adds a problem (a file that already had
 * problems, edited offline, can still be repaired one option at a time).
 */
import { parseConfig, type LoadedConfig } from '../config/load';
import { ConfigError } from '../util/errors';
import type { ConfigText } from './backend';

/** A problem without its "FILE:LINE: " prefix, so edits that move lines do not look new. */
function bare(p: string): string {
  return p.replace(/^.*?:\d+: /, '');
}

export class PendingConfig {
  path = '';
  /** The file's text when editing started (or after the last apply/revert). */
  base = '';
  text = '';
  readonly changes: string[] = [];

  reset(c: ConfigText): void {
    this.path = c.path;
    this.base = c.text;
    this.text = c.text;
    this.changes.length = 0;
  }

  get loaded(): boolean { return this.path !== ''; }
  get dirty(): boolean { return this.text !== this.base; }

  /** The pending text parsed (undefined when it has problems). */
  parsed(): LoadedConfig | undefined {
    return parseConfig(this.text, this.path).config;
  }

  problems(text = this.text): string[] {
    return parseConfig(text, this.path).problems;
  }

  /**
   * Takes `next` as the pending text unless it adds a problem (then ConfigError with the new
   * ones). Returns the warnings it adds and how many problems the text still has.
   */
  edit(next: string, description: string): { warnings: string[]; remaining: number } {
    const old = parseConfig(this.text, this.path);
    const before = new Set([...old.problems, ...old.warnings].map(bare));
    const r = parseConfig(next, this.path);
    const added = r.problems.filter((p) => !before.has(bare(p)));
    if (added.length) throw new ConfigError(added);
    this.text = next;
    this.changes.push(description);
    return { warnings: r.warnings.filter((w) => !before.has(bare(w))), remaining: r.problems.length };
  }
}
