/**
 * Power-loss behaviour of store-and-forward: the real CLI (`dicom-edge run`) is killed with
 * SIGKILL at random moments while storescu sends to it and it forwards to Orthanc (bounded
 * loop). After a last restart, every instance storescu got Success for must be in Orthanc
 * (at least once — never lost), and no partial file may remain in <data>/tmp.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDcmtk, startOrthanc } from '../helpers/peers';
import { agentDataDir, spawnAgent, testIni } from '../helpers/agent';
import { tmpDir } from '../helpers/tmp';
import { partialFiles } from '../helpers/store-files';
import { makeStudy } from '../helpers/dicom-files';
import type { Orthanc } from '../helpers/peers';

// Small copies of forward.test.ts helpers (importing that file would run its tests here too).
function iniFor(pacsPort: number) {
  return (port: number, dataDir: string): string => testIni({
    port, dataDir,
    sections: { Server: ['scp = storage', 'accept = STORESCU, 127.0.0.1'], Forward: ['retryBase = 100ms', 'retryCap = 1s', 'idleRelease = 1s'] },
    tail: `[RemoteAE]\nuserName = PACS\naetitle = ORTHANC\nip = 127.0.0.1\nport = ${pacsPort}\n[Route]\nto = PACS\n`,
  });
}

async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function orthancSops(o: Orthanc): Promise<string[]> {
  const found = await o.rest('/tools/find', { method: 'POST', body: { Level: 'Instance', Query: {}, Expand: true } });
  return found.map((i: { MainDicomTags: { SOPInstanceUID: string } }) => i.MainDicomTags.SOPInstanceUID);
}

const ITERATIONS = 5;

/** SOP Instance UIDs storescu -v reported "Received Store Response (Success)" for. */
function acknowledged(output: string, sopOf: Map<string, string>): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const line of output.split('\n')) {
    const sending = /Sending file: (.+\.dcm)/.exec(line);
    if (sending) current = sending[1].trim();
    if (/Received Store Response \(Success\)/.test(line) && current && sopOf.has(current)) out.push(sopOf.get(current)!);
  }
  return out;
}

test(`SIGKILL while receiving and forwarding (${ITERATIONS} times): every acknowledged instance reaches Orthanc, no partial file`, async (t) => {
  const orthanc = await startOrthanc({ aet: 'ORTHANC', t });
  const dataDir = await agentDataDir('edge-crash-');
  const build = iniFor(orthanc.dicomPort);
  const acked = new Set<string>();
  for (let i = 0; i < ITERATIONS; i++) {
    const agent = await spawnAgent((port) => build(port, dataDir), t);
    const src = await tmpDir('crash-study-', t);
    const study = await makeStudy(src, { count: 40, rows: 256, cols: 256 });
    const sopOf = new Map(study.files.map((f) => [f.path, f.sopInstanceUid]));
    const sending = runDcmtk('storescu', ['-v', '-aet', 'STORESCU', '-aec', 'EDGE', '+sd', '127.0.0.1', String(agent.port), src], { timeoutMs: 60000 });
    await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 400)));
    agent.proc.kill('SIGKILL');
    await agent.stop('SIGKILL');
    const r = await sending;
    const got = acknowledged(r.stdout + r.stderr, sopOf);
    for (const sop of got) acked.add(sop);
    t.diagnostic(`iteration ${i + 1}: ${got.length}/${study.files.length} acknowledged before the kill`);
  }
  assert.ok(acked.size > 0, 'some instances were acknowledged before the kills');
  const last = await spawnAgent((port) => build(port, dataDir), t);
  const want = [...acked];
  await eventually(`${want.length} acknowledged instances in Orthanc`, async () => {
    const have = new Set(await orthancSops(orthanc));
    return want.every((s) => have.has(s));
  }, 120000);
  assert.deepEqual(partialFiles(dataDir), [], 'no partial file in <data>/tmp or <data>/spare');
  assert.match(last.output(), /listening on 127\.0\.0\.1/);
  await last.stop();
});
