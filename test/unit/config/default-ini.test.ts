import '../../../src/config/features';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultIniText, ensureDefaultConfig } from '../../../src/config/default-ini';
import { loadConfig, parseConfig } from '../../../src/config/load';
import { STATEMENT_STORAGE_UIDS } from '../../../src/dicom/sop-classes';

test('the default INI parses without problems and accepts echo, CT and the rest as SCP', () => {
  const r = parseConfig(defaultIniText(), '/data/dicom-edge.ini');
  assert.deepEqual(r.problems, []);
  const c = r.config!;
  assert.equal(c.localAe.aeTitle, 'DICOM_EDGE');
  assert.equal(c.network.port, 11112);
  assert.equal(c.network.bind, '0.0.0.0');
  assert.deepEqual(c.autoKeys.sort(), ['dimseSize', 'maxAssociations', 'maxpdu', 'socketRcvBuf', 'socketSndBuf']);
  assert.equal(c.storage.path, '/data');
  assert.equal(c.options.verifyRemoteAe, false);
  assert.equal(c.options.verifyIPAddr, false);
  assert.equal(r.warnings.length, 2, 'the two verify warnings');
  const scp = new Set(c.server.contexts.filter((s) => s.role !== 'scu').flatMap((s) => s.sopClassUids));
  // C-GET out of the box: storage classes also accept the SCU role (role selection).
  const scuscp = new Set(c.server.contexts.filter((s) => s.role === 'scuscp').flatMap((s) => s.sopClassUids));
  assert.deepEqual([...STATEMENT_STORAGE_UIDS].filter((u) => !scuscp.has(u)), []);
  assert.equal(scuscp.has('1.2.840.10008.5.1.4.1.2.2.1'), false, 'Q/R classes stay scp');
  for (const uid of ['1.2.840.10008.1.1', ...STATEMENT_STORAGE_UIDS, '1.2.840.10008.5.1.4.1.2.1.1', '1.2.840.10008.5.1.4.1.2.3.3', '1.2.840.10008.5.1.4.31']) {
    assert.ok(scp.has(uid), uid);
  }
  assert.equal(c.server.accept.length, 0, 'accept lines are commented examples');
  assert.deepEqual(c.remotes, [], 'the [RemoteAE] example is commented out');
  assert.match(defaultIniText(), /^;accept = MODALITY_AE, 127\.0\.0\.1$/m);
  assert.match(defaultIniText(), /^;\[RemoteAE\]$/m);
});

test('ensureDefaultConfig writes once, mode 0600, and keeps an edited file', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'edge-def-')), 'data');
  const p = ensureDefaultConfig(dir);
  assert.equal(p, join(dir, 'dicom-edge.ini'));
  assert.equal(readFileSync(p, 'utf8'), defaultIniText());
  assert.equal(statSync(p).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['dicom-edge.ini'], 'no temporary file left');
  writeFileSync(p, '[Local AE]\naeTitle = EDITED\n');
  assert.equal(ensureDefaultConfig(dir), p);
  assert.equal(loadConfig(p).localAe.aeTitle, 'EDITED');
  const written = parseConfig(defaultIniText(), join(dir, 'x.ini'));
  assert.equal(written.config!.storage.path, dir, 'path = . is the data folder');
});
