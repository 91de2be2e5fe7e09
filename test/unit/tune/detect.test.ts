import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cpuListCount, detectHardware, meminfoBytes } from '../../../src/tune/detect';

const fixture = (name: string) => resolve('hw/fixtures', name);
const KB = 1024;

test('pi4-1gbe: eth0 1000 Mb/s up, wlan0 down without speed, lo loopback; meminfo, CPUs, kernel limits', async () => {
  const hw = await detectHardware({ root: fixture('pi4-1gbe'), useSysteminformation: false, env: {} });
  assert.deepEqual(hw.nics.map((n) => [n.name, n.speedMbps, n.mtu, n.operstate, n.loopback, n.virtual, n.wireless]), [
    ['eth0', 1000, 1500, 'up', false, false, false],
    ['lo', null, 65536, 'unknown', true, true, false],
    ['wlan0', null, 1500, 'down', false, false, true],
  ]);
  assert.equal(hw.memory.totalBytes, 3880180 * KB);
  assert.equal(hw.memory.availableBytes, 3520000 * KB);
  assert.equal(hw.memory.source, join(fixture('pi4-1gbe'), '/proc/meminfo'));
  assert.deepEqual(hw.cpus.count, 4);
  assert.deepEqual(hw.kernel, {
    rmemMax: 212992, wmemMax: 212992,
    tcpRmem: { min: 4096, default: 131072, max: 6291456 },
    tcpWmem: { min: 4096, default: 16384, max: 4194304 },
  });
  assert.deepEqual(hw.notes, []);
});

test('virtio-vm: speed -1 is unknown (null), not a number', async () => {
  const hw = await detectHardware({ root: fixture('virtio-vm'), useSysteminformation: false, env: {} });
  const ens3 = hw.nics.find((n) => n.name === 'ens3')!;
  assert.equal(ens3.speedMbps, null);
  assert.equal(ens3.operstate, 'up');
  assert.equal(ens3.virtual, false, 'virtio has a backing device');
  assert.equal(hw.cpus.count, 2);
});

test('server-10gbe: bonding_masters (a plain file) is skipped; docker0 and veth are virtual', async () => {
  const hw = await detectHardware({ root: fixture('server-10gbe'), useSysteminformation: false, env: {} });
  assert.deepEqual(hw.nics.map((n) => n.name), ['docker0', 'enp1s0f0', 'enp1s0f1', 'lo', 'veth1a2b3c']);
  const by = Object.fromEntries(hw.nics.map((n) => [n.name, n]));
  assert.equal(by.enp1s0f0.speedMbps, 10000);
  assert.equal(by.enp1s0f0.mtu, 9000);
  assert.equal(by.enp1s0f1.speedMbps, null, 'a down port reports -1');
  assert.equal(by.docker0.virtual, true);
  assert.equal(by.veth1a2b3c.virtual, true);
  assert.equal(by.veth1a2b3c.speedMbps, 10000);
  assert.equal(hw.cpus.count, 16);
});

test('armv7-100m: no MemAvailable (old kernel) → MemFree + Cached; missing tcp_*mem → null', async () => {
  const hw = await detectHardware({ root: fixture('armv7-100m'), useSysteminformation: false, env: {} });
  assert.equal(hw.memory.totalBytes, 505856 * KB);
  assert.equal(hw.memory.availableBytes, (200000 + 100000) * KB);
  assert.equal(hw.kernel.tcpRmem, null);
  assert.equal(hw.kernel.rmemMax, 163840);
  assert.equal(hw.cpus.count, 1);
});

test('nothing readable: every value unknown, a note for each, no throw', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'tune-empty-'));
  const hw = await detectHardware({ root: empty, useSysteminformation: false, env: {} });
  assert.deepEqual(hw.nics, []);
  assert.equal(hw.memory.totalBytes, null);
  assert.equal(hw.cpus.count, null);
  assert.equal(hw.kernel.rmemMax, null);
  assert.equal(hw.kernel.wmemMax, null);
  for (const what of ['class/net', 'meminfo', 'cpu/online', 'rmem_max', 'wmem_max']) {
    assert.ok(hw.notes.some((n) => n.includes(what)), `a note about ${what}: ${hw.notes.join(' | ')}`);
  }
});

test('single paths: option beats environment beats root', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tune-paths-'));
  const core = join(tmp, 'core');
  mkdirSync(core);
  writeFileSync(join(core, 'rmem_max'), '999999\n');
  writeFileSync(join(core, 'wmem_max'), '888888\n');
  const env = { DICOM_EDGE_PROC_NET_CORE: core, DICOM_EDGE_SYS_CLASS_NET: join(fixture('virtio-vm'), 'sys/class/net') };
  const hw = await detectHardware({ root: fixture('pi4-1gbe'), useSysteminformation: false, env });
  assert.equal(hw.kernel.rmemMax, 999999);
  assert.equal(hw.kernel.wmemMax, 888888);
  assert.deepEqual(hw.nics.map((n) => n.name), ['ens3', 'lo'], 'NICs from the env path, not the root');
  assert.equal(hw.memory.totalBytes, 3880180 * KB, 'meminfo still from the root');
  const hw2 = await detectHardware({ root: fixture('pi4-1gbe'), procNetCore: join(fixture('armv7-100m'), 'proc/sys/net/core'), useSysteminformation: false, env });
  assert.equal(hw2.kernel.rmemMax, 163840, 'the option wins over the environment');
});

test('systeminformation on this machine: memory and CPU count are known and plausible', async () => {
  const hw = await detectHardware({ env: {} });
  assert.equal(hw.memory.source, 'systeminformation');
  assert.ok(hw.memory.totalBytes! > 64 * 1024 * 1024);
  assert.ok(hw.memory.availableBytes! <= hw.memory.totalBytes!);
  assert.ok(hw.cpus.count! >= 1);
  assert.ok(hw.nics.some((n) => n.loopback), 'lo is listed');
});

test('an injected meminfo wins over systeminformation', async () => {
  const hw = await detectHardware({ procMeminfo: join(fixture('virtio-vm'), 'proc/meminfo'), env: {} });
  assert.equal(hw.memory.totalBytes, 2014000 * KB);
});

test('meminfoBytes and cpuListCount parse the kernel formats', () => {
  assert.equal(meminfoBytes('MemTotal:        1000 kB\nMemFree: 5 kB\n', 'MemFree'), 5 * KB);
  assert.equal(meminfoBytes('MemTotal: 1000 kB\n', 'MemAvailable'), null);
  assert.equal(cpuListCount('0-3,6,8-9\n'), 7);
  assert.equal(cpuListCount('0'), 1);
  assert.equal(cpuListCount('zero'), null);
});
