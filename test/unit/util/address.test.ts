import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIp, hostPort, sameIp } from '../../../src/util/address';

test('canonicalIp: one text per IPv6 address; IPv4 and IPv4-mapped as dotted IPv4', () => {
  assert.equal(canonicalIp('127.0.0.1'), '127.0.0.1');
  assert.equal(canonicalIp('fd42:de::2'), 'fd42:de:0:0:0:0:0:2');
  assert.equal(canonicalIp('FD42:00DE:0000:0:0:0:0:0002'), 'fd42:de:0:0:0:0:0:2');
  assert.equal(canonicalIp('::1'), '0:0:0:0:0:0:0:1');
  assert.equal(canonicalIp('::'), '0:0:0:0:0:0:0:0');
  assert.equal(canonicalIp('fe80::'), 'fe80:0:0:0:0:0:0:0');
  assert.equal(canonicalIp('fe80::1%veth0'), 'fe80:0:0:0:0:0:0:1', 'the zone is not part of the address');
  assert.equal(canonicalIp('::ffff:192.168.1.20'), '192.168.1.20');
  assert.equal(canonicalIp('::FFFF:c0a8:114'), '192.168.1.20', 'hex form of a mapped address');
  assert.equal(canonicalIp('64:ff9b::10.0.0.1'), '64:ff9b:0:0:0:0:a00:1', 'an embedded IPv4 that is not a mapped address');
  assert.equal(canonicalIp('1:2:3:4:5:6:7.8.9.10'), '1:2:3:4:5:6:708:90a');
  assert.equal(canonicalIp('*'), '*', 'not an address: unchanged');
  assert.equal(canonicalIp('pacs.example'), 'pacs.example');
});

test('sameIp compares canonical forms', () => {
  assert.ok(sameIp('fd42:de::2', 'FD42:DE:0::2'));
  assert.ok(sameIp('::ffff:127.0.0.1', '127.0.0.1'));
  assert.ok(!sameIp('fd42:de::2', 'fd42:de::20'));
  assert.ok(!sameIp('127.0.0.1', '127.0.0.2'));
});

test('hostPort brackets IPv6 literals only', () => {
  assert.equal(hostPort('127.0.0.1', 104), '127.0.0.1:104');
  assert.equal(hostPort('fd42:de::1', 11112), '[fd42:de::1]:11112');
  assert.equal(hostPort('fe80::1%eth0', 104), '[fe80::1%eth0]:104');
  assert.equal(hostPort('pacs.example', '104'), 'pacs.example:104');
});
