import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { canConnect, freePort, waitForPort } from '../../helpers/ports';

test('freePort returns a port that can then be listened on', async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  const srv = net.createServer();
  await new Promise<void>((res, rej) => srv.once('error', rej).listen(port, '127.0.0.1', () => res()));
  assert.equal(await canConnect(port), true);
  await new Promise<void>((res) => srv.close(() => res()));
  assert.equal(await canConnect(port), false);
});

test('waitForPort resolves once a listener appears later', async () => {
  const port = await freePort();
  const srv = net.createServer();
  setTimeout(() => srv.listen(port, '127.0.0.1'), 150);
  await waitForPort(port, '127.0.0.1', 10000);
  assert.equal(await canConnect(port), true);
  srv.close();
});

test('waitForPort rejects when nothing listens within the bound', async () => {
  const port = await freePort();
  await assert.rejects(waitForPort(port, '127.0.0.1', 300), /nothing listening on 127\.0\.0\.1:\d+/);
});

test('waitForPort stops early when giveUp returns an error', async () => {
  const port = await freePort();
  await assert.rejects(waitForPort(port, '127.0.0.1', 60000, () => new Error('peer exited')), /peer exited/);
});
