#!/usr/bin/env node
// Store-and-forward to a far PACS (issue 4: "the PACS may be down, slow or far away"): a
// study of small images goes from DCMTK storescu to a PACS behind a link with a round trip
// of --rtt ms (a delaying TCP proxy in this process: each chunk is held rtt/2 ms in each
// direction), (a) storescu straight to the PACS through the link, (b) storescu → dicom-edge
// (next to the modality) → the PACS through the link with [RemoteAE] asyncOps = 1
// (synchronous, the default) and (c) with asyncOps = --window. The PACS is dcmjs-dimse's SCP
// (an independent implementation that grants an asynchronous operations window; Orthanc and
// DCMTK grant none, so with them (c) behaves like (b)). Timed from storescu's start until the
// PACS has every instance. Prints the times and the ratios to (a), then one JSON line.
//
//   node scripts/bench/forward-far.mjs [--count 200] [--rtt 20] [--window 16] [--reps 3] [--cli FILE]
//
// Not a timed test: a measurement of what asynchronous operations buy on a long link.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { writeStudy } from './lib/dicom-gen.mjs';
import { agentNodeOptions, edgeIni, freePort, startListener, timeStorescu, waitForSpareFiles, waitForWarmUp } from './lib/procs.mjs';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: opt } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    rtt: { type: 'string', default: '20' },
    window: { type: 'string', default: '16' },
    reps: { type: 'string', default: '3' },
    cli: { type: 'string', default: path.join(repo, 'dist', 'dicom-edge.js') },
  },
});
const count = Number(opt.count);
const rtt = Number(opt.rtt);
const window = Number(opt.window);
const reps = Number(opt.reps);
const cli = path.resolve(opt.cli);
const limitMs = 600_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-far-bench-'));
const live = new Set();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** dcmjs-dimse SCP on 127.0.0.1: accepts storage, counts received instances. */
function startPacs(port) {
  const dimse = require('dcmjs-dimse');
  dimse.log.setLevel('error'); // its per-association info lines would drown the figures
  const { Server, Scp } = dimse;
  const { PresentationContextResult, TransferSyntax, Status } = dimse.constants;
  const state = { received: 0 };
  class Pacs extends Scp {
    associationRequested(association) {
      this.association = association;
      for (const c of association.getPresentationContexts()) {
        const ctx = association.getPresentationContext(c.id);
        const ts = ctx.getTransferSyntaxUids().find((x) => x === TransferSyntax.ExplicitVRLittleEndian || x === TransferSyntax.ImplicitVRLittleEndian);
        if (ts) ctx.setResult(PresentationContextResult.Accept, ts);
        else ctx.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      this.sendAssociationAccept();
    }
    cStoreRequest(request, callback) {
      state.received++;
      const r = dimse.responses.CStoreResponse.fromRequest(request);
      r.setStatus(Status.Success);
      callback(r);
    }
    cEchoRequest(request, callback) {
      const r = dimse.responses.CEchoResponse.fromRequest(request);
      r.setStatus(Status.Success);
      callback(r);
    }
    associationReleaseRequested() { this.sendAssociationReleaseResponse(); }
  }
  const server = new Server(Pacs);
  server.on('networkError', () => undefined);
  const orig = net.Server.prototype.listen;
  net.Server.prototype.listen = function (...args) { return typeof args[0] === 'number' ? orig.call(this, args[0], '127.0.0.1', ...args.slice(1)) : orig.apply(this, args); };
  try { server.listen(port); } finally { net.Server.prototype.listen = orig; }
  return { state, close: () => server.close() };
}

/** A TCP proxy on 127.0.0.1 that holds every chunk `oneWayMs` before passing it on (order kept). */
function startDelayProxy(listenPort, targetPort, oneWayMs) {
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) { s.setNoDelay(true); s.on('error', () => { client.destroy(); upstream.destroy(); }); }
    const relay = (from, to) => {
      from.on('data', (d) => setTimeout(() => { if (!to.destroyed) to.write(d); }, oneWayMs));
      from.on('end', () => setTimeout(() => to.end(), oneWayMs));
    };
    relay(client, upstream);
    relay(upstream, client);
  });
  server.listen(listenPort, '127.0.0.1');
  return { close: () => server.close() };
}

async function untilReceived(state, n, t0) {
  while (state.received < n) {
    if (performance.now() - t0 > limitMs) throw new Error(`PACS has ${state.received}/${n} after ${limitMs} ms`);
    await sleep(5);
  }
  return performance.now() - t0;
}

async function viaEdge(pacs, proxyPort, input, asyncOps, r) {
  const dataDir = path.join(tmp, `edge-${asyncOps}-${r}`);
  fs.mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const ini = `${edgeIni({ port, dataDir, aeTitle: 'EDGE' })}\n[Forward]\nidleRelease = 5s\n[RemoteAE]\nuserName = PACS\naetitle = PACS\nip = 127.0.0.1\nport = ${proxyPort}\nasyncOps = ${asyncOps}\n\n[Route]\nto = PACS\n`;
  fs.writeFileSync(path.join(dataDir, 'edge.ini'), ini);
  const edge = await startListener('dicom-edge', process.execPath, [cli, 'run', '--config', path.join(dataDir, 'edge.ini')], { port, env: { NODE_OPTIONS: agentNodeOptions(repo) } }); // AGENT_NODE_OPTIONS_NOTE
  live.add(edge);
  await waitForWarmUp(edge); // BENCH_WARM_UP_NOTE (lib/procs.mjs)
  await waitForSpareFiles(dataDir);
  pacs.state.received = 0;
  const t0 = performance.now();
  const [sentMs, completeMs] = await Promise.all([timeStorescu({ port, calledAe: 'EDGE', input, env: {}, limitMs }), untilReceived(pacs.state, count, t0)]);
  await edge.stop();
  live.delete(edge);
  return { sentMs, completeMs };
}

async function main() {
  if (!fs.existsSync(cli)) {
    const b = spawnSync(process.execPath, [path.join(repo, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: repo });
    if (b.status !== 0) throw new Error('build failed');
  }
  const input = path.join(tmp, 'study');
  await writeStudy(input, { count, rows: 64, cols: 64 });
  const pacsPort = await freePort();
  const proxyPort = await freePort();
  const pacs = startPacs(pacsPort);
  const proxy = startDelayProxy(proxyPort, pacsPort, rtt / 2);
  console.log(`${count} × 64×64 images; link round trip ${rtt} ms (delaying proxy); PACS: dcmjs-dimse SCP; window ${window}`);
  const runs = { direct: [], sync: [], async: [] };
  for (let r = 0; r < reps; r++) {
    pacs.state.received = 0;
    const t0 = performance.now();
    const [, direct] = await Promise.all([timeStorescu({ port: proxyPort, calledAe: 'PACS', input, env: {}, limitMs }), untilReceived(pacs.state, count, t0)]);
    runs.direct.push(direct);
    const s = await viaEdge(pacs, proxyPort, input, 1, r);
    runs.sync.push(s.completeMs);
    const a = await viaEdge(pacs, proxyPort, input, window, r);
    runs.async.push(a.completeMs);
    console.log(`rep ${r + 1}: direct ${direct.toFixed(0)} ms; via dicom-edge asyncOps=1 ${s.completeMs.toFixed(0)} ms (storescu done after ${s.sentMs.toFixed(0)} ms); asyncOps=${window} ${a.completeMs.toFixed(0)} ms (storescu done after ${a.sentMs.toFixed(0)} ms)`);
  }
  proxy.close();
  pacs.close();
  const m = { direct: median(runs.direct), sync: median(runs.sync), async: median(runs.async) };
  console.log(`median: storescu → far PACS ${m.direct.toFixed(0)} ms; via dicom-edge, synchronous ${m.sync.toFixed(0)} ms (${(m.sync / m.direct).toFixed(2)}×); asyncOps=${window} ${m.async.toFixed(0)} ms (${(m.async / m.direct).toFixed(2)}×)`);
  console.log(JSON.stringify({ bench: 'forward-far', count, rttMs: rtt, window, reps, directMs: runs.direct.map(Math.round), syncMs: runs.sync.map(Math.round), asyncMs: runs.async.map(Math.round), medians: { direct: Math.round(m.direct), sync: Math.round(m.sync), async: Math.round(m.async) } }));
}

main().then(async () => {
  for (const l of live) await l.stop().catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(0);
}, async (e) => {
  console.error(e);
  for (const l of live) await l.stop().catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(2);
});
