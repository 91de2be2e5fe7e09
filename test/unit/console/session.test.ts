import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/tmp';
import { LineEditor } from '../../../src/console/line-editor';
import { ConsoleSession, PROMPT } from '../../../src/console/session';
import { OfflineBackend } from '../../../src/console/offline-backend';
import type { ConsoleBackend } from '../../../src/console/backend';
import '../../../src/console/config-section';

const INI = `; site config
[Network]
; the port
port = 11112
bind = 127.0.0.1

[Local AE]
aeTitle = EDGE

[Options]
verifyIPAddr = Off
verifyRemoteAe = Off

[Server]
scp = echo

[Storage]
path = .
`;

async function setup(t: { after(fn: () => unknown): unknown }, o: { password?: string; backend?: ConsoleBackend } = {}) {
  const dir = await tmpDir('console-session-', t);
  const path = join(dir, 'edge.ini');
  writeFileSync(path, INI);
  let out = '';
  const editor = new LineEditor();
  const session = new ConsoleSession({
    backend: o.backend ?? new OfflineBackend(path), write: (s) => { out += s; }, password: () => o.password, failDelayMs: 0,
    onLogout: () => { out += '<logout>'; },
  }).attach(editor);
  await session.start();
  /** Types one line, returns what the session printed for it (without the prompt). */
  const type = async (line: string): Promise<string> => {
    const from = out.length;
    editor.write(`${line}\r`);
    await session.idle();
    return out.slice(from).replace(new RegExp(`${PROMPT}$`), '');
  };
  return { dir, path, type, session, output: () => out };
}

test('help lists every command of the issue', async (t) => {
  const { type } = await setup(t);
  const help = await type('help');
  for (const c of ['status', 'show config', 'set SECTION.OPTION VALUE', 'remote add|del|list', 'route add|del|list', 'worklist', 'echo REMOTE', 'queue', 'tune', 'apply', 'revert', 'logout']) {
    assert.ok(help.includes(c), `help mentions ${c}`);
  }
  assert.match(await type('help set'), /set SECTION\.OPTION VALUE/);
});

test('set is validated by the config parser, pending until apply; apply writes the INI in place with a .bak', async (t) => {
  const { path, type } = await setup(t);
  assert.match(await type('set Network.port 11113'), /pending: Network\.port = 11113/);
  assert.equal(readFileSync(path, 'utf8'), INI, 'nothing written before apply');
  const bad = await type('set Network.port 70000');
  assert.match(bad, /^error: refused/);
  assert.match(bad, /out of range 1-65535/);
  assert.match(await type('set Network.nosuch 1'), /error: \[Network\] has no option "nosuch"/);
  assert.match(await type('set Nowhere.port 1'), /error: unknown section \[Nowhere\]/);
  assert.match(await type('set port 1'), /error: expected SECTION\.OPTION/);
  assert.match(await type('set LocalAE.aeTitle NEW_EDGE'), /pending: Local AE\.aeTitle = NEW_EDGE/);
  assert.match(await type('show changes'), /1\. Network\.port = 11113\s+2\. Local AE\.aeTitle = NEW_EDGE/);
  const applied = await type('apply');
  assert.match(applied, /saved .*edge\.ini \(previous version in .*edge\.ini\.bak\)/);
  assert.match(applied, /no running agent/);
  const text = readFileSync(path, 'utf8');
  assert.equal(text, INI.replace('port = 11112', 'port = 11113').replace('aeTitle = EDGE', 'aeTitle = NEW_EDGE'), 'only the two values changed, comments kept');
  assert.equal(readFileSync(`${path}.bak`, 'utf8'), INI);
  assert.match(await type('apply'), /nothing to apply/);
});

test('revert drops pending changes; revert backup restores the .bak', async (t) => {
  const { path, type } = await setup(t);
  await type('set Network.readTimeout 5');
  assert.match(await type('revert'), /dropped 1 pending change/);
  assert.match(await type('show changes'), /no pending changes/);
  await type('set Network.readTimeout 7');
  await type('apply');
  assert.match(readFileSync(path, 'utf8'), /readTimeout = 7/);
  assert.match(await type('revert backup'), /restored the backup into/);
  assert.equal(readFileSync(path, 'utf8'), INI);
});

test('apply is refused when the file changed on disk meanwhile', async (t) => {
  const { path, type } = await setup(t);
  await type('set Network.readTimeout 5');
  writeFileSync(path, INI.replace('11112', '11119'));
  assert.match(await type('apply'), /error: .*changed on disk/);
  assert.ok(!existsSync(`${path}.bak`));
});

test('remote add, list and del edit [RemoteAE] sections; duplicates are refused', async (t) => {
  const { path, type } = await setup(t);
  assert.match(await type('remote add PACS PACS_AE 10.0.0.5 104 comment="main archive"'), /pending: remote PACS/);
  assert.match(await type('remote list'), /PACS\s+PACS_AE\s+10\.0\.0\.5:104\s+main archive/);
  assert.match(await type('remote add PACS OTHER 10.0.0.6 104'), /duplicate remote/);
  assert.match(await type('remote add X X 10.0.0.x 104'), /not an IPv4\/IPv6 address/);
  assert.match(await type('remote add X X 10.0.0.7'), /error: remote add needs NAME AETITLE IP PORT/);
  await type('apply');
  assert.match(readFileSync(path, 'utf8'), /\[RemoteAE\]\nuserName = PACS\naetitle = PACS_AE\nip = 10\.0\.0\.5\nport = 104\ncomment = main archive\n/);
  assert.match(await type('remote del PACS'), /pending: remote PACS deleted/);
  await type('apply');
  assert.equal(readFileSync(path, 'utf8'), INI);
  assert.match(await type('remote del NOPE'), /error: no remote "NOPE"/);
});

test('route list with no [Route] sections says so', async (t) => {
  const { type } = await setup(t);
  assert.match(await type('route list'), /no routes configured/);
});

test('worklist add|list|del edits the local items in [Worklist] path at once', async (t) => {
  const { type } = await setup(t);
  assert.match(await type('worklist add name=DOE^JANE id=P1 modality=CT station=CT1 date=20261204 time=0930 accession=ACC1 step=S1'), /worklist item (\S+) added: DOE\^JANE \(P1\) CT at CT1/);
  const listed = await type('worklist list');
  assert.match(listed, /DOE\^JANE/);
  const id = /^\s*(\S+)/m.exec(listed.split('\n').find((l) => l.includes('DOE^JANE'))!)![1];
  assert.match(await type(`worklist del ${id}`), /deleted|removed/);
  assert.doesNotMatch(await type('worklist list'), /DOE\^JANE/);
  assert.match(await type('worklist frob'), /error: .*expected add, del or list/);
});

test('show config masks the password; queue offline is not available; unknown commands and bad quotes get clear errors', async (t) => {
  const { type } = await setup(t);
  await type('set Console.password hunter2');
  const shown = await type('show config');
  assert.match(shown, /password = \*\*\*\*\*\*\*\*/);
  assert.ok(!shown.includes('hunter2'));
  assert.match(await type('queue'), /not available/);
  assert.match(await type('frobnicate'), /error: unknown command "frobnicate": type help/);
  assert.match(await type('remote add "PACS'), /error: unbalanced double quote/);
  assert.match(await type('set Console.baud 12345'), /not a standard baud rate/);
  assert.match(await type('status'), /offline editing of/);
});

test('a password is asked first; a wrong one is refused; logout ends the session', async (t) => {
  const { type, output } = await setup(t, { password: 's3cret' });
  assert.match(output(), /password: $/);
  assert.match(await type('help'), /wrong password/);
  assert.match(await type('status'), /wrong password/);
  const ok = await type('s3cret');
  assert.match(ok, /type "help"/);
  assert.match(await type('help'), /commands/);
  await type('set Network.readTimeout 9');
  assert.match(await type('logout'), /logged out; 1 pending change\(s\) dropped\n<logout>/);
});

test('a backend that throws or rejects never escapes the session', async (t) => {
  const boom = (): never => { throw new Error('backend exploded'); };
  const backend: ConsoleBackend = {
    offline: false, status: async () => boom(), readConfig: async () => boom(), applyConfig: async () => boom(),
    restoreBackup: async () => boom(), echo: async () => boom(), queue: async () => boom(), tune: () => boom(),
  };
  const { type, output } = await setup(t, { backend });
  assert.match(output(), /error: cannot read the configuration: backend exploded/);
  assert.match(await type('status'), /error: .*backend exploded/);
  assert.match(await type('echo PACS'), /error: .*backend exploded/);
  assert.match(await type('tune'), /error: .*backend exploded/);
  assert.match(await type('help'), /commands/, 'the session still answers');
});
