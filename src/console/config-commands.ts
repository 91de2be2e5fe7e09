/**
 * Commands that edit the pending INI: set, unset, add, remote, route, worklist. Each edit
 * goes through PendingConfig.edit (the `config check` parser); nothing is written before
 * `apply`.
 */
import { findSection } from '../config/schema';
import { readIni } from '../config/ini-reader';
import { EdgeError } from '../util/errors';
import { findRemote } from '../services/scu';
import { appendSection, optionName, removeOption, removeSection, sectionDef, setOption } from './ini-edit';
import { UsageError, type CommandContext, type ConsoleCommand } from './command-table';
import { worklistConsoleCommand } from '../worklist/local-items';
import { worklistSettings } from '../worklist/config';
import { hostPort } from '../util/address';

function sectionOption(word: string | undefined, usage: string): { section: string; option: string } {
  const dot = word?.lastIndexOf('.') ?? -1;
  if (!word || dot <= 0 || dot === word.length - 1) throw new UsageError(usage, 'expected SECTION.OPTION, e.g. Network.port');
  const def = sectionDef(word.slice(0, dot));
  if (def.repeated) {
    throw new EdgeError('CONSOLE_REPEATED', `[${def.name}] can appear several times: use "${def.name === 'RemoteAE' ? 'remote' : def.name.toLowerCase()} add|del"`);
  }
  return { section: def.name, option: optionName(def, word.slice(dot + 1)) };
}

function edited(ctx: CommandContext, next: string, what: string): string[] {
  const r = ctx.pending.edit(next, what);
  const lines = [`pending: ${what} (type "apply" to save and reload, "revert" to drop)`];
  for (const w of r.warnings) lines.push(w);
  if (r.remaining) lines.push(`note: the file still has ${r.remaining} problem(s): "show problems" lists them`);
  return lines;
}

const SET_USAGE = 'set SECTION.OPTION VALUE';
const set: ConsoleCommand = {
  name: 'set', usage: SET_USAGE, summary: 'change an option in the pending configuration (e.g. set Network.port 11113)',
  async run(ctx) {
    const { section, option } = sectionOption(ctx.args[0], SET_USAGE);
    const value = ctx.rest.replace(/^\S+\s*/, '');
    if (value === '') throw new UsageError(SET_USAGE, 'no value given (unset SECTION.OPTION restores the default)');
    return edited(ctx, setOption(ctx.pending.text, section, option, value), `${section}.${option} = ${value}`);
  },
};

const ADD_USAGE = 'add SECTION.OPTION VALUE';
const add: ConsoleCommand = {
  name: 'add', usage: ADD_USAGE, summary: 'add one more line to a multi-valued option (e.g. add Server.accept CT1, 10.0.0.7)',
  async run(ctx) {
    const { section, option } = sectionOption(ctx.args[0], ADD_USAGE);
    const value = ctx.rest.replace(/^\S+\s*/, '');
    if (value === '') throw new UsageError(ADD_USAGE, 'no value given');
    const def = findSection(section)!.options.get(option.toLowerCase())!.def;
    if (!def.multi) throw new EdgeError('CONSOLE_NOT_MULTI', `${section}.${option} has one value: use "set"`);
    return edited(ctx, appendToSection(ctx.pending.text, section, option, value), `${section}.${option} += ${value}`);
  },
};

/** Inserts `line` after the last entry of the first [section] (the section is added when absent). */
function appendToSection(text: string, section: string, option: string, value: string): string {
  const def = findSection(section)!;
  const sec = readIni(text).sections.find((s) => findSection(s.name) === def);
  if (!sec) return appendSection(text, def.name, [[option, value]]);
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const lines = text.split(eol);
  const after = sec.entries.length ? sec.entries[sec.entries.length - 1].line : sec.line;
  lines.splice(after, 0, `${option} = ${value}`);
  return lines.join(eol);
}

const UNSET_USAGE = 'unset SECTION.OPTION';
const unset: ConsoleCommand = {
  name: 'unset', usage: UNSET_USAGE, summary: 'remove an option from the pending configuration (back to its default)',
  async run(ctx) {
    const { section, option } = sectionOption(ctx.args[0], UNSET_USAGE);
    const r = removeOption(ctx.pending.text, section, option);
    if (r.removed === 0) return [`${section}.${option} is not set (its default applies)`];
    return edited(ctx, r.text, `${section}.${option} removed`);
  },
};

const REMOTE_USAGE = 'remote add NAME AETITLE IP PORT [OPTION=VALUE...] | remote del NAME | remote list';

/** `scu=ct,mr` style words into INI entries, options checked against [RemoteAE]. */
function optionWords(words: string[], section: string, usage: string): [string, string][] {
  const def = sectionDef(section);
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new UsageError(usage, `"${w}" is not OPTION=VALUE`);
    return [optionName(def, w.slice(0, eq)), w.slice(eq + 1)] as [string, string];
  });
}

function remoteList(ctx: CommandContext): string[] {
  const c = ctx.pending.parsed();
  if (!c) return ['the pending configuration has problems: "show problems"'];
  if (c.remotes.length === 0) return ['no remote AEs configured'];
  return c.remotes.map((r) => `  ${(r.userName ?? '-').padEnd(16)} ${r.aeTitle.padEnd(16)} ${hostPort(r.ip, r.port)}${r.comment ? `  ${r.comment}` : ''}`);
}

const remote: ConsoleCommand = {
  name: 'remote', usage: REMOTE_USAGE, synopsis: 'remote add|del|list', summary: 'list, add or delete remote AEs ([RemoteAE] sections)',
  async run(ctx) {
    const [sub, ...words] = ctx.args;
    if (sub === 'list' || sub === undefined) return remoteList(ctx);
    if (sub === 'add') {
      if (words.length < 4) throw new UsageError(REMOTE_USAGE, 'remote add needs NAME AETITLE IP PORT');
      const [name, ae, ip, port, ...more] = words;
      const entries: [string, string][] = [['userName', name], ['aetitle', ae], ['ip', ip], ['port', port], ...optionWords(more, 'RemoteAE', REMOTE_USAGE)];
      return edited(ctx, appendSection(ctx.pending.text, 'RemoteAE', entries), `remote ${name} (${ae} at ${hostPort(ip, port)}) added`);
    }
    if (sub === 'del' || sub === 'delete') {
      if (words.length !== 1) throw new UsageError(REMOTE_USAGE);
      const c = ctx.pending.parsed();
      const r = c && findRemote(c, words[0]);
      if (!r) throw new EdgeError('CONSOLE_UNKNOWN_REMOTE', `no remote "${words[0]}" in the pending configuration`);
      return edited(ctx, removeSection(ctx.pending.text, r.line), `remote ${words[0]} deleted`);
    }
    throw new UsageError(REMOTE_USAGE, `unknown "remote ${sub}"`);
  },
};

const ROUTE_USAGE = 'route add OPTION=VALUE... (e.g. route add name="CT to PACS" to=PACS match=Modality=CT) | route del N | route list';

function routeSections(text: string) {
  const def = findSection('Route')!;
  return readIni(text).sections.filter((s) => findSection(s.name) === def);
}

const route: ConsoleCommand = {
  name: 'route', usage: ROUTE_USAGE, synopsis: 'route add|del|list', summary: 'list, add or delete forwarding routes ([Route] sections)',
  async run(ctx) {
    if (!findSection('Route')) return ['route: not available (this agent has no forwarding)'];
    const [sub, ...words] = ctx.args;
    const secs = routeSections(ctx.pending.text);
    if (sub === 'list' || sub === undefined) {
      if (secs.length === 0) return ['no routes configured'];
      return secs.map((s, i) => `  ${i + 1}: ${s.entries.map((e) => `${e.key} =${e.value}`).join('; ')}`);
    }
    if (sub === 'add') {
      if (words.length === 0) throw new UsageError(ROUTE_USAGE);
      return edited(ctx, appendSection(ctx.pending.text, 'Route', optionWords(words, 'Route', ROUTE_USAGE)), `route ${secs.length + 1} added`);
    }
    if (sub === 'del' || sub === 'delete') {
      const n = Number(words[0]);
      if (words.length !== 1 || !Number.isInteger(n) || n < 1 || n > secs.length) {
        throw new UsageError(ROUTE_USAGE, `give a route number from "route list" (1-${secs.length})`);
      }
      return edited(ctx, removeSection(ctx.pending.text, secs[n - 1].line), `route ${n} deleted`);
    }
    throw new UsageError(ROUTE_USAGE, `unknown "route ${sub}"`);
  },
};

const WORKLIST_USAGE = 'worklist add name=DOE^JANE id=P1 modality=CT station=CT1 [date=YYYYMMDD time=HHMM accession=A step=S KEYWORD=VALUE...] | worklist del ID | worklist list';

/**
 * Local worklist items are files in [Worklist] path (the running agent and an offline
 * console see the same items); they take effect at once, no `apply` needed.
 */
const worklist: ConsoleCommand = {
  name: 'worklist', usage: WORKLIST_USAGE, synopsis: 'worklist add|del|list', summary: 'local modality worklist items',
  async run(ctx) {
    const config = ctx.pending.parsed();
    if (!config) throw new EdgeError('CONSOLE_CONFIG_INVALID', 'the configuration has problems: "show problems" lists them');
    if (!['add', 'del', 'delete', 'list'].includes(ctx.args[0] ?? '')) throw new UsageError(WORKLIST_USAGE, 'expected add, del or list');
    const words = ctx.args[0] === 'delete' ? ['del', ...ctx.args.slice(1)] : ctx.args;
    return worklistConsoleCommand(worklistSettings(config).path, words);
  },
};

export const CONFIG_COMMANDS: ConsoleCommand[] = [set, add, unset, remote, route, worklist];
