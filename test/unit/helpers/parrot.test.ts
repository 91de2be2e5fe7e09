import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildAbort, buildAssociateRq, buildPData, buildReleaseRq, connectRaw, echoRqCommand,
  parseAcContexts, parseCommand, parsePData, type RawPdu,
} from '../../helpers/parrot';
import { startStorescp } from '../../helpers/peers';
import { tmpDir } from '../../helpers/tmp';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const IVR = '1.2.840.10008.1.2';

function asPdu(p: RawPdu | 'closed'): RawPdu {
  assert.notEqual(p, 'closed', 'peer closed the connection');
  return p as RawPdu;
}

test('echoRqCommand: implicit LE command set with the right group length and fields', () => {
  const cmd = echoRqCommand(7);
  // (0000,0000) UL, length 4, value = bytes that follow
  assert.deepEqual([...cmd.subarray(0, 8)], [0, 0, 0, 0, 4, 0, 0, 0]);
  assert.equal(cmd.readUInt32LE(8), cmd.length - 12);
  assert.equal(cmd.length - 12, 26 + 10 + 10 + 10);
  const els = parseCommand(cmd);
  assert.equal(els.get(0x00000002)?.toString('latin1'), `${VERIFICATION}\0`);
  assert.equal(els.get(0x00000100)?.readUInt16LE(0), 0x0030);
  assert.equal(els.get(0x00000110)?.readUInt16LE(0), 7);
  assert.equal(els.get(0x00000800)?.readUInt16LE(0), 0x0101);
});

test('builders: RQ fixed fields, P-DATA header, release and abort', () => {
  const rq = buildAssociateRq({ calling: 'ME', called: 'YOU', contexts: [], protocolVersion: 2, appContext: null, maxPdu: null, implementationUid: null });
  assert.equal(rq[0], 0x01);
  assert.equal(rq.readUInt32BE(2), rq.length - 6);
  assert.equal(rq.readUInt16BE(6), 2);
  assert.equal(rq.subarray(10, 26).toString('latin1'), 'YOU'.padEnd(16));
  assert.equal(rq.subarray(26, 42).toString('latin1'), 'ME'.padEnd(16));
  assert.deepEqual([...rq.subarray(74)], [0x50, 0, 0, 0]); // only an empty user information item
  assert.deepEqual([...buildPData(3, true, true, Buffer.from([9, 9]))], [4, 0, 0, 0, 0, 8, 0, 0, 0, 4, 3, 3, 9, 9]);
  assert.deepEqual([...buildPData(1, false, false, Buffer.alloc(0))], [4, 0, 0, 0, 0, 6, 0, 0, 0, 2, 1, 0]);
  assert.deepEqual([...buildReleaseRq()], [5, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
  assert.deepEqual([...buildAbort(2, 1)], [7, 0, 0, 0, 0, 4, 0, 0, 2, 1]);
});

test('against storescp: AC with per-context results, C-ECHO response, release', async (t) => {
  const scp = await startStorescp({ aet: 'STORESCP', dir: await tmpDir('parrot', t), t });
  const peer = await connectRaw(scp.port);
  t.after(() => peer.destroy());
  await peer.send(buildAssociateRq({
    calling: 'PARROT', called: 'STORESCP',
    contexts: [
      { id: 1, abstract: VERIFICATION, ts: [IVR] },
      { id: 3, abstract: '1.2.3.4.5.6.7.8.9', ts: [IVR] },
      { id: 5, abstract: CT, ts: ['1.2.3.999'] },
    ],
  }));
  const ac = asPdu(await peer.readPdu());
  assert.equal(ac.type, 2, scp.output());
  const results = parseAcContexts(ac);
  assert.deepEqual(results.map((c) => [c.id, c.result]), [[1, 0], [3, 3], [5, 4]]);
  assert.equal(results[0].ts, IVR);

  await peer.send(buildPData(1, true, true, echoRqCommand(7)));
  const rsp = asPdu(await peer.readPdu());
  assert.equal(rsp.type, 4);
  const [pdv] = parsePData(rsp);
  assert.deepEqual([pdv.ctx, pdv.isCommand, pdv.last], [1, true, true]);
  const cmd = parseCommand(pdv.data);
  assert.equal(cmd.get(0x00000100)?.readUInt16LE(0), 0x8030); // C-ECHO-RSP
  assert.equal(cmd.get(0x00000120)?.readUInt16LE(0), 7); // Message ID Being Responded To
  assert.equal(cmd.get(0x00000900)?.readUInt16LE(0), 0x0000); // Success

  await peer.send(buildReleaseRq());
  const rp = asPdu(await peer.readPdu());
  assert.equal(rp.type, 6);
  // PS3.8 7.2: after A-RELEASE-RP the requestor closes the transport connection.
  peer.destroy();
  await peer.closed();
});

test('against storescp: a wrong application context name is rejected (A-ASSOCIATE-RJ)', async (t) => {
  const scp = await startStorescp({ dir: await tmpDir('parrot', t), t });
  const peer = await connectRaw(scp.port);
  t.after(() => peer.destroy());
  await peer.send(buildAssociateRq({ calling: 'PARROT', called: 'ANY', appContext: '1.2.3.4', contexts: [{ id: 1, abstract: VERIFICATION, ts: [IVR] }] }));
  const rj = asPdu(await peer.readPdu());
  assert.equal(rj.type, 3, scp.output());
  assert.deepEqual([...rj.body.subarray(1, 4)], [1, 1, 2]); // permanent, service-user, app context not supported
});

test('against storescp: an A-ABORT makes the peer close the connection', async (t) => {
  const scp = await startStorescp({ dir: await tmpDir('parrot', t), t });
  const peer = await connectRaw(scp.port);
  t.after(() => peer.destroy());
  await peer.send(buildAssociateRq({ calling: 'PARROT', called: 'ANY', contexts: [{ id: 1, abstract: VERIFICATION, ts: [IVR] }] }));
  assert.equal(asPdu(await peer.readPdu()).type, 2);
  await peer.send(buildAbort());
  assert.equal(await peer.readPdu(), 'closed');
  await peer.closed();
});

test('readPdu frames PDUs joined in one chunk and split across chunks', async (t) => {
  const net = await import('node:net');
  const a = buildReleaseRq();
  const b = buildPData(1, true, true, echoRqCommand(1));
  const c = buildAbort(0, 0);
  const srv = net.createServer((s) => {
    s.setNoDelay(true);
    s.write(Buffer.concat([a, b.subarray(0, 3)]));
    setTimeout(() => s.write(b.subarray(3, 20)), 20);
    setTimeout(() => s.end(Buffer.concat([b.subarray(20), c])), 40);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.after(() => srv.close());
  const peer = await connectRaw((srv.address() as { port: number }).port);
  assert.deepEqual(asPdu(await peer.readPdu()).bytes, a);
  const p = asPdu(await peer.readPdu());
  assert.deepEqual(p.bytes, b);
  assert.deepEqual(parsePData(p)[0].data, echoRqCommand(1));
  assert.deepEqual(asPdu(await peer.readPdu()).bytes, c);
  assert.equal(await peer.readPdu(), 'closed');
});
