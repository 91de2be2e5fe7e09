#!/usr/bin/env node
// Store-and-forward benchmark (issue 4): the time from the first C-STORE sent by DCMTK
// storescu until a 300-image 512×512 16-bit CT study is complete in Orthanc, (a) storescu
// straight to Orthanc and (b) storescu → dicom-edge → Orthanc, alternately in the same run,
// N times each. Prints the median times and the ratio edge/direct (target ≤ 1.3): the median
// of the per-rep ratios, each rep running both back to back (the machine's speed drifts
// between reps; the ratio of the medians is printed too), then one JSON line. "Complete" = Orthanc's GET /statistics CountInstances reaches the count (polled).
//
//   node scripts/bench/forward.mjs [--reps 3] [--count 300] [--rows 512] [--keep] [--timeline] [--cli FILE]
//
// Each rep also measures a DCMTK RELAY REFERENCE (RELAY_REFERENCE_NOTE): storescu → Orthanc
// again while a second storescu sends a copy of the study (other UIDs) to DCMTK storescp,
// both started together, storescp made durable by the fsyncclose shim (lib/fsyncclose.c).
// Printed as reference/direct and edge/reference.
//
// Each via-edge rep also prints Orthanc's storing rate while storescu was sending and after
// (PHASES_NOTE); --timeline prints every polled count (ms since start: instances in Orthanc).
//
// Experiments: EDGE_BENCH_NETWORK="socketSndBuf = 4194304" adds lines to the agent's [Network].
// Orthanc gets one untimed study first (ORTHANC_WARMUP_NOTE). After each timed via-edge run a
// second study goes through the same agent once idle: the steady state (STEADY_NOTE; the
// ratio judged is the first study's). dicom-edge is timed once idle with its spare files ready (<data>/spare full), not in
// its first second after start. Every listener binds 127.0.0.1 (bindlo shim for Orthanc); TCP_NODELAY=1 for DCMTK and
// Orthanc. Needs dist/dicom-edge.js (built here if missing), DCMTK, Orthanc and gcc.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { writeStudy } from './lib/dicom-gen.mjs';
import { agentNodeOptions, buildBindlo, buildFsyncClose, edgeIni, freePort, freshPageCache, procCpuMs, startListener, timeStorescu, waitForSpareFiles, waitForWarmUp } from './lib/procs.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: opt } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    count: { type: 'string', default: '300' },
    rows: { type: 'string', default: '512' },
    limit: { type: 'string', default: '300' },
    keep: { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false },
    cli: { type: 'string', default: path.join(repo, 'dist', 'dicom-edge.js') },
  },
});
const reps = Number(opt.reps);
const count = Number(opt.count);
const rows = Number(opt.rows);
const limitMs = Number(opt.limit) * 1000;
const cli = path.resolve(opt.cli);
const TARGET = 1.3;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-fwd-bench-'));
const live = new Set();
async function cleanup() {
  for (const l of live) await l.stop().catch(() => undefined);
  live.clear();
  if (!opt.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else console.error(`kept ${tmp}`);
}
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => cleanup().finally(() => process.exit(130)));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function rest(httpPort, urlPath, init = {}) {
  const res = await fetch(`http://127.0.0.1:${httpPort}${urlPath}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`Orthanc ${init.method ?? 'GET'} ${urlPath}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function startOrthanc(env) {
  const dir = path.join(tmp, 'orthanc');
  fs.mkdirSync(dir, { recursive: true });
  const dicomPort = await freePort();
  const httpPort = await freePort();
  const cfg = {
    Name: 'bench', StorageDirectory: path.join(dir, 'storage'), IndexDirectory: path.join(dir, 'index'),
    HttpServerEnabled: true, HttpPort: httpPort, DicomServerEnabled: true, DicomPort: dicomPort, DicomAet: 'ORTHANC',
    RemoteAccessAllowed: false, AuthenticationEnabled: false, DicomCheckCalledAet: false, DicomAlwaysAllowStore: true,
    DicomModalities: {}, Plugins: [],
  };
  fs.writeFileSync(path.join(dir, 'orthanc.json'), JSON.stringify(cfg, null, 2));
  const l = await startListener('Orthanc', 'Orthanc', [path.join(dir, 'orthanc.json')], { port: dicomPort, env });
  live.add(l);
  for (let i = 0; ; i++) {
    try { await rest(httpPort, '/system'); break; } catch (e) { if (i > 200) throw e; await sleep(50); }
  }
  return { ...l, dicomPort, httpPort, dir };
}

/** Resolves with ms since `t0` once Orthanc holds `n` instances. */
async function untilComplete(orthanc, n, t0, timeline) {
  for (;;) {
    const s = await rest(orthanc.httpPort, '/statistics');
    timeline?.push([Math.round(performance.now() - t0), s.CountInstances]);
    if (s.CountInstances >= n) return performance.now() - t0;
    if (performance.now() - t0 > limitMs) throw new Error(`Orthanc has ${s.CountInstances}/${n} after ${limitMs} ms`);
    await sleep(25);
  }
}

async function emptyOrthanc(orthanc) {
  for (const id of await rest(orthanc.httpPort, '/studies')) await rest(orthanc.httpPort, `/studies/${id}`, { method: 'DELETE' });
  const s = await rest(orthanc.httpPort, '/statistics');
  if (s.CountInstances !== 0) throw new Error(`Orthanc still holds ${s.CountInstances} instances`);
}

/** storescu → `port` (AE `calledAe`), timed from its start until Orthanc has the study. */
async function oneRun(orthanc, port, calledAe, input, env, edge) {
  const cpu0 = { orthanc: procCpuMs(orthanc.proc.pid), edge: edge ? procCpuMs(edge.proc.pid) : 0 };
  const t0 = performance.now();
  let edgeCpuAtSendEnd = 0;
  const send = timeStorescu({ port, calledAe, input, env, limitMs }).then((r) => {
    if (edge) edgeCpuAtSendEnd = procCpuMs(edge.proc.pid) - cpu0.edge;
    return r;
  });
  const timeline = [];
  const [sent, complete] = await Promise.all([send, untilComplete(orthanc, count, t0, timeline)]);
  if (opt.timeline) console.log(`  timeline (ms: instances in Orthanc): ${timeline.map(([t, c]) => `${t}:${c}`).join(' ')}`);
  const cpu = { orthanc: procCpuMs(orthanc.proc.pid) - cpu0.orthanc, edge: edge ? procCpuMs(edge.proc.pid) - cpu0.edge : 0 };
  const sendMs = sent.ms ?? sent;
  return { sendMs, completeMs: complete, sent, cpu, phases: { ...phases(timeline, sendMs, complete), edgeCpuDuring: edgeCpuAtSendEnd, edgeCpuAfter: cpu.edge - edgeCpuAtSendEnd } };
}

/**
 * PHASES_NOTE: Orthanc's storing rate while storescu was still sending (to dicom-edge,
 * which receives, fsyncs and indexes at the same time) and after it finished (dicom-edge
 * only forwarding), from the polled counts. It shows where the via-edge time goes.
 */
function phases(timeline, sendMs, completeMs) {
  let during = 0;
  for (const [t, c] of timeline) if (t <= sendMs) during = c;
  const after = count - during;
  const rate = (n, ms) => (ms > 0 ? (n / ms) * 1000 : NaN);
  return { during, after, duringPerS: rate(during, sendMs), afterPerS: rate(after, completeMs - sendMs) };
}

const phaseText = (p) => `Orthanc stored ${p.during} while storescu sent (${p.duringPerS.toFixed(0)}/s; dicom-edge CPU ${p.edgeCpuDuring} ms), ${p.after} after (${Number.isFinite(p.afterPerS) ? p.afterPerS.toFixed(0) : '-'}/s; dicom-edge CPU ${p.edgeCpuAfter} ms)`;

/**
 * RELAY_REFERENCE_NOTE: the relay's work done by DCMTK's native tools, as a yardstick for
 * what store-and-forward costs on this machine in any language. A relay must take the study
 * in (at least storescp's work, and an fsync per file before answering) while it sends the
 * study on (at least storescu's work), and Orthanc stores it meanwhile, all on the same cores
 * and disk. The reference runs exactly that: storescu → Orthanc starts at once with the study
 * already on disk (a relay can only send an image once it has it), the receiving side is
 * storescp + fsync (no rename, no index, no queue). Orthanc's completion time in this run,
 * over the same rep's direct time, is the reference ratio. Not a strict lower bound: its
 * receiving side is done sooner than a relay's, so it competes harder while it lasts.
 */
async function relayReference(orthanc, input, input2, outDir, env, fsyncClose) {
  const port = await freePort();
  fs.mkdirSync(outDir, { recursive: true });
  const scp = await startListener('storescp', 'storescp', ['-aet', 'RELAY', '-od', outDir, String(port)], { port, env: { ...env, LD_PRELOAD: `${env.LD_PRELOAD}:${fsyncClose}` } });
  live.add(scp);
  try {
    freshPageCache([input, input2], undefined, [orthanc.dir]); // PAGE_CACHE_NOTE (lib/procs.mjs)
    const received = timeStorescu({ port, calledAe: 'RELAY', input: input2, env, limitMs });
    const [run, receivedMs] = await Promise.all([oneRun(orthanc, orthanc.dicomPort, 'ORTHANC', input, env), received]);
    const files = fs.readdirSync(outDir).length;
    if (files !== count) throw new Error(`relay reference: storescp stored ${files} files, expected ${count}`);
    return { completeMs: run.completeMs, receivedMs, orthancCpu: run.cpu.orthanc };
  } finally {
    await scp.stop();
    live.delete(scp);
  }
}

async function main() {
  if (!fs.existsSync(cli)) {
    const b = spawnSync(process.execPath, [path.join(repo, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: repo });
    if (b.status !== 0) throw new Error('build failed');
  }
  const bindlo = buildBindlo(repo, tmp);
  const env = { TCP_NODELAY: '1' };
  const listenerEnv = { ...env, LD_PRELOAD: bindlo };
  const input = path.join(tmp, 'study');
  const study = await writeStudy(input, { count, rows, cols: rows });
  console.log(`study: ${count} × ${rows}×${rows}×16 CT, ${(study.bytes / 2 ** 20).toFixed(1)} MiB`);
  const input2 = path.join(tmp, 'study-relay');
  await writeStudy(input2, { count, rows, cols: rows }); // same shape, other UIDs
  const fsyncClose = buildFsyncClose(repo, tmp);
  const orthanc = await startOrthanc(listenerEnv);
  // ORTHANC_WARMUP_NOTE: one untimed study first. Orthanc's first study after its start was
  // slower than the later ones (direct 1.2–1.8 s against ~1.0 s in the first reps of four of
  // six runs), which made rep 1's ratio look better than it is; a PACS runs for months.
  await emptyOrthanc(orthanc);
  await oneRun(orthanc, orthanc.dicomPort, 'ORTHANC', input, env);
  const direct = [];
  const reference = [];
  const steady = [];
  const viaEdge = [];
  const phaseRuns = [];
  for (let r = 0; r < reps; r++) {
    await emptyOrthanc(orthanc);
    freshPageCache([input], undefined, [orthanc.dir]); // PAGE_CACHE_NOTE, RECEIVER_CACHE_NOTE (lib/procs.mjs)
    const d = await oneRun(orthanc, orthanc.dicomPort, 'ORTHANC', input, env);
    direct.push(d.completeMs);
    console.log(`rep ${r + 1} direct:   complete in Orthanc after ${d.completeMs.toFixed(0)} ms (CPU: Orthanc ${d.cpu.orthanc} ms)`);

    await emptyOrthanc(orthanc);
    const f = await relayReference(orthanc, input, input2, path.join(tmp, `relay-${r}`), listenerEnv, fsyncClose);
    reference.push(f.completeMs);
    console.log(`rep ${r + 1} DCMTK relay: complete in Orthanc after ${f.completeMs.toFixed(0)} ms while storescu → storescp+fsync took ${f.receivedMs.toFixed(0)} ms (CPU: Orthanc ${f.orthancCpu} ms)`);

    await emptyOrthanc(orthanc);
    const dataDir = path.join(tmp, `edge-${r}`);
    fs.mkdirSync(dataDir, { recursive: true });
    const port = await freePort();
    const ini = `${edgeIni({ port, dataDir, aeTitle: 'EDGE' }).replace('[Network]', `[Network]\n${process.env.EDGE_BENCH_NETWORK ?? ''}`)}\n[RemoteAE]\nuserName = PACS\naetitle = ORTHANC\nip = 127.0.0.1\nport = ${orthanc.dicomPort}\n\n[Route]\nto = PACS\n`;
    fs.writeFileSync(path.join(dataDir, 'edge.ini'), ini);
    const edge = await startListener('dicom-edge', process.execPath, [...(process.env.EDGE_PROF ? ["--cpu-prof", "--cpu-prof-dir", process.env.EDGE_PROF] : []), cli, 'run', '--config', path.join(dataDir, 'edge.ini')], { port, env: { ...env, NODE_OPTIONS: agentNodeOptions(repo) } }); // AGENT_NODE_OPTIONS_NOTE
    live.add(edge);
    const warmLine = await waitForWarmUp(edge); // BENCH_WARM_UP_NOTE (lib/procs.mjs)
    if (warmLine) console.log(`  agent ${warmLine.replace(/^.*\] /, '')}`);
    await waitForSpareFiles(dataDir); // idle with its spare files ready, as a box that has been running
    freshPageCache([input], undefined, [dataDir, orthanc.dir]); // PAGE_CACHE_NOTE, RECEIVER_CACHE_NOTE (lib/procs.mjs)
    const e = await oneRun(orthanc, port, 'EDGE', input, env, edge);
    viaEdge.push(e.completeMs);
    phaseRuns.push({ during: e.phases.during, duringPerS: Math.round(e.phases.duringPerS), afterPerS: Math.round(e.phases.afterPerS), directPerS: Math.round((count / d.completeMs) * 1000), edgeCpuDuringMs: e.phases.edgeCpuDuring, edgeCpuAfterMs: e.phases.edgeCpuAfter });
    console.log(`rep ${r + 1} via edge: complete in Orthanc after ${e.completeMs.toFixed(0)} ms (storescu → dicom-edge took ${e.sendMs.toFixed(0)} ms; CPU: Orthanc ${e.cpu.orthanc} ms, dicom-edge ${e.cpu.edge} ms)`);
    console.log(`  ${phaseText(e.phases)}; direct: ${(count / d.completeMs * 1000).toFixed(0)}/s`);
    // STEADY_NOTE: a second study (other UIDs) through the same agent once idle again: the
    // first one after start also pays V8's optimising compiler; a box runs for months.
    await emptyOrthanc(orthanc);
    await waitForSpareFiles(dataDir);
    freshPageCache([input2], undefined, [dataDir, orthanc.dir], /[/\\]instances[/\\]/); // not the first study's images (rewarmReceiver)
    const e2 = await oneRun(orthanc, port, 'EDGE', input2, env, edge);
    steady.push(e2.completeMs);
    console.log(`rep ${r + 1} via edge, steady state: complete in Orthanc after ${e2.completeMs.toFixed(0)} ms (storescu → dicom-edge took ${e2.sendMs.toFixed(0)} ms; CPU: dicom-edge ${e2.cpu.edge} ms)`);
    await edge.stop();
    live.delete(edge);
    // The data folder stays until the end (deleting many files slows the next creations; see ingest.mjs).
  }
  const md = median(direct);
  const me = median(viaEdge);
  const repRatios = viaEdge.map((e, k) => e / direct[k]);
  const ratio = median(repRatios);
  const refRatios = reference.map((f, k) => f / direct[k]);
  const overRef = viaEdge.map((e, k) => e / reference[k]);
  const steadyRatios = steady.map((e, k) => e / direct[k]);
  console.log(`median: direct ${md.toFixed(0)} ms, via dicom-edge ${me.toFixed(0)} ms; ratio ${ratio.toFixed(2)}× (median of the reps' ratios ${repRatios.map((x) => x.toFixed(2)).join(', ')}; ratio of the medians ${(me / md).toFixed(2)}×) (target ≤ ${TARGET}×) ${ratio <= TARGET ? 'OK' : 'ABOVE TARGET'}`);
  console.log(`steady state (STEADY_NOTE): ${median(steadyRatios).toFixed(2)}× direct (reps ${steadyRatios.map((x) => x.toFixed(2)).join(', ')})`);
  console.log(`DCMTK relay reference (RELAY_REFERENCE_NOTE): ${median(refRatios).toFixed(2)}× direct (reps ${refRatios.map((x) => x.toFixed(2)).join(', ')}); dicom-edge over it ${median(overRef).toFixed(2)}× (reps ${overRef.map((x) => x.toFixed(2)).join(', ')})`);
  console.log(JSON.stringify({ bench: 'forward', count, rows, reps, directMs: direct.map(Math.round), edgeMs: viaEdge.map(Math.round), referenceMs: reference.map(Math.round), referenceRatio: Number(median(refRatios).toFixed(3)), referenceRepRatios: refRatios.map((x) => Number(x.toFixed(3))), edgeOverReference: Number(median(overRef).toFixed(3)), steadyMs: steady.map(Math.round), steadyRatio: Number(median(steadyRatios).toFixed(3)), medianDirectMs: Math.round(md), medianEdgeMs: Math.round(me), ratio: Number(ratio.toFixed(3)), repRatios: repRatios.map((x) => Number(x.toFixed(3))), ratioOfMedians: Number((me / md).toFixed(3)), target: TARGET, phases: phaseRuns }));
  return ratio <= TARGET ? 0 : 1;
}

main().then(async (code) => { await cleanup(); process.exit(code); }, async (e) => { console.error(e); await cleanup(); process.exit(2); });
