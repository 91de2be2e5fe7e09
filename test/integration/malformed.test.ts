/**
 * Abnormal sequences a real SCU cannot produce, scripted byte by byte (pynetdicom's
 * parrot habit): each gets the PS3.8 answer, and the agent keeps serving others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAgent, testIni, type InProcessAgent } from '../helpers/agent';
import { buildAbort, buildAssociateRq, buildPData, buildReleaseRq, connectRaw, echoRqCommand, parseAcContexts, parsePData, type RawPdu, type RawPeer } from '../helpers/parrot';
import { runDcmtk } from '../helpers/peers';

const ECHO = '1.2.840.10008.1.1';
const IVR = '1.2.840.10008.1.2';
const good = { calling: 'PARROT', called: 'EDGE', contexts: [{ id: 1, abstract: ECHO, ts: [IVR] }] };

async function agent(t: Parameters<typeof startAgent>[1]): Promise<InProcessAgent> {
  return startAgent((port, dir) => testIni({ port, dataDir: dir, sections: { Network: ['maxpdu = 16384'], Server: ['accept = PARROT, 127.0.0.1', 'accept = ECHOSCU, 127.0.0.1'] } }), t);
}

async function first(peer: RawPeer): Promise<RawPdu> {
  const p = await peer.readPdu(15000);
  assert.notEqual(p, 'closed', 'expected a PDU before the connection closed');
  return p as RawPdu;
}

/** A-ASSOCIATE-RJ body bytes 7..9: result, source, reason (PS3.8 9.3.4). */
function rj(p: RawPdu): [number, number, number] {
  assert.equal(p.type, 0x03, `expected A-ASSOCIATE-RJ, got type ${p.type}`);
  return [p.body[1], p.body[2], p.body[3]];
}

/** A-ABORT body bytes 9..10: source, reason (PS3.8 9.3.8). */
function abort(p: RawPdu): [number, number] {
  assert.equal(p.type, 0x07, `expected A-ABORT, got type ${p.type}`);
  return [p.body[2], p.body[3]];
}

async function associated(port: number): Promise<RawPeer> {
  const peer = await connectRaw(port);
  await peer.send(buildAssociateRq(good));
  const ac = await first(peer);
  assert.equal(ac.type, 0x02);
  assert.equal(parseAcContexts(ac)[0].result, 0);
  return peer;
}

async function stillServing(a: InProcessAgent): Promise<void> {
  const r = await runDcmtk('echoscu', ['-aet', 'ECHOSCU', '-aec', 'EDGE', '127.0.0.1', String(a.port)]);
  assert.equal(r.code, 0, `echo after the fault failed: ${r.stderr}`);
}

test('A-ASSOCIATE-RQ faults get A-ASSOCIATE-RJ with PS3.8 Table 9-21 values', async (t) => {
  const a = await agent(t);
  const cases: [Parameters<typeof buildAssociateRq>[0], [number, number, number]][] = [
    [{ ...good, protocolVersion: 2 }, [1, 2, 2]],
    [{ ...good, appContext: '1.2.3.4' }, [1, 1, 2]],
    [{ ...good, contexts: [] }, [1, 1, 1]],
    [{ ...good, called: 'NOT-EDGE' }, [1, 1, 7]],
    [{ ...good, calling: 'INTRUDER' }, [1, 1, 3]],
  ];
  for (const [rq, want] of cases) {
    const peer = await connectRaw(a.port);
    await peer.send(buildAssociateRq(rq));
    assert.deepEqual(rj(await first(peer)), want, JSON.stringify(rq));
    await peer.closed();
  }
  await stillServing(a);
});

test('C-ECHO through the parrot, then release', async (t) => {
  const a = await agent(t);
  const peer = await associated(a.port);
  await peer.send(buildPData(1, true, true, echoRqCommand(7)));
  const rsp = await first(peer);
  assert.equal(rsp.type, 0x04);
  assert.equal(parsePData(rsp)[0].isCommand, true);
  await peer.send(buildReleaseRq());
  assert.equal((await first(peer)).type, 0x06);
  peer.destroy();
});

test('unknown PDU type after association → A-ABORT (provider, unrecognized PDU)', async (t) => {
  const a = await agent(t);
  const peer = await associated(a.port);
  await peer.send(Buffer.from([0x09, 0, 0, 0, 0, 2, 1, 2]));
  assert.deepEqual(abort(await first(peer)), [2, 1]);
  await peer.closed();
  await stillServing(a);
});

test('P-DATA-TF larger than our maximum → A-ABORT', async (t) => {
  const a = await agent(t);
  const peer = await associated(a.port);
  const big = buildPData(1, true, true, Buffer.alloc(20000));
  await peer.send(big.subarray(0, 100)); // the header alone is enough to refuse it
  const [source] = abort(await first(peer));
  assert.equal(source, 2);
  await peer.closed();
  await stillServing(a);
});

test('garbage bytes, P-DATA before association, truncated PDU then close: no crash', async (t) => {
  const a = await agent(t);
  const garbage = await connectRaw(a.port);
  await garbage.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  const g = await garbage.readPdu(15000);
  if (g !== 'closed') assert.equal(g.type, 0x07, 'garbage is aborted or dropped');
  garbage.destroy();

  const early = await connectRaw(a.port);
  await early.send(buildPData(1, true, true, echoRqCommand(1)));
  assert.equal((await first(early)).type, 0x07, 'P-DATA in Sta2 → AA-1');
  early.destroy();

  const trunc = await connectRaw(a.port);
  await trunc.send(buildAssociateRq(good).subarray(0, 30));
  trunc.destroy();
  await stillServing(a);
});

test('malformed presentation context item (length overrun) → A-ABORT; peer A-ABORT mid-association is handled', async (t) => {
  const a = await agent(t);
  const rq = buildAssociateRq(good);
  // Corrupt the presentation context item length (first 0x20 item after the app context).
  const pc = rq.indexOf(Buffer.from([0x20, 0x00]), 74);
  rq.writeUInt16BE(0xfff0, pc + 2);
  const peer = await connectRaw(a.port);
  await peer.send(rq);
  const p = await peer.readPdu(15000);
  if (p !== 'closed') assert.equal(p.type, 0x07);
  peer.destroy();
  const peer2 = await associated(a.port);
  await peer2.send(buildAbort(0, 0));
  assert.equal(await peer2.readPdu(15000), 'closed');
  await stillServing(a);
});
