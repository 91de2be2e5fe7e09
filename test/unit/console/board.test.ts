import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/tmp';
import { detectBoard, findUsbSerial, loadBoards, loadUsbSerialMap, resolveConsoleDevice } from '../../../src/console/board';
import type { ConsoleSettings } from '../../../src/console/config-section';

const HW = join(process.cwd(), 'hw');
const none: ConsoleSettings = { device: undefined, baud: 115200, present: false };

test('every profile in hw/boards loads and names a console; the USB map has lower-case hex ids', () => {
  const notes: string[] = [];
  const boards = loadBoards(HW, notes);
  assert.deepEqual(notes, []);
  assert.ok(boards.length >= 3);
  for (const b of boards) assert.ok(b.console.baud > 0 && (b.console.device === null || b.console.device.startsWith('/dev/')), b.name);
  const map = loadUsbSerialMap(HW);
  assert.ok(map.some((a) => a.vendorId === '0403' && a.productId === '6001'));
  for (const a of map) assert.match(`${a.vendorId}:${a.productId}`, /^[0-9a-f]{4}:[0-9a-f]{4}$/);
});

async function fakeRoot(t: { after(fn: () => unknown): unknown }, model?: string) {
  const root = await tmpDir('board-root-', t);
  if (model) {
    mkdirSync(join(root, 'proc/device-tree'), { recursive: true });
    writeFileSync(join(root, 'proc/device-tree/model'), `${model}\0`);
    writeFileSync(join(root, 'proc/device-tree/compatible'), 'raspberrypi,4-model-b\0brcm,bcm2711\0');
  }
  return root;
}

/** sys/class/tty/ttyUSB0 → ../../devices/…/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0, ids on 1-1. */
function plugUsb(root: string, vendor: string, product: string): void {
  const usb = join(root, 'sys/devices/pci0000:00/usb1/1-1');
  const tty = join(usb, '1-1:1.0/ttyUSB0');
  mkdirSync(join(tty, 'tty/ttyUSB0'), { recursive: true });
  writeFileSync(join(usb, 'idVendor'), `${vendor}\n`);
  writeFileSync(join(usb, 'idProduct'), `${product}\n`);
  mkdirSync(join(root, 'sys/class/tty/ttyUSB0'), { recursive: true });
  symlinkSync(tty, join(root, 'sys/class/tty/ttyUSB0/device'));
}

test('a Raspberry Pi 4 is recognised from its device tree; $DICOM_EDGE_BOARD overrides', async (t) => {
  const boards = loadBoards(HW);
  const root = await fakeRoot(t, 'Raspberry Pi 4 Model B Rev 1.4');
  assert.equal(detectBoard(boards, { root, arch: 'arm64', env: {} })?.name, 'raspberrypi-4');
  assert.equal(detectBoard(boards, { root, env: { DICOM_EDGE_BOARD: 'beaglebone-black' } })?.name, 'beaglebone-black');
  assert.equal(detectBoard(boards, { root: await fakeRoot(t), arch: 'x64', env: {} })?.name, 'generic-x86');
  assert.equal(detectBoard(boards, { root: await fakeRoot(t), arch: 'riscv64', env: {} }), undefined);
});

test('console device: [Console] device, else the board profile, else a known USB adapter; off = none', async (t) => {
  const pi = await fakeRoot(t, 'Raspberry Pi 4 Model B Rev 1.4');
  assert.deepEqual(resolveConsoleDevice({ ...none, device: '/dev/ttyX', baud: 9600 }, { hwDir: HW, root: pi, env: {} }), { device: '/dev/ttyX', baud: 9600, source: '[Console] device' });
  assert.equal(resolveConsoleDevice({ ...none, device: null }, { hwDir: HW, root: pi, env: {} }), null);
  assert.deepEqual(resolveConsoleDevice(none, { hwDir: HW, root: pi, env: {} }), { device: '/dev/serial0', baud: 115200, source: 'board profile raspberrypi-4' });
  const pc = await fakeRoot(t);
  assert.equal(resolveConsoleDevice(none, { hwDir: HW, root: pc, arch: 'x64', env: {} }), null, 'a PC without a known adapter has no console');
  plugUsb(pc, '10c4', 'EA60');
  assert.deepEqual(findUsbSerial(loadUsbSerialMap(HW), pc)?.device, '/dev/ttyUSB0');
  assert.deepEqual(resolveConsoleDevice(none, { hwDir: HW, root: pc, arch: 'x64', env: {} }), { device: '/dev/ttyUSB0', baud: 115200, source: 'USB-serial adapter Silicon Labs CP210x' });
  const other = await fakeRoot(t);
  plugUsb(other, '1234', '5678');
  assert.equal(findUsbSerial(loadUsbSerialMap(HW), other), undefined, 'an unknown USB device is not taken for the console');
});
