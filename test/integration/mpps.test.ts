/**
 * The MPPS relay with real peers: a dcmjs-dimse client sends N-CREATE and two N-SETs to
 * dicom-edge while the RIS (a dcmjs-dimse MPPS SCP, then a second dicom-edge) is down; the
 * messages wait in the persistent queue, retried with back-off, and reach the RIS in order
 * once it is up. Also the SCP's refusals (duplicate, unknown instance, update after COMPLETED).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { get } from '../../src/dicom/identifier';
import { Dataset, dimseClient, requests } from '../helpers/dcmjs-dimse';
import { parseTestConfig, startAgent, testIni, type InProcessAgent } from '../helpers/agent';
import { Agent } from '../../src/agent/agent';
import { createLogger } from '../../src/util/log';
import { freePort } from '../helpers/ports';
import { onCleanup, tmpDir, type AfterContext } from '../helpers/tmp';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dimse = require('dcmjs-dimse');
const MPPS = '1.2.840.10008.3.1.2.3.3';

interface Got { kind: 'create' | 'set'; uid: string; status?: string; elements: Record<string, unknown> }

/** A dcmjs-dimse MPPS SCP on 127.0.0.1 recording N-CREATE / N-SET in arrival order. */
async function startMppsRis(port: number): Promise<{ got: Got[]; close(): void }> {
  const { Server, Scp } = dimse;
  const { PresentationContextResult, TransferSyntax, Status } = dimse.constants;
  const got: Got[] = [];
  class RisScp extends Scp {
    associationRequested(association: any): void {
      this.association = association;
      for (const c of association.getPresentationContexts()) {
        const ctx = association.getPresentationContext(c.id);
        if (ctx.getAbstractSyntaxUid() === MPPS) ctx.setResult(PresentationContextResult.Accept, TransferSyntax.ImplicitVRLittleEndian);
        else ctx.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
      }
      this.sendAssociationAccept();
    }
    nCreateRequest(request: any, callback: (r: unknown) => void): void {
      const e = request.getDataset().getElements();
      got.push({ kind: 'create', uid: request.getAffectedSopInstanceUid(), status: e.PerformedProcedureStepStatus, elements: e });
      const r = dimse.responses.NCreateResponse.fromRequest(request);
      r.setStatus(Status.Success);
      callback(r);
    }
    nSetRequest(request: any, callback: (r: unknown) => void): void {
      const e = request.getDataset().getElements();
      got.push({ kind: 'set', uid: request.getRequestedSopInstanceUid(), status: e.PerformedProcedureStepStatus, elements: e });
      const r = dimse.responses.NSetResponse.fromRequest(request);
      r.setStatus(Status.Success);
      callback(r);
    }
    associationReleaseRequested(): void { this.sendAssociationReleaseResponse(); }
  }
  const server = new Server(RisScp);
  server.on('networkError', () => undefined);
  const orig = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    const listen = orig as (...a: unknown[]) => net.Server;
    return typeof args[0] === 'number' ? listen.call(this, args[0], '127.0.0.1', ...args.slice(1)) : listen.apply(this, args);
  } as typeof orig;
  try { server.listen(port); } finally { net.Server.prototype.listen = orig; }
  const close = (): void => server.close();
  onCleanup(close);
  return { got, close };
}

function create(uid: string): unknown {
  const r = new requests.NCreateRequest(MPPS, uid);
  r.setDataset(new Dataset({
    PerformedProcedureStepStatus: 'IN PROGRESS', PerformedProcedureStepID: 'PPS1', PerformedStationAETitle: 'CT1', Modality: 'CT',
    PerformedProcedureStepStartDate: '20240102', PerformedProcedureStepStartTime: '101500', PatientName: 'DOE^JOHN', PatientID: 'P1',
    ScheduledStepAttributesSequence: [{ AccessionNumber: 'A1', StudyInstanceUID: '1.2.3.4', ScheduledProcedureStepID: 'S1' }],
  }));
  return r;
}

function nset(uid: string, elements: Record<string, unknown>): unknown {
  const r = new requests.NSetRequest(MPPS, uid);
  r.setDataset(new Dataset(elements));
  return r;
}

async function until(what: string, cond: () => boolean, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const edgeIni = (risPort: number, port: number, dir: string, aet = 'EDGE'): string => testIni({
  port, dataDir: dir, aeTitle: aet,
  sections: { Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off'], Server: ['scp = mpps'], Forward: ['retryBase = 100ms', 'retryCap = 400ms'] },
  tail: `[RemoteAE]\nuserName = RIS\naetitle = RIS\nip = 127.0.0.1\nport = ${risPort}\nmpps = yes\n`,
});

/** A second dicom-edge as the RIS, on a port chosen before (startAgent picks its own). */
async function agentOnPort(port: number, dir: string, t: AfterContext): Promise<Agent> {
  const config = parseTestConfig(edgeIni(1, port, dir, 'RIS'));
  const agent = new Agent({ config, log: createLogger({ write: () => undefined }) });
  await agent.start();
  onCleanup(() => agent.stop(500), { t });
  return agent;
}

function jobs(a: InProcessAgent): { state: string; attempts: number }[] {
  return a.agent.forwarder.queue.jobs({ destination: 'RIS' }, ['pending', 'in-flight', 'done', 'dead', 'held'], 100);
}

test('dcmjs-dimse modality → dicom-edge → dcmjs-dimse RIS that is down for a while: delivered in order', async (t) => {
  const risPort = await freePort();
  const edge = await startAgent((port, dir) => edgeIni(risPort, port, dir), t);
  const uid = '1.2.826.0.1.3680043.2.1143.777.1';
  const r = await dimseClient(edge.port, 'MODALITY', 'EDGE', [
    create(uid),
    nset(uid, { PerformedProcedureStepDescription: 'CT HEAD' }),
    nset(uid, { PerformedProcedureStepStatus: 'COMPLETED', PerformedProcedureStepEndDate: '20240102', PerformedProcedureStepEndTime: '103000' }),
  ]);
  assert.deepEqual(r, { statuses: [0, 0, 0], error: undefined });
  assert.equal(get(edge.agent.mpps.attributes(uid)!, 0x00400252), 'COMPLETED');
  // The RIS is down: the job is retried with back-off, never dropped.
  await until('a failed attempt', () => (edge.agent.forwarder.queue.destination('RIS')?.failures ?? 0) >= 2);
  assert.deepEqual(jobs(edge).map((j) => j.state), ['pending']);
  const ris = await startMppsRis(risPort);
  await until('delivery', () => jobs(edge)[0]?.state === 'done');
  assert.deepEqual(ris.got.map((g) => [g.kind, g.uid, g.status]), [['create', uid, 'IN PROGRESS'], ['set', uid, undefined], ['set', uid, 'COMPLETED']]);
  assert.equal(ris.got[0].elements.PerformedProcedureStepID, 'PPS1');
  assert.equal((ris.got[0].elements.ScheduledStepAttributesSequence as Record<string, unknown>[])[0].AccessionNumber, 'A1');
  assert.equal(ris.got[1].elements.PerformedProcedureStepDescription, 'CT HEAD');
  assert.deepEqual(edge.agent.mpps.db.undelivered(uid, 'RIS'), []);
  // A later N-SET? Refused: the step is COMPLETED (PS3.4 F.7.2.2: may no longer be updated).
  const late = await dimseClient(edge.port, 'MODALITY', 'EDGE', [nset(uid, { PerformedProcedureStepDescription: 'late' })]);
  assert.deepEqual(late.statuses, [0x0110]);
});

test('refusals: duplicate N-CREATE 0111, N-SET of an unknown instance 0112, N-CREATE not IN PROGRESS 0106', async (t) => {
  const edge = await startAgent((port, dir) => edgeIni(1, port, dir), t);
  const uid = '1.2.826.0.1.3680043.2.1143.777.2';
  const bad = new requests.NCreateRequest(MPPS, '1.2.826.0.1.3680043.2.1143.777.3');
  bad.setDataset(new Dataset({ PerformedProcedureStepStatus: 'COMPLETED' }));
  const r = await dimseClient(edge.port, 'MODALITY', 'EDGE', [create(uid), create(uid), nset('1.2.3.999', { PerformedProcedureStepStatus: 'COMPLETED' }), bad]);
  assert.deepEqual(r.statuses, [0x0000, 0x0111, 0x0112, 0x0106]);
  assert.ok(edge.logs.some((l) => /MPPS N-CREATE .* status 0x0111/.test(l)));
});

test('dcmjs-dimse modality → dicom-edge → a second dicom-edge as the RIS (started late)', async (t) => {
  const risPort = await freePort();
  const edge = await startAgent((port, dir) => edgeIni(risPort, port, dir), t);
  const uid = '1.2.826.0.1.3680043.2.1143.777.4';
  const r = await dimseClient(edge.port, 'MODALITY', 'EDGE', [create(uid), nset(uid, { PerformedProcedureStepStatus: 'DISCONTINUED' })]);
  assert.deepEqual(r.statuses, [0, 0]);
  await until('a failed attempt', () => (edge.agent.forwarder.queue.destination('RIS')?.failures ?? 0) >= 1);
  const ris = await agentOnPort(risPort, await tmpDir('mpps-ris-'), t);
  await until('delivery', () => jobs(edge)[0]?.state === 'done');
  const got = ris.mpps.attributes(uid)!;
  assert.equal(get(got, 0x00400252), 'DISCONTINUED');
  assert.equal(get(got, 0x00400253), 'PPS1');
  assert.deepEqual(ris.mpps.db.messages(uid).map((m) => m.kind), ['create', 'set']);
});
