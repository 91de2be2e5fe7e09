/**
 * Store-and-forward cases forward.test.ts does not cover, each against real DCMTK peers:
 *  - `[Storage] highWater` as a percentage: the data folder is a small tmpfs; once its use
 *    passes the mark, the oldest forwarded instances go (files, jobs, index rows) until use is
 *    back under it, while instances still queued or dead-lettered stay.
 *  - conversion while forwarding: Explicit VR LE instances reach a storescp that accepts only
 *    Implicit VR LE and one that accepts only Explicit VR BE, converted with their content intact;
 *    a storescp that accepts the stored syntax gets the stored bytes unchanged.
 *  - A700 from a real PACS: storescp writing to a full tmpfs answers "Refused: Out of Resources";
 *    the edge backs off and retries (no dead letter) and delivers everything once space is freed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startAgent, testIni, type InProcessAgent } from '../helpers/agent';
import { makeStudy, TS_UID, type Study, type StudyFile } from '../helpers/dicom-files';
import { runDcmtk, startStorescp } from '../helpers/peers';
import { freePort } from '../helpers/ports';
import { onCleanup, tmpDir, type AfterContext } from '../helpers/tmp';
import { readPart10Meta } from '../../src/dicom/part10-reader';

const isRoot = process.getuid?.() === 0;
const needsRoot = { skip: !isRoot && 'needs root to mount a tmpfs' };
const MIB = 1024 * 1024;
/** [Storage] highWater of the retention test, in percent of the tmpfs. */
const HIGH_WATER = 70;

interface Peer { name: string; aet: string; port: number }
interface Route { to: string; match?: string }

/** The edge's INI: storage SCP for STORESCU, short retries, one [RemoteAE] per peer, the routes. */
function edgeIni(o: { peers: Peer[]; routes: Route[]; data?: string; storage?: string[]; server?: string[] }) {
  const remotes = o.peers.map((p) => `[RemoteAE]\nuserName = ${p.name}\naetitle = ${p.aet}\nip = 127.0.0.1\nport = ${p.port}\n`);
  const routes = o.routes.map((r) => `[Route]\nto = ${r.to}\n${r.match ? `match = ${r.match}\n` : ''}`);
  return (port: number, dataDir: string): string => testIni({
    port, dataDir: o.data ?? dataDir,
    sections: {
      Server: ['scp = storage', 'accept = STORESCU, 127.0.0.1', ...(o.server ?? [])],
      Forward: ['retryBase = 200ms', 'retryCap = 1s', 'idleRelease = 1s'],
      Storage: o.storage ?? [],
    },
    tail: [...remotes, ...routes].join('\n'),
  });
}

/** A folder with a tmpfs of `mib` MiB mounted on it; lazily unmounted and removed at cleanup. */
function mountSmallTmpfs(t: AfterContext, prefix: string, mib: number): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0755`, 'tmpfs', dir]);
  const unmount = (): void => {
    try { execFileSync('umount', ['-l', dir]); } catch { /* not mounted any more */ }
    rmSync(dir, { recursive: true, force: true });
  };
  onCleanup(unmount, { t, sync: unmount });
  return dir;
}

/** Size, used and available bytes of the file system holding `dir`, as df reports them. */
function df(dir: string): { size: number; used: number; avail: number } {
  const lines = execFileSync('df', ['-B1', '--output=size,used,avail', dir], { encoding: 'utf8' }).trim().split('\n');
  const [size, used, avail] = lines[lines.length - 1].trim().split(/\s+/).map(Number);
  return { size, used, avail };
}

/** Waits (bounded) until `probe` holds. */
async function waitFor(what: string, probe: () => boolean | Promise<boolean>, ms = 60000): Promise<void> {
  for (const end = Date.now() + ms; !(await probe());) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function storescu(port: number, dir: string, extra: string[] = []): Promise<string> {
  const r = await runDcmtk('storescu', ['-v', '-aet', 'STORESCU', '-aec', 'EDGE', ...extra, '+sd', '127.0.0.1', String(port), dir]);
  const out = r.stdout + r.stderr;
  assert.equal(r.code, 0, out);
  assert.equal(out.match(/Received Store Response \(Success\)/g)?.length, readdirSync(dir).length, `every file stored:\n${out}`);
  return out;
}

/** Job counts by state for one destination (optionally one study). */
function jobs(a: InProcessAgent, dest: string, studyUid?: string): Record<string, number> {
  const rows = a.agent.index.db.prepare(`SELECT state, COUNT(*) AS n FROM forward_jobs WHERE destination = ? AND (? IS NULL OR study_uid = ?) GROUP BY state`)
    .all(dest, studyUid ?? null, studyUid ?? null) as { state: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

interface StoredRow { sop: string; path: string; ts: string; size: number }

/** The edge's index rows of a study, oldest first (the order retention deletes in). */
function storedRows(a: InProcessAgent, study: Study): StoredRow[] {
  const sops = new Set(study.files.map((f) => f.sopInstanceUid));
  const rows = a.agent.index.db.prepare('SELECT sop_uid AS sop, path, transfer_syntax AS ts, size FROM instances ORDER BY received_at, id').all() as StoredRow[];
  return rows.filter((r) => sops.has(r.sop));
}

/** storescp `-xf FILE Edge` arguments: Verification, plus one storage class in exactly one syntax (DCMTK asconfig names). */
async function storescpProfile(t: AfterContext, storage?: { sopClass: string; syntax: string }): Promise<string[]> {
  const file = join(await tmpDir('storescp-cfg-', t), 'storescp.cfg');
  writeFileSync(file, [
    '[[TransferSyntaxes]]', '[Verification]', 'TransferSyntax1 = LittleEndianImplicit',
    '[Only]', `TransferSyntax1 = ${storage?.syntax ?? 'LittleEndianImplicit'}`,
    '[[PresentationContexts]]', '[Contexts]', 'PresentationContext1 = VerificationSOPClass\\Verification',
    ...(storage ? [`PresentationContext2 = ${storage.sopClass}\\Only`] : []),
    '[[Profiles]]', '[Edge]', 'PresentationContexts = Contexts', '',
  ].join('\n'));
  return ['-xf', file, 'Edge'];
}

/**
 * Fills the tmpfs at `data` so that it stays under the high-water mark but `next` (still to
 * be stored) takes it about `over` bytes past it. Returns the mark in bytes.
 */
function fillBelowMark(data: string, next: Study, over: number): number {
  const before = df(data);
  const mark = (HIGH_WATER / 100) * before.size;
  const nextBytes = next.files.reduce((n, f) => n + statSync(f.path).size, 0);
  writeFileSync(join(data, 'filler.bin'), Buffer.alloc(Math.round(mark - before.used - nextBytes + over)));
  assert.ok(df(data).used < mark, 'still under the mark before the next study');
  return mark;
}

/** Every instance of a study protected from retention is still stored (index row and file), its jobs as `jobsOk` wants. */
function assertKept(a: InProcessAgent, study: Study, dest: string, jobsOk: (j: Record<string, number>) => boolean): void {
  const rows = storedRows(a, study);
  assert.equal(rows.length, study.files.length, `${dest}: index rows kept`);
  for (const r of rows) assert.ok(existsSync(join(a.config.storage.path, r.path)), `${dest}: file of ${r.sop} kept`);
  assert.ok(jobsOk(jobs(a, dest)), `${dest} jobs ${JSON.stringify(jobs(a, dest))}`);
}

test('[Storage] highWater = 70% of a tmpfs: the oldest forwarded instances go until use is under the mark; queued and dead-lettered ones stay', needsRoot, async (t) => {
  const data = mountSmallTmpfs(t, 'edge-highwater-', 64);
  const pacs = await startStorescp({ aet: 'PACS', dir: await tmpDir('hw-pacs-', t), t });
  const nostore = await startStorescp({ aet: 'NOSTORE', dir: await tmpDir('hw-nostore-', t), args: await storescpProfile(t), t });
  const peers = [{ name: 'PACS', aet: 'PACS', port: pacs.port }, { name: 'DOWN', aet: 'DOWN', port: await freePort() }, { name: 'NOSTORE', aet: 'NOSTORE', port: nostore.port }];
  const routes = [{ to: 'PACS', match: 'Modality=CT' }, { to: 'DOWN', match: 'Modality=MR' }, { to: 'NOSTORE', match: 'Modality=SC' }];
  const a = await startAgent(edgeIni({ peers, routes, data, storage: [`highWater = ${HIGH_WATER}%`] }), t);
  const dirs = await Promise.all(['hw-mr-', 'hw-sc-', 'hw-older-', 'hw-newer-'].map((p) => tmpDir(p, t)));
  const big = { rows: 512, cols: 512 }; // ~512 KiB per instance
  const queued = await makeStudy(dirs[0], { count: 2, modality: 'MR', ...big });
  const dead = await makeStudy(dirs[1], { count: 2, modality: 'SC', ...big });
  const older = await makeStudy(dirs[2], { count: 8, modality: 'CT', ...big });
  const newer = await makeStudy(dirs[3], { count: 8, modality: 'CT', ...big });

  // The protected instances are the oldest in the store: a rule that ignored their jobs would take them first.
  await storescu(a.port, dirs[0]);
  await storescu(a.port, dirs[1]);
  await waitFor('two dead letters for NOSTORE', () => jobs(a, 'NOSTORE').dead === 2);
  await waitFor('DOWN to fail', () => (a.agent.forwarder.queue.destination('DOWN')?.failures ?? 0) > 0);
  await storescu(a.port, dirs[2]);
  await waitFor('the older study forwarded', () => jobs(a, 'PACS', older.studyUid).done === 8);
  const olderRows = storedRows(a, older);
  assert.equal(olderRows.length, 8);

  const mark = fillBelowMark(data, newer, 2 * MIB);
  assert.ok(!a.logs.some((l) => /retention deleted/.test(l)), 'nothing deleted under the mark');
  await storescu(a.port, dirs[3]);
  await waitFor('the newer study forwarded', () => jobs(a, 'PACS', newer.studyUid).done === 8);
  await waitFor('use back under the mark', () => df(data).used <= mark && a.logs.some((l) => /retention deleted/.test(l)), 30000);

  // What went: a prefix of the older study (oldest first), never all of it, with files and jobs.
  const kept = new Set(storedRows(a, older).map((r) => r.sop));
  const gone = olderRows.filter((r) => !kept.has(r.sop));
  t.diagnostic(`high water: ${gone.length} of 8 older instances deleted, use ${df(data).used} bytes, mark ${Math.round(mark)}`);
  assert.ok(gone.length >= 1 && gone.length < 8, `some but not all forwarded instances deleted (${gone.length})`);
  assert.deepEqual(gone.map((r) => r.sop), olderRows.slice(0, gone.length).map((r) => r.sop), 'the oldest first');
  for (const r of gone) {
    assert.ok(!existsSync(join(data, r.path)), `file of ${r.sop} deleted`);
    const left = a.agent.index.db.prepare('SELECT COUNT(*) AS n FROM forward_jobs WHERE sop_uid = ?').get(r.sop) as { n: number };
    assert.equal(left.n, 0, `jobs of ${r.sop} deleted with it`);
  }
  // It stops at the mark: had the last of them stayed, use would still be above it.
  assert.ok(df(data).used + gone[gone.length - 1].size > mark, 'no more deleted than needed');
  for (const r of [...olderRows.slice(gone.length), ...storedRows(a, newer)]) assert.ok(existsSync(join(data, r.path)), `forwarded ${r.sop} under the mark kept`);
  assert.equal(storedRows(a, newer).length, 8, 'the newer study kept whole');

  assertKept(a, queued, 'DOWN', (j) => (j.pending ?? 0) + (j['in-flight'] ?? 0) === 2);
  assertKept(a, dead, 'NOSTORE', (j) => j.dead === 2);
  const counted = a.logs.map((l) => /retention deleted (\d+) instance\(s\), \d+ bytes \(after forward 0, by age 0, high water (\d+)\)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  assert.ok(counted.length > 0 && counted.every((m) => m[1] === m[2]), `log lines:\n${a.logs.filter((l) => /retention/.test(l)).join('\n')}`);
  assert.equal(counted.reduce((n, m) => n + Number(m[1]), 0), gone.length, 'the log counts what was deleted');
});

/** dcmdump +L of a file's data set (every value in full), without the meta header and the "Used TransferSyntax" line. */
async function dataSetDump(file: string): Promise<string> {
  const r = await runDcmtk('dcmdump', ['+L', file]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  return lines.slice(lines.indexOf('# Dicom-Data-Set') + 1).filter((l) => !l.startsWith('# Used TransferSyntax')).join('\n');
}

/** The file storescp wrote for an instance (named <modality>.<SOP Instance UID>). */
function receivedPath(dir: string, sop: string): string {
  const name = readdirSync(dir).find((n) => n.endsWith(`.${sop}`));
  assert.ok(name, `${sop} received in ${dir}`);
  return join(dir, name);
}

const dataSet = (buf: Buffer): Buffer => buf.subarray(readPart10Meta(buf).datasetOffset);

/**
 * One instance as the three storescps got it: converted to Implicit VR LE and to Explicit VR BE
 * with the same content, and unchanged (the edge's stored data set, which is the original's)
 * where Explicit VR LE was accepted.
 */
async function checkReceived(f: StudyFile, dirs: { impl: string; big: string; same: string }, edgeCopy: string, work: string): Promise<void> {
  const sop = f.sopInstanceUid;
  const got = { impl: receivedPath(dirs.impl, sop), big: receivedPath(dirs.big, sop), same: receivedPath(dirs.same, sop) };
  assert.equal(readPart10Meta(readFileSync(got.impl)).transferSyntaxUid, TS_UID.implicit, `${sop} sent to IMPL in Implicit VR LE`);
  assert.equal(readPart10Meta(readFileSync(got.big)).transferSyntaxUid, TS_UID.big, `${sop} sent to BIG in Explicit VR BE`);
  assert.equal(readPart10Meta(readFileSync(got.same)).transferSyntaxUid, TS_UID.explicit, `${sop} sent to SAME as stored`);

  // Big endian keeps VRs: every element, private ones and all pixel values included, dumps as the original.
  const original = await dataSetDump(f.path);
  assert.equal(await dataSetDump(got.big), original, `${sop}: content after conversion to big endian`);
  // Implicit VR drops the private VRs (DCMTK dumps those as ??): compare with DCMTK's own conversion of the original.
  const reference = join(work, `${sop}.ref.dcm`);
  const conv = await runDcmtk('dcmconv', ['+ti', f.path, reference]);
  assert.equal(conv.code, 0, conv.stderr);
  const implicit = await dataSetDump(got.impl);
  assert.equal(implicit, await dataSetDump(reference), `${sop}: content after conversion to implicit`);
  assert.notEqual(implicit, original, 'the implicit copy really is another encoding');

  // No conversion where the stored syntax is accepted: the bytes storescu sent, stored and forwarded unchanged.
  const same = dataSet(readFileSync(got.same));
  assert.ok(same.equals(dataSet(readFileSync(edgeCopy))), `${sop}: SAME got the stored data set byte for byte`);
  assert.ok(same.equals(dataSet(readFileSync(f.path))), `${sop}: ... which is the original's`);
}

test('conversion while forwarding: Explicit VR LE reaches an implicit-only and a big-endian-only storescp converted, content intact; one that accepts it gets the stored bytes', async (t) => {
  const [implDir, bigDir, sameDir, src, work] = await Promise.all(['tx-impl-', 'tx-big-', 'tx-same-', 'tx-src-', 'tx-work-'].map((p) => tmpDir(p, t)));
  // +B: storescp writes the data set exactly as it came off the wire.
  const impl = await startStorescp({ aet: 'IMPL', dir: implDir, args: ['+xi', '+B'], t });
  const bigOnly = await storescpProfile(t, { sopClass: 'CTImageStorage', syntax: 'BigEndianExplicit' });
  const big = await startStorescp({ aet: 'BIG', dir: bigDir, args: [...bigOnly, '+B'], t });
  const same = await startStorescp({ aet: 'SAME', dir: sameDir, args: ['+B'], t });
  const peers = [{ name: 'IMPL', aet: 'IMPL', port: impl.port }, { name: 'BIG', aet: 'BIG', port: big.port }, { name: 'SAME', aet: 'SAME', port: same.port }];
  // trSynOrder = client: the edge takes storescu's first choice (-xe: Explicit VR LE) and stores that.
  const a = await startAgent(edgeIni({ peers, routes: [{ to: 'IMPL, BIG, SAME' }], server: ['trSynOrder = client'] }), t);
  const study = await makeStudy(src, { count: 4, rows: 64, cols: 64, syntax: 'explicit', privateTags: true });
  await storescu(a.port, src, ['-xe']);
  const stored = new Map(storedRows(a, study).map((r) => [r.sop, r]));
  assert.deepEqual([...stored.values()].map((r) => r.ts), Array(4).fill(TS_UID.explicit), 'stored as Explicit VR LE');
  await waitFor('every destination to confirm every instance', () => ['IMPL', 'BIG', 'SAME'].every((d) => jobs(a, d).done === 4), 30000);

  for (const f of study.files) {
    await checkReceived(f, { impl: implDir, big: bigDir, same: sameDir }, join(a.config.storage.path, stored.get(f.sopInstanceUid)!.path), work);
  }
});

test('A700 from a real PACS (storescp on a full disk): the destination backs off and is retried, nothing dead, all delivered once space is freed', needsRoot, async (t) => {
  const pacsDisk = mountSmallTmpfs(t, 'pacs-full-', 4);
  const filler = join(pacsDisk, 'filler.bin');
  writeFileSync(filler, Buffer.alloc(df(pacsDisk).avail));
  assert.equal(df(pacsDisk).avail, 0, 'the PACS disk is full');
  const pacs = await startStorescp({ aet: 'PACS', dir: pacsDisk, args: ['-v'], t });
  const build = edgeIni({ peers: [{ name: 'PACS', aet: 'PACS', port: pacs.port }], routes: [{ to: 'PACS' }] });
  const a = await startAgent(build, t);
  const ini = join(a.dataDir, 'cli.ini');
  writeFileSync(ini, build(a.port, a.dataDir));
  const src = await tmpDir('a700-study-', t);
  const study = await makeStudy(src, { count: 6, rows: 64, cols: 64 });
  await storescu(a.port, src);

  // storescp cannot write and answers A700 (its log and the edge's); the edge backs off and comes back.
  await waitFor('a third A700 attempt', () => (a.agent.forwarder.queue.destination('PACS')?.failures ?? 0) >= 3, 30000);
  assert.match(pacs.output(), /cannot write DICOM file/, 'storescp failed to write');
  assert.ok((pacs.output().match(/Received Store Request/g)?.length ?? 0) >= 3, 'storescp saw the retries');
  assert.ok(a.logs.some((l) => /forward PACS: status 0xa700 \(out of resources\).*next attempt in [\d.]+ s \(failure 2\)/.test(l)),
    `the destination backs off on A700:\n${a.logs.filter((l) => /forward/.test(l)).join('\n')}`);
  const waiting = await runCli(['queue', 'list', '--jobs', '--config', ini]);
  assert.equal(waiting.code, 0, waiting.stderr);
  assert.match(waiting.stdout, /^PACS: pending \d+ .*dead 0, done 0$/m, waiting.stdout);
  assert.match(waiting.stdout, /destination failing \(\d+x, .*status 0xa700/, waiting.stdout);
  assert.match(waiting.stdout, /#\d+ PACS (pending|in-flight) attempts 0 status 0xa700/, waiting.stdout);
  assert.equal(jobs(a, 'PACS').dead, undefined, 'no dead letter');

  unlinkSync(filler);
  await waitFor('every job done', () => jobs(a, 'PACS').done === 6, 30000);
  const got = readdirSync(pacsDisk).map((n) => n.replace(/^CT\./, '')).sort();
  assert.deepEqual(got, study.files.map((f) => f.sopInstanceUid).sort(), 'the PACS holds the whole study');
  const done = await runCli(['queue', 'list', '--config', ini]);
  assert.match(done.stdout, /^PACS: pending 0 .*in-flight 0, held 0, dead 0, done 6$/m, done.stdout);
  assert.doesNotMatch(done.stdout, /destination failing/, 'the destination is healthy again');
});
