/**
 * One large object (default 300 MiB of pixel data; EDGE_BIG_MIB=1024 for the issue's
 * 1 GB) sent by DCMTK storescu to dicom-edge running as its own process. The instance
 * must be stored byte-exact and indexed, nothing may be left in <store>/tmp, and the
 * agent's peak RSS (VmHWM) must stay under 150 MiB: the data set streams to disk with
 * backpressure (socket paused while the temp file's Writable is full) instead of
 * piling up in memory.
 *
 * With the page cache the disk is as fast as loopback, so a second run slows the
 * agent's file writes to ~100 MB/s with an LD_PRELOAD shim (built here): then a
 * receiver without backpressure would buffer most of the object and break the bound.
 * The shim counts the bytes it slowed down, so the test checks it really took effect
 * (no timing is asserted).
 */
import { test, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { spawnAgent, testIni } from '../helpers/agent';
import { runDcmtk } from '../helpers/peers';
import { tmpDir } from '../helpers/tmp';
import { encodeDicomFile, newUid } from '../helpers/dicom-files';
import { readPart10Meta } from '../../src/dicom/part10-reader';
import { partialFiles } from '../helpers/store-files';

const MiB = 1024 * 1024;
const BIG_MIB = Number(process.env.EDGE_BIG_MIB ?? 300);
const RSS_BOUND = 150 * MiB;
/** Throttled disk rate (bytes per second) of the second run. */
const SLOW_DISK_BPS = 100_000_000;

/**
 * A single-frame 16-bit CT of `mib` MiB of pixel data (16384 rows × 32·mib columns),
 * written in 4 MiB chunks: the header comes from the shared test encoder (with a 1×1
 * image whose 2-byte Pixel Data element is cut off), then a (7FE0,0010) OW header with
 * the real length (PS3.5 7.1.2) and the pixel bytes.
 */
async function writeBigObject(file: string, mib: number): Promise<{ sopInstanceUid: string }> {
  const rows = 16384;
  const cols = 32 * mib;
  if (!Number.isInteger(mib) || mib < 1 || cols > 0xffff) throw new Error(`EDGE_BIG_MIB must be 1..2047, got ${mib}`);
  const sopInstanceUid = newUid();
  const small = encodeDicomFile({ sopInstanceUid, rows: 1, cols: 1, extra: { Rows: String(rows), Columns: String(cols) } });
  const tail = small.subarray(small.length - 14);
  assert.ok(tail.subarray(0, 8).equals(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0])), 'encoder ends with Pixel Data OW');
  const pixelBytes = rows * cols * 2;
  const pixelHead = Buffer.from(tail.subarray(0, 12));
  pixelHead.writeUInt32LE(pixelBytes, 8);
  const chunk = Buffer.alloc(4 * MiB);
  for (let i = 0; i < chunk.length / 2; i++) chunk.writeUInt16LE((i * 7) & 0x0fff, i * 2);
  const fh = await fsp.open(file, 'w');
  try {
    await fh.write(Buffer.concat([small.subarray(0, small.length - 14), pixelHead]));
    for (let done = 0; done < pixelBytes; done += chunk.length) await fh.write(chunk, 0, Math.min(chunk.length, pixelBytes - done));
  } finally {
    await fh.close();
  }
  return { sopInstanceUid };
}

/** SHA-256 of a file from `offset` to the end, streamed. */
async function hashFrom(file: string, offset: number): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const c of fs.createReadStream(file, { start: offset, highWaterMark: 4 * MiB })) h.update(c as Buffer);
  return h.digest('hex');
}

function headBytes(file: string, n: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(n);
    return b.subarray(0, fs.readSync(fd, b, 0, n, 0));
  } finally {
    fs.closeSync(fd);
  }
}

function vmKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} for pid ${pid}`);
  return Number(m[1]);
}

/*
 * Slow-disk shim: write/writev/pwrite/pwritev on regular files sleep bytes/rate seconds
 * first, and the running total of slowed bytes is kept in SLOWDISK_REPORT (rewritten in
 * place, so it is there even if the process is killed). Sockets and pipes are untouched.
 */
const SLOWDISK_C = String.raw`
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long total = 0;
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t); /* unthrottled, for the report */

static void slow(int fd, size_t n) {
  struct stat st;
  if (n == 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
  const char *r = getenv("SLOWDISK_BPS");
  double rate = r ? atof(r) : 1e8;
  double s = (double)n / rate;
  struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };
  nanosleep(&ts, NULL);
  const char *rep = getenv("SLOWDISK_REPORT");
  pthread_mutex_lock(&mu);
  total += n;
  if (rep) {
    if (!real_pwrite) real_pwrite = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    int o = open(rep, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (o >= 0) { char b[24]; int k = snprintf(b, sizeof b, "%20llu\n", total); real_pwrite(o, b, k, 0); close(o); }
  }
  pthread_mutex_unlock(&mu);
}

static size_t iolen(const struct iovec *iov, int cnt) {
  size_t n = 0;
  for (int i = 0; i < cnt; i++) n += iov[i].iov_len;
  return n;
}

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);

ssize_t write(int fd, const void *b, size_t n) {
  static write_fn f;
  if (!f) f = (write_fn)dlsym(RTLD_NEXT, "write");
  slow(fd, n);
  return f(fd, b, n);
}
ssize_t writev(int fd, const struct iovec *v, int c) {
  static writev_fn f;
  if (!f) f = (writev_fn)dlsym(RTLD_NEXT, "writev");
  slow(fd, iolen(v, c));
  return f(fd, v, c);
}
ssize_t pwrite(int fd, const void *b, size_t n, off_t o) {
  static pwrite_fn f;
  if (!f) f = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
  slow(fd, n);
  return f(fd, b, n, o);
}
ssize_t pwrite64(int fd, const void *b, size_t n, off_t o) {
  static pwrite_fn f;
  if (!f) f = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite64");
  slow(fd, n);
  return f(fd, b, n, o);
}
ssize_t pwritev(int fd, const struct iovec *v, int c, off_t o) {
  static pwritev_fn f;
  if (!f) f = (pwritev_fn)dlsym(RTLD_NEXT, "pwritev");
  slow(fd, iolen(v, c));
  return f(fd, v, c, o);
}
ssize_t pwritev64(int fd, const struct iovec *v, int c, off_t o) {
  static pwritev_fn f;
  if (!f) f = (pwritev_fn)dlsym(RTLD_NEXT, "pwritev64");
  slow(fd, iolen(v, c));
  return f(fd, v, c, o);
}
`;

function buildSlowDisk(dir: string): string {
  const src = path.join(dir, 'slowdisk.c');
  const so = path.join(dir, 'slowdisk.so');
  fs.writeFileSync(src, SLOWDISK_C);
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', so, src, '-ldl', '-lpthread'], { stdio: 'pipe' });
  return so;
}

let srcDir = '';
let bigFile = '';
let sentUid = '';
let sent: { datasetOffset: number; hash: string; size: number };

before(async () => {
  srcDir = await tmpDir('big-src-');
  bigFile = path.join(srcDir, 'BIG.dcm');
  sentUid = (await writeBigObject(bigFile, BIG_MIB)).sopInstanceUid;
  const datasetOffset = readPart10Meta(headBytes(bigFile, 4096)).datasetOffset;
  sent = { datasetOffset, hash: await hashFrom(bigFile, datasetOffset), size: fs.statSync(bigFile).size };
});

interface Row { sop_uid: string; size: number; data_set_offset: number; path: string; rows: number; columns: number }

async function sendAndCheck(t: TestContext, env: Record<string, string>): Promise<{ hwmKiB: number }> {
  const agent = await spawnAgent((port, dataDir) => testIni({ port, dataDir, sections: { Server: ['scp = storage', 'accept = STORESCU, 127.0.0.1'] } }), t, env);
  const idleKiB = vmKiB(agent.proc.pid!, 'VmRSS');
  const r = await runDcmtk('storescu', ['-aet', 'STORESCU', '-aec', 'EDGE', '127.0.0.1', String(agent.port), bigFile], { timeoutMs: 110_000 });
  assert.equal(r.timedOut, false, 'storescu did not finish in time');
  assert.equal(r.code, 0, `storescu failed:\n${r.stderr}\n${agent.output()}`);
  const hwmKiB = vmKiB(agent.proc.pid!, 'VmHWM');
  t.diagnostic(`${BIG_MIB} MiB object: agent RSS idle ${(idleKiB / 1024).toFixed(1)} MiB, peak ${(hwmKiB / 1024).toFixed(1)} MiB`);
  assert.equal(await agent.stop(), 0, agent.output());

  const db = new Database(path.join(agent.dataDir, 'index.sqlite'), { readonly: true, fileMustExist: true });
  const rows = db.prepare('SELECT sop_uid, size, data_set_offset, path, rows, columns FROM instances').all() as Row[];
  db.close();
  assert.equal(rows.length, 1, 'exactly one instance indexed');
  const row = rows[0];
  assert.equal(row.sop_uid, sentUid);
  assert.deepEqual([row.rows, row.columns], [16384, 32 * BIG_MIB]);
  const stored = path.join(agent.dataDir, row.path);
  assert.equal(fs.statSync(stored).size, row.size, 'indexed size is the file size');
  assert.equal(row.size - row.data_set_offset, sent.size - sent.datasetOffset, 'data set length as sent');
  assert.equal(await hashFrom(stored, row.data_set_offset), sent.hash, 'data set bytes as sent');
  assert.deepEqual(partialFiles(agent.dataDir), [], 'no temp file left');

  assert.ok(hwmKiB * 1024 < RSS_BOUND, `peak RSS ${(hwmKiB / 1024).toFixed(1)} MiB ≥ 150 MiB while receiving ${BIG_MIB} MiB`);
  return { hwmKiB };
}

test(`storescu → dicom-edge: one ${BIG_MIB} MiB object stored byte-exact with peak RSS < 150 MiB`, async (t) => {
  await sendAndCheck(t, {});
});

test(`same with the agent's disk slowed to ${SLOW_DISK_BPS / 1e6} MB/s: backpressure keeps RSS < 150 MiB`, async (t) => {
  const dir = await tmpDir('slowdisk-', t);
  const report = path.join(dir, 'slowed-bytes');
  const env = { LD_PRELOAD: buildSlowDisk(dir), SLOWDISK_BPS: String(SLOW_DISK_BPS), SLOWDISK_REPORT: report, UV_USE_IO_URING: '0' };
  await sendAndCheck(t, env);
  const slowed = Number(fs.readFileSync(report, 'utf8').trim());
  assert.ok(slowed >= BIG_MIB * MiB, `the shim slowed only ${slowed} bytes of file writes: the throttle did not apply`);
});
