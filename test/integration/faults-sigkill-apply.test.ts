/**
 * Power loss during config apply: `dicom-edge console` (piped stdin, through the agent's
 * control socket) types `set Network.readTimeout N` and `apply`, and the agent (`dicom-edge
 * run`) is SIGKILLed at a seeded random moment around the apply (bounded loop). Each time
 * the INI on disk must be the old or the new text, never torn; the new one whenever the
 * console had already said "saved"; `config check` passes on it; its mode is kept; no temp
 * file of the write is left; and the agent starts again on it.
 * (The write itself in a tight loop under SIGKILL: faults-sigkill.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, testIni } from '../helpers/agent';
import { consoleOn, runAgentOn } from '../helpers/console-stdio';
import { freePort } from '../helpers/ports';
import { sleep } from '../helpers/sigkill';
import { tmpDir } from '../helpers/tmp';
import { prng } from './fuzz-cases';

const ROUNDS = Number(process.env.SIGKILL_ROUNDS ?? 10);
const SEED = Number(process.env.FUZZ_SEED ?? 99);
/**
 * When the kill lands after `apply` is typed: half the time within the first few
 * milliseconds (the console, the socket and the validation before the write take about that
 * long; a busy wait, as timers are too coarse), else up to 120 ms (the write, the reload,
 * the answer).
 */
async function killMoment(r: () => number): Promise<void> {
  if (r() < 0.5) return sleep(Math.floor(r() * 120));
  const end = performance.now() + r() * 8;
  while (performance.now() < end) { /* spin */ }
}

/** A few [RemoteAE] blocks so the file is not trivially small. */
function remotes(n: number): string {
  return Array.from({ length: n }, (_, i) => `[RemoteAE]\nuserName = PACS${i}\naetitle = PACS${i}\nip = 127.0.0.1\nport = ${20000 + i}\n`).join('\n');
}

const writeTemps = (dir: string): string[] => readdirSync(dir).filter((n) => /^\.edge\.ini\..*\.tmp$/.test(n));

test(`SIGKILL around config apply through the console (${ROUNDS} times): the INI is the old or the new text, valid, and the agent restarts on it`, async (t) => {
  const r = prng(SEED + 3);
  const dir = await tmpDir('sigkill-apply-', t);
  const port = await freePort();
  const ini = join(dir, 'edge.ini');
  const socket = join(dir, 'control.sock');
  writeFileSync(ini, testIni({ port, dataDir: dir, sections: { Network: ['readTimeout = 10'] }, tail: remotes(40) }), { mode: 0o640 });
  const seen = new Set([readFileSync(ini, 'utf8')]);
  const tally = { kept: 0, applied: 0, acknowledged: 0, cut: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const before = readFileSync(ini, 'utf8');
    const agent = await runAgentOn(ini, port, socket, t);
    const con = await consoleOn(socket, t);
    const value = 11 + round;
    const after = before.replace(/readTimeout = \d+/, `readTimeout = ${value}`);
    assert.notEqual(after, before);
    await con.type(`set Network.readTimeout ${value}`, /pending: Network\.readTimeout = \d+[\s\S]*dicom-edge> $/);
    con.send('apply');
    await killMoment(r);
    agent.proc.kill('SIGKILL');
    assert.equal(await agent.exited, 'SIGKILL');
    const answered = con.since();
    con.send('exit');
    await con.exited;

    const text = readFileSync(ini, 'utf8');
    assert.ok(text === before || text === after, `round ${round}: torn INI (${text.length} bytes):\n${text}`);
    const acked = /saved .*edge\.ini/.test(answered);
    if (acked) assert.equal(text, after, `round ${round}: the console said saved, the new text must be on disk`);
    tally.acknowledged += acked ? 1 : 0;
    tally[text === after ? 'applied' : 'kept']++;
    seen.add(text);
    assert.equal(statSync(ini).mode & 0o777, 0o640, 'mode kept');
    const check = await runCli(['config', 'check', ini]);
    assert.equal(check.code, 0, `round ${round}: config check:\n${check.stdout}${check.stderr}`);
    const bak = readdirSync(dir).includes('edge.ini.bak') ? readFileSync(`${ini}.bak`, 'utf8') : undefined;
    if (bak !== undefined) assert.ok(seen.has(bak), `round ${round}: edge.ini.bak is an earlier version of the file`);
    const cut = writeTemps(dir).length > 0;
    if (cut) tally.cut++;
    t.diagnostic(`round ${round}: ${text === after ? 'new' : 'old'} text on disk${acked ? ' (the console had said saved)' : ''}${cut ? '; a temp file shows the kill cut a write short' : ''}`);
  }

  const last = await runAgentOn(ini, port, socket, t);
  assert.deepEqual(writeTemps(dir), [], 'no temp file of an interrupted write left after restart');
  assert.match(last.output(), /listening on 127\.0\.0\.1/);
  last.proc.kill('SIGTERM');
  assert.equal(await last.exited, 0, last.output());
  t.diagnostic(`${ROUNDS} kills: ${tally.applied} left the new text (${tally.acknowledged} after "saved"), ${tally.kept} the old one; ${tally.cut} cut a write short`);
  assert.ok(tally.applied > 0 && tally.kept > 0, 'the kills fell both before and after the write');
});
