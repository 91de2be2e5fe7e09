/**
 * Edits of INI text that leave everything else byte for byte (comments, blank lines, key
 * spellings, line endings), for the console's `set`, `remote add|del` and `route add|del`.
 * Sections and options are matched through the schema (so [Local AE] = [LocalAE] and
 * aetitle = aeTitle); what the edited text means is checked afterwards by parseConfig.
 */
import { EdgeError } from '../util/errors';
import { readIni, type IniSection } from '../config/ini-reader';
import { findOption, findSection, type SectionDef } from '../config/schema';

interface Lines { lines: string[]; eol: string; finalNewline: boolean }

function split(text: string): Lines {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const finalNewline = lines.length > 1 && lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  if (lines.length === 1 && lines[0] === '') lines.pop();
  return { lines, eol, finalNewline };
}

function join(l: Lines): string {
  return l.lines.join(l.eol) + (l.finalNewline || l.lines.length ? l.eol : '');
}

export function sectionDef(name: string): SectionDef {
  const def = findSection(name);
  if (!def) throw new EdgeError('CONSOLE_UNKNOWN_SECTION', `unknown section [${name}]`);
  return def;
}

export function optionName(def: SectionDef, option: string): string {
  const opt = findOption(def, option);
  if (!opt) {
    const known = [...new Set([...def.options.values()].map((o) => o.name))].join(', ');
    throw new EdgeError('CONSOLE_UNKNOWN_OPTION', `[${def.name}] has no option "${option}" (options: ${known})`);
  }
  return opt.name;
}

function instances(text: string, def: SectionDef): IniSection[] {
  return readIni(text).sections.filter((s) => findSection(s.name) === def);
}

/** Sets SECTION OPTION = VALUE: the first occurrence edited in place, others removed; else added. */
export function setOption(text: string, section: string, option: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new EdgeError('CONSOLE_BAD_VALUE', 'a value cannot contain a line break');
  const def = sectionDef(section);
  const name = optionName(def, option);
  const secs = instances(text, def);
  const hits = secs.flatMap((s) => s.entries).filter((e) => findOption(def, e.key)?.name === name);
  const l = split(text);
  if (hits.length) {
    const line = l.lines[hits[0].line - 1];
    const eq = line.indexOf('=');
    const lead = /^[ \t]*/.exec(line.slice(eq + 1))![0];
    l.lines[hits[0].line - 1] = `${line.slice(0, eq + 1)}${lead || ' '}${value}`;
    for (const h of hits.slice(1).reverse()) l.lines.splice(h.line - 1, 1);
  } else if (secs.length) {
    const s = secs[0];
    const after = s.entries.length ? s.entries[s.entries.length - 1].line : s.line;
    l.lines.splice(after, 0, `${name} = ${value}`);
  } else {
    l.lines.push(...(l.lines.length ? [''] : []), `[${def.name}]`, `${name} = ${value}`);
  }
  return join(l);
}

/** Removes every SECTION OPTION line (the option falls back to its default). */
export function removeOption(text: string, section: string, option: string): { text: string; removed: number } {
  const def = sectionDef(section);
  const name = optionName(def, option);
  const hits = instances(text, def).flatMap((s) => s.entries).filter((e) => findOption(def, e.key)?.name === name);
  const l = split(text);
  for (const h of [...hits].reverse()) l.lines.splice(h.line - 1, 1);
  return { text: join(l), removed: hits.length };
}

/** Appends a new `[name]` section with these entries (a blank line before it). */
export function appendSection(text: string, name: string, entries: [string, string][]): string {
  for (const [, v] of entries) if (/[\r\n]/.test(v)) throw new EdgeError('CONSOLE_BAD_VALUE', 'a value cannot contain a line break');
  const l = split(text);
  if (l.lines.length && l.lines[l.lines.length - 1].trim() !== '') l.lines.push('');
  l.lines.push(`[${name}]`, ...entries.map(([k, v]) => `${k} = ${v}`));
  return join(l);
}

/**
 * Removes the section whose header is at `headerLine` (1-based): the header, its entries and
 * comments up to its last entry, and one blank line that follows (at the end of the file:
 * the one before). Comments after the last
 * entry stay: they usually introduce what comes next.
 */
export function removeSection(text: string, headerLine: number): string {
  const sec = readIni(text).sections.find((s) => s.line === headerLine);
  if (!sec) throw new EdgeError('CONSOLE_NO_SECTION', `no section starts at line ${headerLine}`);
  const l = split(text);
  const last = sec.entries.length ? sec.entries[sec.entries.length - 1].line : sec.line;
  let start = sec.line - 1;
  let count = last - sec.line + 1;
  if (l.lines[last]?.trim() === '') count++;
  else if (last === l.lines.length && start >= 1 && l.lines[start - 1].trim() === '') {
    start--; // the last section: take the blank line that separated it
    count++;
  }
  l.lines.splice(start, count);
  return join(l);
}

/** The text with the value of every `password` option replaced by asterisks (for `show config`). */
export function maskSecrets(text: string): string {
  return text.split('\n').map((line) => {
    const m = /^(\s*password\s*=)(.*?)(\r?)$/i.exec(line);
    return m && m[2].trim() !== '' ? `${m[1]} ********${m[3]}` : line;
  }).join('\n');
}
