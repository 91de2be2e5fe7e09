import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mppsRemotes, worklistRemotes, worklistSettings } from '../../../src/worklist/config';
import { expandAbbreviation } from '../../../src/dicom/sop-classes';
import { parseConfig } from '../../../src/config/load';
import { parseTestConfig, testIni } from '../../helpers/agent';

const remotes = '[RemoteAE]\nuserName = RIS\naetitle = RIS1\nip = 127.0.0.1\nport = 104\nworklist = yes\n\n'
  + '[RemoteAE]\naetitle = HIS\nip = 127.0.0.1\nport = 105\nmpps = on\n\n[RemoteAE]\naetitle = PACS\nip = 127.0.0.1\nport = 106\n';

test('[Worklist] defaults; RemoteAE worklist / mpps flags', () => {
  const c = parseTestConfig(testIni({ port: 1, dataDir: '/data', tail: remotes, sections: { Server: ['accept = CT1, 127.0.0.1', 'accept = MR1, *'] } }));
  const s = worklistSettings(c);
  assert.equal(s.path, '/data/worklist');
  assert.equal(s.prefetchMs, 300_000);
  assert.equal(s.days, 1);
  assert.deepEqual(s.stations, ['CT1', 'MR1'], 'default: the accepted AE titles');
  assert.equal(s.cacheMaxAgeMs, 2 * 86_400_000);
  assert.equal(s.upstreamTimeoutMs, 10_000);
  assert.deepEqual(worklistRemotes(c).map((r) => r.aeTitle), ['RIS1']);
  assert.deepEqual(mppsRemotes(c).map((r) => r.aeTitle), ['HIS']);
});

test('[Worklist] values; bad values are reported by the parser', () => {
  const c = parseTestConfig(testIni({ port: 1, dataDir: '/data', sections: { Worklist: ['path = /srv/wl', 'prefetch = 0', 'days = 3', 'stations = CT1, CT2', 'cacheMaxAge = 12h', 'upstreamTimeout = 2s'] } }));
  assert.deepEqual(worklistSettings(c), { path: '/srv/wl', prefetchMs: 0, days: 3, stations: ['CT1', 'CT2'], cacheMaxAgeMs: 43_200_000, upstreamTimeoutMs: 2000 });
  const r = parseConfig(testIni({ port: 1, dataDir: '/data', sections: { Worklist: ['prefetch = soon', 'days = -1'] } }), 'x.ini');
  assert.equal(r.config, undefined);
  assert.ok(r.problems.some((p) => /prefetch/.test(p)) && r.problems.some((p) => /days/.test(p)), r.problems.join('\n'));
});

test('`mpps` abbreviates the MPPS SOP class', () => {
  assert.deepEqual(expandAbbreviation('mpps'), ['1.2.840.10008.3.1.2.3.3']);
});
