/**
 * The console's command table. Every command returns lines; errors are thrown and turned
 * into one "error: …" answer by the session, so a bad command never reaches the agent.
 */
import { maskSecrets } from './ini-edit';
import { formatQueue, formatStatus } from './format';
import { CONFIG_COMMANDS } from './config-commands';
import { UsageError, type CommandContext, type ConsoleCommand } from './command-table';
import type { ApplyResult } from './backend';
import { parseConfig } from '../config/load';

const status: ConsoleCommand = {
  name: 'status', usage: 'status', summary: 'uptime, associations, queue, disk',
  async run(ctx) {
    const lines = formatStatus(await ctx.backend.status());
    if (ctx.pending.dirty) lines.push(`pending changes: ${ctx.pending.changes.length} (not applied)`);
    return lines;
  },
};

const SHOW_USAGE = 'show config|changes|problems';
const show: ConsoleCommand = {
  name: 'show', usage: SHOW_USAGE, summary: 'the pending configuration, its changes or its problems',
  async run(ctx) {
    const what = ctx.args[0];
    const p = ctx.pending;
    if (what === 'config') {
      const head = `; ${p.path}${p.dirty ? ` with ${p.changes.length} pending change(s)` : ''}`;
      return [head, ...maskSecrets(p.text).replace(/\r?\n$/, '').split(/\r?\n/)];
    }
    if (what === 'changes') return p.dirty ? p.changes.map((c, i) => `  ${i + 1}. ${c}`) : ['no pending changes'];
    if (what === 'problems') {
      const problems = p.problems();
      return problems.length ? problems : ['no problems'];
    }
    throw new UsageError(SHOW_USAGE);
  },
};

const echo: ConsoleCommand = {
  name: 'echo', usage: 'echo REMOTE', summary: 'C-ECHO a configured remote AE (by userName or aetitle)',
  async run(ctx) {
    if (ctx.args.length !== 1) throw new UsageError('echo REMOTE');
    return [await ctx.backend.echo(ctx.args[0])];
  },
};

const queue: ConsoleCommand = {
  name: 'queue', usage: 'queue', summary: 'the forwarding queue by destination',
  async run(ctx) {
    return formatQueue(await ctx.backend.queue());
  },
};

const tune: ConsoleCommand = {
  name: 'tune', usage: 'tune', summary: 'detected hardware and the buffer sizes derived from it',
  async run(ctx) {
    return (await ctx.backend.tune()).replace(/\n$/, '').split('\n');
  },
};

function applied(r: ApplyResult, what: string): string[] {
  const lines = [`${what} ${r.path} (previous version in ${r.backup})`];
  lines.push(r.reloaded ? 'agent reloaded: new associations use the new configuration, open ones continue' : 'no running agent: it takes effect at the next start');
  lines.push(...r.warnings);
  if (r.restartNeeded.length) lines.push(`restart needed for: ${r.restartNeeded.join(', ')} (systemctl restart dicom-edge)`);
  return lines;
}

const bare = (w: string): string => w.replace(/^.*?:\d+: /, '');

/** Warnings the file had before the edits (not repeated after apply). */
function warningsOf(p: CommandContext['pending']): string[] {
  return parseConfig(p.base, p.path).warnings.map(bare);
}

const apply: ConsoleCommand = {
  name: 'apply', usage: 'apply', summary: 'check, save (keeping a .bak) and reload the pending configuration',
  async run(ctx) {
    const p = ctx.pending;
    if (!p.dirty) return ['nothing to apply (no pending changes)'];
    const problems = p.problems();
    if (problems.length) return ['not applied: the configuration has problems', ...problems];
    const known = new Set(warningsOf(p));
    const r = await ctx.backend.applyConfig(p.text, p.base);
    p.reset(await ctx.backend.readConfig());
    return applied({ ...r, warnings: r.warnings.filter((w) => !known.has(bare(w))) }, 'saved');
  },
};

const revert: ConsoleCommand = {
  name: 'revert', usage: 'revert | revert backup', summary: 'drop pending changes; "revert backup" restores FILE.bak and reloads',
  async run(ctx) {
    const p = ctx.pending;
    if (ctx.args[0] === 'backup') {
      const r = await ctx.backend.restoreBackup();
      p.reset(await ctx.backend.readConfig());
      return applied(r, 'restored the backup into');
    }
    if (ctx.args.length) throw new UsageError('revert | revert backup');
    if (!p.dirty) return ['no pending changes ("revert backup" puts the previous saved version back)'];
    const n = p.changes.length;
    p.reset(await ctx.backend.readConfig());
    return [`dropped ${n} pending change(s)`];
  },
};

export const SESSION_COMMANDS = [
  { usage: 'help [COMMAND]', summary: 'this list, or one command' },
  { usage: 'logout | exit', summary: 'end the session (pending changes are dropped)' },
];

export const COMMANDS: ConsoleCommand[] = [status, show, ...CONFIG_COMMANDS, echo, queue, tune, apply, revert];

export function findCommand(name: string): ConsoleCommand | undefined {
  const n = name.toLowerCase();
  return COMMANDS.find((c) => c.name === n);
}

export function helpLines(topic?: string): string[] {
  if (topic) {
    const c = findCommand(topic);
    return c ? [`${c.usage}`, `  ${c.summary}`] : [`no command "${topic}": type help`];
  }
  const all = [...COMMANDS.map((c) => ({ usage: c.synopsis ?? c.usage, summary: c.summary })), ...SESSION_COMMANDS];
  return ['commands (help COMMAND for details):', ...all.map((c) => `  ${c.usage.padEnd(30)} ${c.summary}`)];
}

export type { CommandContext };
