/** The shape of a console command and the tokenizer the commands share. */
import { EdgeError } from '../util/errors';
import type { ConsoleBackend } from './backend';
import type { PendingConfig } from './pending';

export interface CommandContext {
  backend: ConsoleBackend;
  pending: PendingConfig;
  /** Words after the command name ("double quotes" group words). */
  args: string[];
  /** The raw text after the command name, trimmed. */
  rest: string;
}

export interface ConsoleCommand {
  name: string;
  usage: string;
  /** Short form for the help list (default: usage). */
  synopsis?: string;
  summary: string;
  /** Lines to print. */
  run(ctx: CommandContext): Promise<string[]>;
}

/** Words separated by blanks; "a b" is one word (quotes removed), \" a literal quote. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && line[i + 1] === '"') {
      cur += '"';
      i++;
      inWord = true;
    } else if (ch === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && /\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quoted) throw new EdgeError('CONSOLE_QUOTE', 'unbalanced double quote');
  if (inWord) out.push(cur);
  return out;
}

/** The text after the first `n` words of `line` (blanks inside the value kept). */
export function restAfter(line: string, n: number): string {
  let s = line.trimStart();
  for (let i = 0; i < n; i++) s = s.replace(/^\S+\s*/, '');
  return s.trimEnd();
}

export class UsageError extends EdgeError {
  constructor(usage: string, why?: string) {
    super('CONSOLE_USAGE', `${why ? `${why}; ` : ''}usage: ${usage}`);
  }
}
