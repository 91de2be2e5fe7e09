import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, type Identifier } from '../../../src/dicom/identifier';
import { IndexDb } from '../../../src/store/index-db';
import { createLogger } from '../../../src/util/log';
import { WorklistCache } from '../../../src/worklist/cache-db';
import { mergeItems, prefetchQuery, WorklistProvider, type UpstreamQuery } from '../../../src/worklist/provider';
import { writeItem } from '../../../src/worklist/local-items';
import { parseTestConfig, testIni } from '../../helpers/agent';
import { tmpDir } from '../../helpers/tmp';
import { item, query } from './items';

const PN = 0x00100010, ACC = 0x00080050;

async function setup(t: { after(fn: () => unknown): unknown }, upstream: UpstreamQuery, extra = '') {
  const dir = await tmpDir('wl-unit-', t);
  const config = parseTestConfig(testIni({
    port: 11112, dataDir: dir,
    sections: { Worklist: [`path = ${dir}/items`, 'upstreamTimeout = 200ms', 'cacheMaxAge = 1h', ...(extra ? [extra] : [])] },
    tail: '[RemoteAE]\nuserName = RIS\naetitle = RIS\nip = 127.0.0.1\nport = 1\nworklist = yes\n',
  }));
  const index = IndexDb.open(':memory:');
  const logs: string[] = [];
  let now = 1_000_000;
  const cache = new WorklistCache(index.db);
  const p = new WorklistProvider({ config: () => config, cache, log: createLogger({ write: (l) => logs.push(l) }), upstream, now: () => now });
  return { p, cache, logs, dir: `${dir}/items`, advance: (ms: number) => { now += ms; } };
}

async function names(p: WorklistProvider, q: Identifier): Promise<string[]> {
  const out: string[] = [];
  for await (const r of p.answers(q, new AbortController().signal)) out.push(get(r, PN)!);
  return out;
}

test('RIS answers are returned and cached; the RIS down → the same query answered from the cache, logged', async (t) => {
  let down = false;
  const seen: Identifier[] = [];
  const upstream: UpstreamQuery = async (_r, id) => {
    seen.push(id);
    if (down) throw new Error('connect ECONNREFUSED');
    return [item({ name: 'A^A', acc: 'A1' }), item({ name: 'B^B', acc: 'B1', station: 'MR1', modality: 'MR' })];
  };
  const s = await setup(t, upstream);
  const q = query({ [PN]: '' }, { 0x00400001: 'CT1' });
  assert.deepEqual(await names(s.p, q), ['A^A'], 'matched locally too');
  // The upstream identifier asks for every Table K.6-1 key, with the modality's matching value.
  const sps = seen[0].find((e) => e.tag === 0x00400100)!.value as Identifier[];
  assert.equal(get(sps[0], 0x00400001), 'CT1');
  assert.ok(sps[0].some((e) => e.tag === 0x00400009), 'step id asked for');
  assert.ok(seen[0].some((e) => e.tag === 0x0020000d), 'study uid asked for');
  assert.equal(s.cache.count('RIS'), 2);
  down = true;
  assert.deepEqual(await names(s.p, q), ['A^A']);
  assert.ok(s.logs.some((l) => /RIS RIS unavailable \(connect ECONNREFUSED\); answering from the cache \(2 item/.test(l)), s.logs.join('\n'));
});

test('an upstream that does not answer within upstreamTimeout is replaced by the cache', async (t) => {
  let hang = false;
  const s = await setup(t, (_r, _id, signal) => hang
    ? new Promise((_, reject) => signal.addEventListener('abort', () => setTimeout(() => reject(new Error('cancelled')), 1000)))
    : Promise.resolve([item({ name: 'C^C' })]));
  assert.deepEqual(await names(s.p, query({ [PN]: '' })), ['C^C']);
  hang = true;
  assert.deepEqual(await names(s.p, query({ [PN]: '' })), ['C^C']);
  assert.ok(s.logs.some((l) => /no answer within 200 ms; answering from the cache/.test(l) || /no answer within 200 ms\); answering from the cache/.test(l)), s.logs.join('\n'));
});

test('cached items expire after cacheMaxAge', async (t) => {
  let down = false;
  const s = await setup(t, async () => { if (down) throw new Error('down'); return [item()]; });
  assert.equal((await names(s.p, query({ [PN]: '' }))).length, 1);
  down = true;
  s.advance(3_600_001);
  assert.deepEqual(await names(s.p, query({ [PN]: '' })), []);
  await s.p.prefetch();
  assert.equal(s.cache.count(), 0, 'prefetch drops expired rows');
});

test('local items and RIS items are merged; the same accession + step id is returned once (local first)', async (t) => {
  const s = await setup(t, async () => [item({ name: 'FROM^RIS', acc: 'X1' }), item({ name: 'OTHER^RIS', acc: 'X2' })]);
  await writeItem(s.dir, item({ name: 'LOCAL^COPY', acc: 'X1' }));
  await writeItem(s.dir, item({ name: 'LOCAL^ONLY', acc: 'L1' }));
  assert.deepEqual((await names(s.p, query({ [PN]: '', [ACC]: '' }))).sort(), ['LOCAL^COPY', 'LOCAL^ONLY', 'OTHER^RIS']);
});

test('an item lacking a Type 1 key is skipped and logged', async (t) => {
  const s = await setup(t, async () => [item({ name: 'GOOD^ONE', acc: 'G' }), item({ name: 'NO^STEP', acc: 'N', step: '' })]);
  assert.deepEqual(await names(s.p, query({ [PN]: '' }, { 0x00400009: '' })), ['GOOD^ONE']);
  assert.ok(s.logs.some((l) => /item N\\ skipped: Type 1 return key \(0040,0100\)\/\(0040,0009\) has no value/.test(l)), s.logs.join('\n'));
});

test('prefetch asks per station for today ± days and fills the cache', async (t) => {
  const asked: Identifier[] = [];
  const s = await setup(t, async (_r, id) => { asked.push(id); return [item({ acc: `A${asked.length}` })]; }, 'stations = CT1, MR1');
  const reports = await s.p.prefetch();
  assert.equal(asked.length, 2);
  const stations = asked.map((a) => get((a.find((e) => e.tag === 0x00400100)!.value as Identifier[])[0], 0x00400001));
  assert.deepEqual(stations, ['CT1', 'MR1']);
  assert.deepEqual(reports, [{ source: 'RIS', kind: 'upstream', items: 2 }]);
  assert.equal(s.cache.count('RIS'), 2);
});

test('prefetchQuery: the date range spans today ± days', () => {
  const q = prefetchQuery('CT1', 2, new Date(2024, 0, 1, 13, 0));
  const sps = (q[0].value as Identifier[])[0];
  assert.equal(get(sps, 0x00400002), '20231230-20240103');
  assert.equal(get(sps, 0x00400001), 'CT1');
});

test('mergeItems keeps items without accession and step id', () => {
  const bare = item({ acc: '', step: '' });
  assert.equal(mergeItems([[bare], [bare]]).length, 2);
  assert.equal(mergeItems([[item()], [item()]]).length, 1);
});

test('a start date + time period goes upstream as the date range; the period is applied here', async (t) => {
  const seen: Identifier[] = [];
  const s = await setup(t, async (_r, id) => {
    seen.push(id);
    // A RIS matching the two ranges separately would drop the 23:00 step; this one sends the date range's steps.
    return [item({ name: 'IN^PERIOD', acc: 'A1', date: '20240102', time: '2300' }), item({ name: 'BEFORE^PERIOD', acc: 'A2', date: '20240102', time: '0900' })];
  });
  const q = query({ [PN]: '' }, { 0x00400002: '20240102-20240103', 0x00400003: '1000-1200' });
  assert.deepEqual(await names(s.p, q), ['IN^PERIOD']);
  const sps = (seen[0].find((e) => e.tag === 0x00400100)!.value as Identifier[])[0];
  assert.equal(get(sps, 0x00400002), '20240102-20240103');
  assert.equal(get(sps, 0x00400003), '', 'the time goes up as a return key');
  // A single date with a time range is not a period: both go up unchanged.
  await names(s.p, query({ [PN]: '' }, { 0x00400002: '20240102', 0x00400003: '1000-1200' }));
  assert.equal(get((seen[1].find((e) => e.tag === 0x00400100)!.value as Identifier[])[0], 0x00400003), '1000-1200');
});
