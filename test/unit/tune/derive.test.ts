import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { detectHardware, type Hardware, type Nic } from '../../../src/tune/detect';
import { chooseNic, deriveTuning, perAssociationBytes, SEND_BUFFER_FLOOR, STATEMENT_DEFAULTS } from '../../../src/tune/derive';

const load = (name: string) => detectHardware({ root: resolve('hw/fixtures', name), useSysteminformation: false, env: {} });
const KB = 1024;
const MIB = 1024 * 1024;

test('pi4-1gbe at 1 ms: BDP 125000 rounded to 4 KiB is raised to the send floor and the statement receive default', async () => {
  const t = deriveTuning(await load('pi4-1gbe'));
  assert.equal(t.nic?.name, 'eth0');
  assert.deepEqual(t.inputs, { rttMs: 1, nic: undefined, memoryBudgetFraction: 0.25 });
  assert.equal(t.values.socketSndBuf, SEND_BUFFER_FLOOR);
  assert.equal(t.values.socketRcvBuf, 131072);
  // ceil(125000 / 4096) * 4096 = 126976
  assert.match(t.reasons.socketSndBuf, /eth0 \(fastest up physical NIC\) at 1000 Mb\/s x 1 ms RTT = 126976 bytes, raised to 131072 \(a send buffer/);
  assert.match(t.reasons.socketRcvBuf, /raised to the statement's default 131072/);
  assert.equal(t.values.dimseSize, 2 * MIB, '3.7 GiB / 1024 → 2 MiB');
  assert.equal(t.values.maxPdu, 65530);
  const per = 2 * MIB + 2 * (131072 + 131072) + 2 * 65530 + 4 * MIB;
  assert.equal(perAssociationBytes(t.values), per);
  assert.equal(t.values.maxAssociations, Math.floor(Math.floor(3880180 * KB * 0.25) / per));
  assert.equal(t.values.maxAssociations, 142);
  assert.match(t.reasons.maxAssociations, /= 142$/);
});

test('pi4-1gbe at 20 ms (WAN to a PACS): 2.5 MB BDP clamped to rmem_max/wmem_max with the sysctl to raise', async () => {
  const t = deriveTuning(await load('pi4-1gbe'), { rttMs: 20 });
  assert.equal(t.values.socketSndBuf, 212992);
  assert.equal(t.values.socketRcvBuf, 212992);
  assert.match(t.reasons.socketRcvBuf, /= 2502656 bytes, clamped to the kernel maximum net\.core\.rmem_max = 212992 .*sysctl -w net\.core\.rmem_max=2502656/);
  assert.match(t.reasons.socketSndBuf, /net\.core\.wmem_max = 212992/);
});

test('virtio-vm: unknown speed → the statement defaults (send buffer at its floor), saying why', async () => {
  const t = deriveTuning(await load('virtio-vm'));
  assert.equal(t.nic?.name, 'ens3');
  assert.equal(t.values.socketSndBuf, SEND_BUFFER_FLOOR);
  assert.equal(t.values.socketRcvBuf, STATEMENT_DEFAULTS.socketRcvBuf);
  assert.match(t.reasons.socketSndBuf, /link speed of ens3 .* unknown \(virtio .* -1\): the statement's default, raised to 131072/);
  assert.equal(t.values.dimseSize, MIB);
  assert.equal(t.values.maxPdu, 65530);
  assert.equal(t.values.maxAssociations, 87); // 2014000 kB / 4 / (1 MiB + 2 x 262144 + 131060 + 4 MiB)
});

test('server-10gbe, stock limits: the physical 10 GbE port is chosen over veth/docker0, 1.25 MB clamped to 212992', async () => {
  const t = deriveTuning(await load('server-10gbe'));
  assert.equal(t.nic?.name, 'enp1s0f0');
  assert.equal(t.values.socketSndBuf, 212992);
  assert.equal(t.values.socketRcvBuf, 212992);
  assert.match(t.reasons.socketSndBuf, /10000 Mb\/s x 1 ms RTT = 1253376 bytes, clamped/);
  assert.equal(t.values.dimseSize, 16 * MIB, '64 GiB: the 16 MiB ceiling');
  assert.equal(t.values.maxPdu, 131072);
  assert.match(t.reasons.maxPdu, /10000 Mb\/s link/);
  assert.equal(t.values.maxAssociations, 256);
  assert.match(t.reasons.maxAssociations, /clamped to 4\.\.256/);
});

test('server-10gbe with raised limits: the full BDP, no clamp', async () => {
  const t = deriveTuning(await load('server-10gbe-raised'));
  assert.equal(t.values.socketSndBuf, 1253376);
  assert.equal(t.values.socketRcvBuf, 1253376);
  assert.doesNotMatch(t.reasons.socketRcvBuf, /clamped/);
});

test('armv7-100m: 100 Mb/s BDP is below both floors; 512 MB gives 21 associations', async () => {
  const t = deriveTuning(await load('armv7-100m'));
  assert.equal(t.values.socketSndBuf, 131072, 'never below the send-buffer floor');
  assert.equal(t.values.socketRcvBuf, 131072);
  assert.match(t.reasons.socketSndBuf, /100 Mb\/s x 1 ms RTT = 16384 bytes, raised to 131072 \(a send buffer below that stalls/); // 12500 rounded up to 4 KiB
  assert.match(t.reasons.socketRcvBuf, /= 16384 bytes, raised to the statement's default 131072/);
  assert.equal(t.values.dimseSize, MIB);
  assert.equal(t.values.maxAssociations, 21);
});

test('a named NIC sizes the buffers even when virtual; an unknown name falls back to the defaults', async () => {
  const hw = await load('server-10gbe-raised');
  const v = deriveTuning(hw, { nic: 'veth1a2b3c', rttMs: 0.5 });
  assert.equal(v.nic?.name, 'veth1a2b3c');
  assert.equal(v.values.socketSndBuf, 626688); // 10 Gb/s x 0.5 ms = 625000 → 153 x 4096
  const down = deriveTuning(hw, { nic: 'enp1s0f1' });
  assert.equal(down.values.socketRcvBuf, 131072);
  assert.match(down.reasons.socketRcvBuf, /^enp1s0f1 \(named\) is down: the statement's default$/);
  const missing = deriveTuning(hw, { nic: 'eth9' });
  assert.equal(missing.nic, undefined);
  assert.equal(missing.values.socketSndBuf, 131072);
  assert.match(missing.reasons.socketSndBuf, /NIC eth9 not found \(have: docker0, enp1s0f0, enp1s0f1, lo, veth1a2b3c\)/);
});

test('nothing known: every value is the statement default (send buffer at its floor, maxAssociations our 32)', () => {
  const hw: Hardware = {
    memory: { totalBytes: null, availableBytes: null, source: 'unknown' }, cpus: { count: null, source: 'unknown' },
    nics: [], kernel: { rmemMax: null, wmemMax: null, tcpRmem: null, tcpWmem: null }, notes: [],
  };
  const t = deriveTuning(hw);
  assert.deepEqual(t.values, { ...STATEMENT_DEFAULTS, socketSndBuf: SEND_BUFFER_FLOOR });
  assert.match(t.reasons.socketSndBuf, /no NIC is up besides loopback/);
  assert.match(t.reasons.dimseSize, /memory unknown/);
});

test('tiny memory clamps maxAssociations up to 4; bad inputs fall back to the defaults', () => {
  const hw: Hardware = {
    memory: { totalBytes: 64 * MIB, availableBytes: null, source: 'x' }, cpus: { count: 1, source: 'x' },
    nics: [], kernel: { rmemMax: 100000, wmemMax: 8192, tcpRmem: null, tcpWmem: null }, notes: [],
  };
  const t = deriveTuning(hw, { rttMs: -3, memoryBudgetFraction: 7 });
  assert.deepEqual(t.inputs, { rttMs: 1, nic: undefined, memoryBudgetFraction: 0.25 });
  assert.equal(t.values.maxAssociations, 4);
  assert.equal(t.values.socketSndBuf, 8192, 'even the default is clamped to a small wmem_max');
  assert.equal(t.values.socketRcvBuf, 100000);
});

test('chooseNic: physical before virtual, down and loopback never, unknown speed last', () => {
  const nic = (name: string, speedMbps: number | null, extra: Partial<Nic> = {}): Nic =>
    ({ name, speedMbps, mtu: 1500, operstate: 'up', loopback: false, virtual: false, wireless: false, source: 'sysfs', ...extra });
  assert.equal(chooseNic([nic('a', null), nic('b', 100), nic('c', 1000, { operstate: 'down' })]).nic?.name, 'b');
  assert.equal(chooseNic([nic('br0', 10000, { virtual: true }), nic('eth0', null)]).nic?.name, 'eth0');
  assert.equal(chooseNic([nic('veth0', 10000, { virtual: true }), nic('lo', null, { loopback: true, virtual: true })]).nic?.name, 'veth0');
  assert.equal(chooseNic([nic('lo', null, { loopback: true })]).nic, undefined);
});
