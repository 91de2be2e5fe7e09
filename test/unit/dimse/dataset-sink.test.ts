import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SpillSink } from '../../../src/dimse/dataset-sink';
import { EdgeError } from '../../../src/util/errors';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'spill-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function writeAll(sink: SpillSink, chunks: Buffer[]): Promise<void> {
  await pipeline(Readable.from(chunks, { objectMode: false }), sink);
}

async function readStream(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

test('below dimseSize the data stays in memory and no file is created', async (t) => {
  const dir = tempDir(t);
  const sink = new SpillSink({ dimseSize: 1000, tmpDir: dir });
  const data = randomBytes(1000);
  await writeAll(sink, [data.subarray(0, 300), data.subarray(300, 999), data.subarray(999)]);
  assert.equal(sink.inMemory, true);
  assert.equal(sink.size, 1000);
  assert.equal(sink.path, undefined);
  assert.deepEqual(readdirSync(dir), []);
  assert.ok((await sink.readAll()).equals(data));
  assert.ok((await readStream(sink.createReadStream())).equals(data));
  assert.ok((await readStream(sink.createReadStream())).equals(data), 'a second stream reads it again');
  await sink.dispose();
  assert.throws(() => sink.createReadStream(), (e: unknown) => e instanceof EdgeError && e.code === 'DIMSE_SINK_NOT_READY');
});

test('above dimseSize everything spills to a 0600 file in tmpDir, removed on dispose', async (t) => {
  const dir = tempDir(t);
  const sink = new SpillSink({ dimseSize: 1000, tmpDir: dir });
  const data = randomBytes(5000);
  const chunks: Buffer[] = [];
  for (let off = 0; off < data.length; off += 333) chunks.push(data.subarray(off, off + 333));
  await writeAll(sink, chunks);
  assert.equal(sink.inMemory, false);
  assert.equal(sink.size, 5000);
  const files = readdirSync(dir);
  assert.equal(files.length, 1);
  assert.equal(join(dir, files[0]), sink.path);
  const st = statSync(sink.path!);
  assert.equal(st.size, 5000);
  assert.equal(st.mode & 0o777, 0o600);
  assert.ok((await sink.readAll()).equals(data));
  assert.ok((await readStream(sink.createReadStream())).equals(data));
  await sink.dispose();
  assert.deepEqual(readdirSync(dir), []);
  await sink.dispose(); // idempotent
});

test('exactly dimseSize stays in memory; one byte more spills', async (t) => {
  const dir = tempDir(t);
  const a = new SpillSink({ dimseSize: 64, tmpDir: dir });
  await writeAll(a, [randomBytes(64)]);
  assert.equal(a.inMemory, true);
  const b = new SpillSink({ dimseSize: 64, tmpDir: dir });
  const data = randomBytes(65);
  await writeAll(b, [data.subarray(0, 64), data.subarray(64)]);
  assert.equal(b.inMemory, false);
  assert.ok((await b.readAll()).equals(data));
  await Promise.all([a.dispose(), b.dispose()]);
  assert.deepEqual(readdirSync(dir), []);
});

test('an empty data set is an empty in-memory sink', async () => {
  const sink = new SpillSink({ dimseSize: 0 });
  sink.end();
  await once(sink, 'finish');
  assert.equal(sink.size, 0);
  assert.equal(sink.inMemory, true);
  assert.equal((await sink.readAll()).length, 0);
});

test('destroy() mid-transfer removes the temp file', async (t) => {
  const dir = tempDir(t);
  const sink = new SpillSink({ dimseSize: 10, tmpDir: dir });
  sink.write(randomBytes(100));
  sink.write(randomBytes(100));
  for (let i = 0; i < 1000 && readdirSync(dir).length === 0; i++) await new Promise((r) => setImmediate(r));
  assert.equal(readdirSync(dir).length, 1);
  sink.destroy();
  await once(sink, 'close');
  assert.deepEqual(readdirSync(dir), []);
});

test('finish does not destroy the data (autoDestroy off)', async (t) => {
  const dir = tempDir(t);
  const sink = new SpillSink({ dimseSize: 10, tmpDir: dir });
  await writeAll(sink, [randomBytes(100)]);
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  assert.equal(sink.destroyed, false);
  assert.equal(existsSync(sink.path!), true);
  await sink.dispose();
});

test('detachFile hands the temp file over: dispose no longer deletes it', async (t) => {
  const dir = tempDir(t);
  const sink = new SpillSink({ dimseSize: 10, tmpDir: dir });
  await writeAll(sink, [randomBytes(100)]);
  const p = sink.detachFile()!;
  await sink.dispose();
  assert.equal(existsSync(p), true);
  assert.equal(statSync(p).size, 100);
  assert.throws(() => sink.createReadStream(), /not finished or was disposed/);
});

test('readAll before finish is refused', () => {
  const sink = new SpillSink();
  sink.write(Buffer.alloc(1));
  assert.throws(() => sink.createReadStream(), (e: unknown) => e instanceof EdgeError && e.code === 'DIMSE_SINK_NOT_READY');
  sink.destroy();
});

/** V8's gc() without --expose-gc: lets the test measure retained, not yet collected, memory. */
function getGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

test('a 50 MB stream with dimseSize 1 MB keeps ArrayBuffer memory well below 50 MB', async (t) => {
  const dir = tempDir(t);
  const gc = getGc();
  gc?.();
  const base = process.memoryUsage().arrayBuffers;
  let peak = 0;
  const total = 50 * 1024 * 1024;
  const chunk = 64 * 1024;
  const hash = createHash('sha256');
  const sink = new SpillSink({ dimseSize: 1024 * 1024, tmpDir: dir });
  async function* source(): AsyncGenerator<Buffer> {
    for (let off = 0, i = 0; off < total; off += chunk, i++) {
      const b = Buffer.alloc(chunk, i & 0xff); // fresh memory per chunk, as from a socket
      b.writeUInt32BE(i, 0);
      hash.update(b);
      yield b;
      if (i % 64 === 0) {
        gc?.();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
      }
    }
  }
  await pipeline(Readable.from(source(), { objectMode: false }), sink);
  gc?.();
  peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
  assert.equal(sink.size, total);
  assert.equal(sink.inMemory, false);
  assert.equal(statSync(sink.path!).size, total);
  assert.ok(peak < 20 * 1024 * 1024, `ArrayBuffer growth ${(peak / 1048576).toFixed(1)} MB (gc ${gc ? 'on' : 'off'})`);
  // the file holds exactly what was written
  const check = createHash('sha256');
  for await (const c of sink.createReadStream()) check.update(c as Buffer);
  assert.equal(check.digest('hex'), hash.digest('hex'));
  await sink.dispose();
  assert.deepEqual(readdirSync(dir), []);
});
