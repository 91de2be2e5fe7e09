/**
 * Socket-level behaviour: configured SO_SNDBUF/SO_RCVBUF really applied (seen with `ss`
 * as the kernel reports it: twice the value), many concurrent associations, and the
 * association limit answered with a transient rejection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startAgent, testIni } from '../helpers/agent';
import { runDcmtk } from '../helpers/peers';
import { buildAssociateRq, connectRaw } from '../helpers/parrot';

const open = (lines: string[]) => (port: number, dir: string): string =>
  testIni({ port, dataDir: dir, sections: { Network: lines, Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off'] } });

const rq = buildAssociateRq({ calling: 'RAW', called: 'EDGE', contexts: [{ id: 1, abstract: '1.2.840.10008.1.1', ts: ['1.2.840.10008.1.2'] }] });

test('socketSndBuf/socketRcvBuf are applied to accepted sockets (ss -tm shows 2 × value)', async (t) => {
  const a = await startAgent(open(['socketSndBuf = 65536', 'socketRcvBuf = 262144']), t);
  const peer = await connectRaw(a.port);
  await peer.send(rq);
  const ac = await peer.readPdu();
  assert.ok(ac !== 'closed' && ac.type === 2);
  const ss = execFileSync('ss', ['-tmnH', 'state', 'established', `( sport = :${a.port} )`], { encoding: 'utf8' });
  assert.match(ss, /rb524288/, ss);
  assert.match(ss, /tb131072/, ss);
  peer.destroy();
});

test('30 concurrent associations are served', async (t) => {
  const a = await startAgent(open([]), t);
  const runs = await Promise.all(Array.from({ length: 30 }, (_, i) => runDcmtk('echoscu', ['-aet', `C${i}`, '-aec', 'EDGE', '127.0.0.1', String(a.port)])));
  assert.deepEqual(runs.map((r) => r.code), runs.map(() => 0));
});

test('maxAssociations exceeded → A-ASSOCIATE-RJ transient, source 3, reason 2; others unaffected', async (t) => {
  const a = await startAgent(open(['maxAssociations = 2']), t);
  const held = [];
  for (let i = 0; i < 2; i++) {
    const p = await connectRaw(a.port);
    await p.send(rq);
    const ac = await p.readPdu();
    assert.ok(ac !== 'closed' && ac.type === 2);
    held.push(p);
  }
  const third = await connectRaw(a.port);
  await third.send(rq);
  const rj = await third.readPdu();
  assert.ok(rj !== 'closed');
  assert.equal(rj.type, 3);
  assert.deepEqual([rj.body[1], rj.body[2], rj.body[3]], [2, 3, 2]);
  for (const p of held) p.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const r = await runDcmtk('echoscu', ['-aet', 'AFTER', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.equal(r.code, 0);
});

test('idleTimeout frees an idle association; ARTIM closes a connection that never sends an A-ASSOCIATE-RQ', async (t) => {
  const a = await startAgent(open(['idleTimeout = 1', 'readTimeout = 1']), t);
  const silent = await connectRaw(a.port);
  const idle = await connectRaw(a.port);
  await idle.send(rq);
  const ac = await idle.readPdu();
  assert.ok(ac !== 'closed' && ac.type === 2);
  const last = await idle.readPdu(10000);
  assert.ok(last === 'closed' || last.type === 7, 'idle association aborted');
  assert.equal(await silent.readPdu(10000), 'closed', 'ARTIM expiry closes the transport');
  assert.ok(a.logs.some((l) => /timeout/.test(l)), a.logs.join('\n'));
});
