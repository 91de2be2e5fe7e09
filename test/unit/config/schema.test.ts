import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findSection, registerOptions, registerSection } from '../../../src/config/schema';
import { parseConfig, sectionValues } from '../../../src/config/load';

// Registered once for this test process (node:test runs each file in its own process).
registerSection('Route', {
  from: { type: 'aeTitle' },
  to: { type: 'aeTitle', multi: true },
  retries: { type: 'int', default: 3, min: 0, max: 100 },
  enabled: { type: 'bool', default: true },
}, { repeated: true });
registerSection('Web', {
  port: { type: 'int', default: 8080, min: 1, max: 65535 },
  title: { type: 'custom', parse: (raw) => (raw.trim().startsWith('!') ? { problem: 'no bangs' } : { value: raw.trim().toUpperCase() }) },
});
registerOptions('Remote AE', {
  worklist: { type: 'bool', default: false },
  printAs: { type: 'word' },
});

const MIN = '[Local AE]\naeTitle = EDGE\n[Server]\nscp = echo\naccept = A, *\n';

test('registered sections parse with types, defaults and repeats', () => {
  const r = parseConfig(`${MIN}[Route]\nfrom = CT1\nto = PACS\nto = ARCHIVE\n[Route]\nfrom = MR1\nretries = 0\nenabled = no\n[Web]\ntitle = hello\n`, 'r.ini');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.config!.sections.Route, [
    { line: 6, values: { from: 'CT1', to: ['PACS', 'ARCHIVE'], retries: 3, enabled: true } },
    { line: 10, values: { from: 'MR1', to: [], retries: 0, enabled: false } },
  ]);
  assert.deepEqual(sectionValues(r.config!, 'web'), { port: 8080, title: 'HELLO' });
});

test('absent registered section: sectionValues gives the defaults', () => {
  const c = parseConfig(MIN).config!;
  assert.equal(c.sections.Web, undefined);
  assert.deepEqual(sectionValues(c, 'Web'), { port: 8080, title: undefined });
});

test('registered sections report problems like the core ones', () => {
  const r = parseConfig(`${MIN}[Route]\nretries = 101\nbogus = 1\n[Web]\ntitle = !x\n`, 'r.ini');
  assert.deepEqual(r.problems, [
    'r.ini:7: [Route] retries: 101 is out of range 0-100',
    'r.ini:8: unknown option "bogus" in [Route]',
    'r.ini:10: [Web] title: no bangs',
  ]);
});

test('registered RemoteAE keys land in remote.extra as text; unknown ones are problems', () => {
  const r = parseConfig(`${MIN}[RemoteAE]\naetitle = P\nip = 10.0.0.9\nport = 104\nworklist = Yes\nprintAs =  film \n`, 'x.ini');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.config!.remotes[0].extra, { worklist: 'Yes', printAs: 'film' });
  const bad = parseConfig(`${MIN}[RemoteAE]\naetitle = P\nip = 10.0.0.9\nport = 104\nworklist = perhaps\nmpps = yes\n`, 'x.ini');
  assert.equal(bad.problems.length, 2);
  assert.match(bad.problems[0], /x\.ini:10: \[RemoteAE\] worklist: "perhaps"/);
  assert.match(bad.problems[1], /x\.ini:11: unknown option "mpps" in \[RemoteAE\]/);
});

test('registering a taken name throws', () => {
  assert.throws(() => registerSection('Network', {}), /already registered/);
  assert.throws(() => registerSection('remote ae', {}), /already registered/);
  assert.throws(() => registerOptions('RemoteAE', { port: { type: 'int' } }), /already registered/);
  assert.throws(() => registerOptions('Nowhere', {}), /unknown section/);
  assert.equal(findSection('ROUTE')?.repeated, true);
});
