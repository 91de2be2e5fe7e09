import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardSettings, parseDuration, parseHighWater, validateForwardConfig } from '../../../src/forward/config';
import { parseConfig } from '../../../src/config/load';

const BASE = '[Local AE]\naeTitle = EDGE\n[Server]\nscp = storage\naccept = A, *\n[RemoteAE]\nuserName = PACS\naetitle = ORTHANC\nip = 127.0.0.1\nport = 4242\n[RemoteAE]\naetitle = ARCHIVE\nip = 127.0.0.1\nport = 4243\n';

test('[Route], [Forward] and [Storage] retention keys parse with their types', () => {
  const ini = `${BASE}[Route]\nname = CT to both\nto = PACS, ARCHIVE\nmatch = Modality=CT, StationName=CT*\nmatch = callingAe=CT_SCANNER\n[Route]\nto = ORTHANC\n` +
    '[Forward]\nretryBase = 500ms\nretryCap = 2m\nmaxAttempts = 10\nmaxAge = 1d\nidleRelease = 3\n[Storage]\npath = /tmp/x\ndeleteAfterForward = on\nmaxAge = 30d\nhighWater = 90%\n';
  const r = parseConfig(ini, 'f.ini');
  assert.deepEqual(r.problems, []);
  const s = forwardSettings(r.config!);
  assert.equal(s.routes.length, 2);
  assert.equal(s.routes[0].name, 'CT to both');
  assert.deepEqual(s.routes[0].to, ['PACS', 'ARCHIVE']);
  assert.deepEqual(s.routes[0].conditions.map((c) => c.text), ['Modality=CT', 'StationName=CT*', 'callingAe=CT_SCANNER']);
  assert.equal(s.routes[1].name, 'route 2');
  assert.deepEqual(s.routes[1].conditions, []);
  assert.deepEqual(s.retry, { baseMs: 500, capMs: 120000, maxAttempts: 10, maxAgeMs: 86400000, idleReleaseMs: 3000 });
  assert.deepEqual(s.retention, { deleteAfterForward: true, maxAgeMs: 30 * 86400000, highWater: { percent: 90 } });
  assert.equal(r.config!.storage.path, '/tmp/x', 'core [Storage] values still typed as before');
  assert.deepEqual(validateForwardConfig(r.config!), []);
});

test('defaults: no route (no forwarding), retention off', () => {
  const s = forwardSettings(parseConfig(BASE, 'f.ini').config!);
  assert.deepEqual(s.routes, []);
  assert.deepEqual(s.retry, { baseMs: 2000, capMs: 300000, maxAttempts: 0, maxAgeMs: 7 * 86400000, idleReleaseMs: 5000 });
  assert.deepEqual(s.retention, { deleteAfterForward: false, maxAgeMs: 0, highWater: undefined });
});

test('problems are reported with lines: bad conditions, durations, sizes; unknown or missing destinations', () => {
  const r = parseConfig(`${BASE}[Route]\nto = PACS\nmatch = Bogus=1\n[Forward]\nretryBase = soon\n[Storage]\nhighWater = 120%\n`, 'f.ini');
  assert.equal(r.config, undefined);
  assert.equal(r.problems.length, 3, r.problems.join('\n'));
  assert.match(r.problems[0], /^f\.ini:17: .*unknown attribute "Bogus"/);
  assert.match(r.problems[1], /^f\.ini:19: .*"soon" is not a duration/);
  assert.match(r.problems[2], /^f\.ini:21: .*between 0 and 100/);
  // Whole-configuration checks run inside parseConfig, so `config check` reports them too.
  const c = parseConfig(`${BASE}[Route]\nto = NOWHERE\n[Route]\nname = empty\n`, 'f.ini');
  assert.equal(c.config, undefined);
  assert.deepEqual(c.problems, ['f.ini:15: [Route] route 1: no [RemoteAE] named "NOWHERE"', 'f.ini:17: [Route] empty has no "to" destination']);
});

test('durations and high-water values', () => {
  assert.deepEqual(parseDuration('250ms'), { value: 250 });
  assert.deepEqual(parseDuration(' 5m '), { value: 300000 });
  assert.deepEqual(parseDuration('2'), { value: 2000 });
  assert.deepEqual(parseDuration('1.5h'), { value: 5400000 });
  assert.ok('problem' in parseDuration('-1s'));
  assert.deepEqual(parseHighWater('200G'), { value: { bytes: 200 * 2 ** 30 } });
  assert.deepEqual(parseHighWater('512MB'), { value: { bytes: 512 * 2 ** 20 } });
  assert.deepEqual(parseHighWater('1000'), { value: { bytes: 1000 } });
  assert.deepEqual(parseHighWater('off'), { value: undefined });
  assert.ok('problem' in parseHighWater('lots'));
});
