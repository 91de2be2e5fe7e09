/**
 * The AE-title and IP checks (verifyLocalAe, verifyRemoteAe, verifyIPAddr) cannot be
 * bypassed by spelling: case, padding, embedded NULs, control characters, look-alike
 * addresses. Padding (spaces, trailing NULs: PS3.8 9.3.2 non-significant) is the only
 * difference that still matches. Raw 16-byte AE fields are sent by the scripted peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAgent, testIni, type InProcessAgent } from '../helpers/agent';
import { buildAssociateRq, connectRaw } from '../helpers/parrot';

const ECHO = '1.2.840.10008.1.1';
const IVR = '1.2.840.10008.1.2';

/** A 16-byte AE field from exact bytes, padded with `pad`. */
function field(s: string, pad = 0x20): Buffer {
  const b = Buffer.alloc(16, pad);
  Buffer.from(s, 'latin1').copy(b);
  return b;
}

/** 'AC', or the A-ASSOCIATE-RJ [result, source, reason]. */
async function outcome(a: InProcessAgent, calling: Buffer, called: Buffer): Promise<string> {
  const peer = await connectRaw(a.port);
  try {
    await peer.send(buildAssociateRq({ calling, called, contexts: [{ id: 1, abstract: ECHO, ts: [IVR] }] }));
    const p = await peer.readPdu(15000);
    if (p === 'closed') return 'closed';
    if (p.type === 0x02) return 'AC';
    if (p.type === 0x03) return `RJ ${p.body[1]}/${p.body[2]}/${p.body[3]}`;
    return `type ${p.type}`;
  } finally {
    peer.destroy();
  }
}

function agent(t: Parameters<typeof startAgent>[1], accept: string[], tail = ''): Promise<InProcessAgent> {
  return startAgent((port, dir) => testIni({ port, dataDir: dir, sections: { Server: accept.map((x) => `accept = ${x}`) }, tail }), t);
}

const CALLING_REFUSED = 'RJ 1/1/3';
const CALLED_REFUSED = 'RJ 1/1/7';

test('calling AE title: case, embedded NUL, control characters, prefixes are refused; padding is not significant', async (t) => {
  const a = await agent(t, ['STORESCU, 127.0.0.1'], '[RemoteAE]\naetitle = PACS\nip = 127.0.0.1\nport = 11112\n');
  const edge = field('EDGE');
  const cases: [string, Buffer, string][] = [
    ['exact', field('STORESCU'), 'AC'],
    ['leading spaces', field('  STORESCU'), 'AC'],
    ['trailing NUL padding', field('STORESCU', 0), 'AC'],
    ['[RemoteAE] aetitle admits too', field('PACS'), 'AC'],
    ['lower case', field('storescu'), CALLING_REFUSED],
    ['mixed case', field('StoreSCU'), CALLING_REFUSED],
    ['embedded NUL', field('STORE\0SCU'), CALLING_REFUSED],
    ['NUL then more', field('STORESCU\0EVIL'), CALLING_REFUSED],
    ['prefix', field('STORESC'), CALLING_REFUSED],
    ['longer', field('STORESCU2'), CALLING_REFUSED],
    ['all spaces', field(''), CALLING_REFUSED],
    ['all NULs', Buffer.alloc(16), CALLING_REFUSED],
    ['latin-1 look-alike (Ü)', field('STORESC\xdc'), CALLING_REFUSED],
    ['newline inside', field('STORE\nSCU'), CALLING_REFUSED],
  ];
  const got = [];
  for (const [name, calling] of cases) got.push([name, await outcome(a, calling, edge)]);
  assert.deepEqual(got, cases.map(([name, , want]) => [name, want]));
});

// Reported: sameAe() in src/ul/negotiation.ts compares with String.trim(), which also strips
// tabs, CR/LF, NBSP... at the ends; PS3.5 makes only spaces non-significant and the AE VR
// has no control characters. Not an access bypass (the peer could send the plain title),
// but "STORESCU\t" is then recorded as the sending AE in files and logs.
test('calling AE title with a trailing tab or CR is refused', async (t) => {
  const a = await agent(t, ['STORESCU, 127.0.0.1']);
  assert.equal(await outcome(a, field('STORESCU\t'), field('EDGE')), CALLING_REFUSED);
  assert.equal(await outcome(a, field('STORESCU\r'), field('EDGE')), CALLING_REFUSED);
});

test('called AE title: only our own, exactly (case, NUL, suffix refused)', async (t) => {
  const a = await agent(t, ['STORESCU, 127.0.0.1']);
  const calling = field('STORESCU');
  const cases: [string, Buffer, string][] = [
    ['exact', field('EDGE'), 'AC'],
    ['trailing NULs', field('EDGE', 0), 'AC'],
    ['lower case', field('edge'), CALLED_REFUSED],
    ['NUL then more', field('EDGE\0X'), CALLED_REFUSED],
    ['suffix', field('EDGE2'), CALLED_REFUSED],
    ['empty', field(''), CALLED_REFUSED],
  ];
  const got = [];
  for (const [name, called] of cases) got.push([name, await outcome(a, calling, called)]);
  assert.deepEqual(got, cases.map(([name, , want]) => [name, want]));
});

test('IP check: the AE title alone does not admit a peer from another address; no prefix or look-alike match', async (t) => {
  const other = await agent(t, ['STORESCU, 127.0.0.10', 'STORESCU, 10.0.0.1', 'STORESCU, ::1']);
  assert.equal(await outcome(other, field('STORESCU'), field('EDGE')), CALLING_REFUSED, '127.0.0.1 is not 127.0.0.10, 10.0.0.1 or ::1');
  const mapped = await agent(t, ['STORESCU, ::ffff:127.0.0.1']);
  assert.equal(await outcome(mapped, field('STORESCU'), field('EDGE')), 'AC', 'an IPv4-mapped entry is the IPv4 address');
  const wrongAe = await agent(t, ['OTHER, 127.0.0.1']);
  assert.equal(await outcome(wrongAe, field('STORESCU'), field('EDGE')), CALLING_REFUSED, 'the right address with another AE title');
  const any = await agent(t, ['STORESCU, *']);
  assert.equal(await outcome(any, field('STORESCU'), field('EDGE')), 'AC', '* admits any address for that title');
  assert.equal(await outcome(any, field('INTRUDER'), field('EDGE')), CALLING_REFUSED, '* does not admit other titles');
});
