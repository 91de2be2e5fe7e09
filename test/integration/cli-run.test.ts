/**
 * The real CLI process: `run` with SIGTERM (exit 0, association in progress ended
 * cleanly), SIGHUP reload, an invalid INI refused with every problem, PDU/DIMSE dumps
 * read back by `pdudump`, `config check`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, spawnAgent, testIni } from '../helpers/agent';
import { runDcmtk } from '../helpers/peers';
import { tmpDir } from '../helpers/tmp';
import { connectRaw, buildAssociateRq } from '../helpers/parrot';

const open = (extra: Record<string, string[]> = {}) => (port: number, dir: string): string =>
  testIni({ port, dataDir: dir, sections: { ...extra, Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off', ...(extra.Options ?? [])] } });

test('run: SIGTERM with an open association exits 0 and ends the association', async (t) => {
  const a = await spawnAgent(open(), t);
  const peer = await connectRaw(a.port);
  await peer.send(buildAssociateRq({ calling: 'IDLE', called: 'EDGE', contexts: [{ id: 1, abstract: '1.2.840.10008.1.1', ts: ['1.2.840.10008.1.2'] }] }));
  const ac = await peer.readPdu(10000);
  assert.ok(ac !== 'closed' && ac.type === 2);
  const code = await a.stop('SIGTERM');
  assert.equal(code, 0, a.output());
  const last = await peer.readPdu(10000);
  assert.ok(last === 'closed' || last.type === 7, 'the idle association is aborted after the grace period');
  assert.match(a.output(), /SIGTERM: stopping/);
  assert.match(a.output(), /V8 heap growth: --heap-growing-percent=300 /, 'the agent sets its heap growth (src/tune/heap.ts)');
});

test('run: an invalid INI is refused with every problem and line numbers; config check agrees', async (t) => {
  const dir = await tmpDir('bad-ini-', t);
  const ini = join(dir, 'bad.ini');
  writeFileSync(ini, '[Network]\nport = seventy\nmaxpdu = -3\n[Local AE]\naeTitle = THIS_TITLE_IS_FAR_TOO_LONG\n[Bogus]\nx = 1\n[Server]\nscp = notaclass\n');
  const run = await runCli(['run', '--config', ini], { timeoutMs: 20000 });
  assert.equal(run.code, 1);
  for (const line of [2, 3, 5, 6, 9]) assert.match(run.stderr, new RegExp(`bad\\.ini:${line}:`), `line ${line} reported:\n${run.stderr}`);
  const check = await runCli(['config', 'check', ini]);
  assert.equal(check.code, 1);
  assert.equal(check.stderr.split('\n').filter((l) => /bad\.ini:\d+:/.test(l) && !/warning/.test(l)).length, 5, check.stderr);
  const env = await runCli(['config', 'check'], { env: { DICOM_CONFIG_FILE: ini } });
  assert.equal(env.code, 1, 'DICOM_CONFIG_FILE is honoured');
  const good = await runCli(['config', 'check']);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /OK/);
});

test('run: SIGHUP reloads; a broken file on reload keeps the running configuration', async (t) => {
  const a = await spawnAgent(open(), t);
  appendFileSync(a.iniPath, '\n[Broken\n');
  a.proc.kill('SIGHUP');
  const echo = await runDcmtk('echoscu', ['-aet', 'X', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.equal(echo.code, 0, 'still serving with the old configuration');
  // The reload re-reads and re-tunes: under load that takes a while (bounded wait).
  for (let i = 0; i < 100 && !/reload refused/.test(a.output()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(a.output(), /reload refused/);
  assert.equal(await a.stop(), 0);
});

test('run: a SIGHUP while starting (systemd reload, before the agent listens) is held and applied once up', async (t) => {
  let early = false;
  const a = await spawnAgent(open(), t, {}, {
    onStarting: (p, out) => {
      early = !/listening/.test(out);
      p.kill('SIGHUP'); // with no handler yet its default action would end the process
    },
  });
  const echo = await runDcmtk('echoscu', ['-aet', 'X', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.equal(echo.code, 0, a.output());
  for (let i = 0; i < 50 && !/configuration reloaded/.test(a.output()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(a.output(), /configuration reloaded/, 'the held SIGHUP was applied');
  t.diagnostic(`SIGHUP sent before listening: ${early}`);
  assert.equal(await a.stop(), 0);
});

test('pduDump and dimseDump write files that pdudump prints', async (t) => {
  const a = await spawnAgent(open({ Options: ['pduDump = On', 'dimseDump = On'] }), t);
  const r = await runDcmtk('echoscu', ['-aet', 'DUMPER', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.equal(r.code, 0);
  assert.equal(await a.stop(), 0);
  const dumps = join(a.dataDir, 'dumps');
  const files = readdirSync(dumps);
  const pdu = files.find((f) => f.endsWith('.pdu'));
  const dimse = files.find((f) => f.endsWith('.dimse'));
  assert.ok(pdu && dimse, files.join(','));
  const p = await runCli(['pdudump', join(dumps, pdu!)]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /A-ASSOCIATE-RQ/);
  assert.match(p.stdout, /DUMPER/);
  assert.match(p.stdout, /A-ASSOCIATE-AC/);
  assert.match(p.stdout, /A-RELEASE-RQ/);
  const d = await runCli(['pdudump', '-d', join(dumps, dimse!)]);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /C-ECHO-RQ/);
  assert.match(d.stdout, /C-ECHO-RSP/);
});
