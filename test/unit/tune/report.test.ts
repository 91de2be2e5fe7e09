import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig } from '../../../src/config/load';
import { detectHardware } from '../../../src/tune/detect';
import { deriveTuning } from '../../../src/tune/derive';
import { formatReport, reportJson } from '../../../src/tune/report';
import { run } from '../../../src/cli/commands/tune';

const PI4 = resolve('hw/fixtures/pi4-1gbe');
const INI = '[Network]\nport = 11112\n; explicit on purpose\nsocketSndBuf = 65536\nsocketRcvBuf = auto\n[Local AE]\naeTitle = EDGE\n[Options]\nverifyIPAddr = Off\n';

async function pi4Report() {
  const hardware = await detectHardware({ root: PI4, useSysteminformation: false, env: {} });
  const config = parseConfig(INI, '/x/edge.ini').config!;
  return { hardware, tuning: deriveTuning(hardware), config };
}

test('the text report lists hardware, kernel limits, each value with why and who wins', async () => {
  const out = formatReport(await pi4Report());
  assert.match(out, /^ {2}memory {2}3\.7 GiB total, 3\.4 GiB available/m);
  assert.match(out, /^ {2}CPUs {4}4 /m);
  assert.match(out, /^ {2}eth0 +up +1000 Mb\/s +MTU 1500$/m);
  assert.match(out, /^ {2}wlan0 +down +speed unknown +MTU 1500 +wireless$/m);
  assert.match(out, /^ {2}lo +unknown +speed unknown +MTU 65536 +loopback$/m);
  assert.match(out, /^ {2}net\.core\.rmem_max {2}212992$/m);
  assert.match(out, /^ {2}net\.ipv4\.tcp_rmem {2}4096 131072 6291456 /m);
  assert.match(out, /^ {2}\[Network\] socketSndBuf +131072 {2}\(explicit in the INI: 65536 wins\)$/m);
  assert.match(out, /^ {2}\[Network\] socketRcvBuf +131072 {2}\(auto: used\)$/m);
  assert.match(out, /^ {2}\[Memory\] dimseSize +2097152 {2}\(auto: used\)$/m);
  assert.match(out, /^ {6}why: bandwidth-delay product of eth0/m);
});

test('the JSON report tells derived from effective values', async () => {
  const j = reportJson(await pi4Report()) as { values: Record<string, { section: string; derived: number; effective: number; auto: boolean; reason: string }>; nic: string };
  assert.equal(j.nic, 'eth0');
  const snd = j.values.socketSndBuf;
  assert.deepEqual([snd.section, snd.derived, snd.auto, snd.effective], ['Network', 131072, false, 65536]);
  assert.match(snd.reason, /bandwidth-delay product/);
  assert.equal(j.values.maxAssociations.auto, true);
  assert.equal(j.values.maxAssociations.effective, 142);
});

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => { chunks.push(String(s)); return true; }) as typeof process.stdout.write;
  try {
    return { code: await fn(), out: chunks.join('') };
  } finally {
    process.stdout.write = orig;
  }
}

test('`tune --write --rtt 20 --json` on a fixture host: writes the clamped values, keeps the explicit one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tune-cli-'));
  const path = join(dir, 'edge.ini');
  writeFileSync(path, INI);
  process.env.DICOM_EDGE_HOST_ROOT = PI4;
  try {
    const { code, out } = await capture(() => run(['--config', path, '--write', '--rtt', '20', '--json']));
    assert.equal(code, 0);
    const j = JSON.parse(out);
    assert.equal(j.inputs.rttMs, 20);
    assert.equal(j.values.socketRcvBuf.derived, 212992, 'BDP 2.5 MB clamped to rmem_max');
    assert.deepEqual(j.written.written, { maxpdu: 65530, socketRcvBuf: 212992, maxAssociations: j.values.maxAssociations.derived, dimseSize: 2097152 });
    const text = readFileSync(path, 'utf8');
    assert.match(text, /; explicit on purpose\nsocketSndBuf = 65536\nsocketRcvBuf = 212992\nmaxpdu = 65530\nmaxAssociations = \d+\n\[Local AE\]/);
    assert.equal(readFileSync(`${path}.bak`, 'utf8'), INI);
  } finally {
    delete process.env.DICOM_EDGE_HOST_ROOT;
  }
});

test('`tune` rejects a bad --rtt and --write without a file', async () => {
  await assert.rejects(run(['--rtt', 'fast']), { code: 'CLI_BAD_NUMBER' });
  await assert.rejects(run(['--rtt', '0']), { code: 'CLI_BAD_NUMBER' });
  const saved = process.env.DICOM_CONFIG_FILE;
  delete process.env.DICOM_CONFIG_FILE;
  try {
    await assert.rejects(run(['--write']), { code: 'CLI_USAGE', message: /needs a configuration file/ });
  } finally {
    if (saved !== undefined) process.env.DICOM_CONFIG_FILE = saved;
  }
});
