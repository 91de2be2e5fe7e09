/**
 * Splits INI text into sections and `name=value` entries, keeping 1-based line numbers.
 * Written by hand rather than with the `ini` package: `ini.parse` merges repeated headers
 * (two [RemoteAE] sections become one) and trims every value, while the statement says
 * "leading and trailing spaces are significant" and allows many [RemoteAE] sections.
 *
 * Syntax: `[Section]` headers; `name=value` (the name is trimmed, the value is kept raw,
 * only a trailing CR is removed); comment lines whose first non-blank character is `;` or
 * `#`. There are no end-of-line comments: `;` inside a value is part of the value (a
 * comment, a user name). What the spaces of a value mean is decided per option type in
 * schema.ts.
 */

export interface IniEntry {
  /** Option name as written, trimmed. */
  key: string;
  /** Everything after the first `=`, untrimmed. */
  value: string;
  line: number;
}

export interface IniSection {
  /** Section name as written between the brackets, trimmed. */
  name: string;
  line: number;
  entries: IniEntry[];
}

export interface IniProblem {
  line: number;
  message: string;
}

export interface IniDocument {
  sections: IniSection[];
  problems: IniProblem[];
  /** Number of lines (a final newline does not add one), for problems about the whole file. */
  lineCount: number;
}

export function readIni(text: string): IniDocument {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  // A final newline does not start another line.
  const lineCount = lines.length > 1 && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
  const doc: IniDocument = { sections: [], problems: [], lineCount };
  let current: IniSection | undefined;
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const t = line.trim();
    if (t === '' || t.startsWith(';') || t.startsWith('#')) return;
    if (t.startsWith('[')) {
      const header = parseHeader(t);
      if (typeof header === 'string') {
        current = { name: header, line: lineNo, entries: [] };
        doc.sections.push(current);
      } else {
        doc.problems.push({ line: lineNo, message: header.problem });
        current = undefined; // skip its entries rather than file them under the previous section
      }
      return;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || line.slice(0, eq).trim() === '') {
      doc.problems.push({ line: lineNo, message: `neither a [Section] header nor name=value: "${t}"` });
      return;
    }
    const entry: IniEntry = { key: line.slice(0, eq).trim(), value: line.slice(eq + 1), line: lineNo };
    if (current) current.entries.push(entry);
    else if (doc.sections.length === 0) doc.problems.push({ line: lineNo, message: `option "${entry.key}" before any [Section] header` });
  });
  return doc;
}

function parseHeader(t: string): string | { problem: string } {
  const close = t.indexOf(']');
  if (close < 0) return { problem: `section header without closing bracket: "${t}"` };
  const rest = t.slice(close + 1).trim();
  if (rest !== '' && !rest.startsWith(';') && !rest.startsWith('#')) {
    return { problem: `text after section header: "${t}"` };
  }
  const name = t.slice(1, close).trim();
  if (name === '') return { problem: 'empty section name "[]"' };
  return name;
}
