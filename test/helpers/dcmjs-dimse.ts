/**
 * dcmjs-dimse (an independent JS implementation) as client and server in tests.
 * Its Server.listen(port) has no address: listen() is wrapped so it binds 127.0.0.1.
 */
import net from 'node:net';
import { freePort } from './ports';
import { onCleanup, type AfterContext } from './tmp';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dimse = require('dcmjs-dimse');

export interface DimseResult { statuses: number[]; error?: string }

/**
 * Sends the given requests on one association (dcmjs-dimse cannot add requests once
 * sending started); resolves with every response object, in arrival order.
 */
export function dimseResponses<R = { getStatus(): number }>(port: number, calling: string, called: string, requests: unknown[], timeoutMs = 30000): Promise<{ rsps: R[]; error?: string }> {
  return new Promise((resolve) => {
    const client = new dimse.Client();
    const rsps: R[] = [];
    let error: string | undefined;
    for (const r of requests) {
      (r as { on(e: string, f: (x: R) => void): void }).on('response', (rsp) => rsps.push(rsp));
      client.addRequest(r);
    }
    const timer = setTimeout(() => { error = 'timeout'; resolve({ rsps, error }); }, timeoutMs);
    client.on('networkError', (e: Error) => { error = `network: ${e.message}`; });
    client.on('associationRejected', (r: unknown) => { error = `rejected: ${JSON.stringify(r)}`; });
    client.on('closed', () => { clearTimeout(timer); resolve({ rsps, error }); });
    client.send('127.0.0.1', port, calling, called, { connectTimeout: 5000, associationTimeout: 10000, pduTimeout: 10000 });
  });
}

/** Like dimseResponses, with only the statuses. */
export async function dimseClient(port: number, calling: string, called: string, requests: unknown[], timeoutMs = 30000): Promise<DimseResult> {
  const r = await dimseResponses(port, calling, called, requests, timeoutMs);
  return { statuses: r.rsps.map((x) => x.getStatus()), error: r.error };
}

export const requests = dimse.requests;
export const responses = dimse.responses;
export const constants = dimse.constants;
export const Dataset = dimse.Dataset;

/**
 * A dcmjs-dimse SCP accepting Verification (and storage if `acceptStorage`) on 127.0.0.1.
 * `storeDelayMs` holds each C-STORE response that long; `peakStores` is the most C-STOREs
 * it had unanswered at once (above 1 only when the peer pipelines: asynchronous operations).
 */
export async function startDimseServer(t?: AfterContext, opts: { acceptStorage?: boolean; storeDelayMs?: number } = {}): Promise<{ port: number; received: unknown[]; peakStores(): number; close(): void }> {
  const { Server, Scp } = dimse;
  const { PresentationContextResult, TransferSyntax, SopClass, Status } = dimse.constants;
  const received: unknown[] = [];
  let active = 0;
  let peak = 0;
  class TestScp extends Scp {
    associationRequested(association: any): void {
      this.association = association;
      for (const c of association.getPresentationContexts()) {
        const ctx = association.getPresentationContext(c.id);
        const abstract = ctx.getAbstractSyntaxUid();
        if (abstract === SopClass.Verification || opts.acceptStorage) {
          const ts = ctx.getTransferSyntaxUids().find((x: string) => x === TransferSyntax.ImplicitVRLittleEndian || x === TransferSyntax.ExplicitVRLittleEndian);
          if (ts) ctx.setResult(PresentationContextResult.Accept, ts);
          else ctx.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
        } else ctx.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
      }
      this.sendAssociationAccept();
    }
    cEchoRequest(request: any, callback: (r: unknown) => void): void {
      const r = dimse.responses.CEchoResponse.fromRequest(request);
      r.setStatus(Status.Success);
      callback(r);
    }
    cStoreRequest(request: any, callback: (r: unknown) => void): void {
      received.push(request.getDataset());
      const r = dimse.responses.CStoreResponse.fromRequest(request);
      r.setStatus(Status.Success);
      peak = Math.max(peak, ++active);
      const answer = (): void => { active--; callback(r); };
      if (opts.storeDelayMs) setTimeout(answer, opts.storeDelayMs);
      else answer();
    }
    associationReleaseRequested(): void { this.sendAssociationReleaseResponse(); }
  }
  const port = await freePort();
  const server = new Server(TestScp);
  server.on('networkError', () => undefined);
  const orig = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const listen = orig as (...a: any[]) => net.Server;
    if (typeof args[0] === 'number') return listen.call(this, args[0], '127.0.0.1', ...args.slice(1));
    return listen.apply(this, args);
  } as typeof orig;
  try { server.listen(port); } finally { net.Server.prototype.listen = orig; }
  const close = (): void => server.close();
  onCleanup(close, { t });
  return { port, received, peakStores: () => peak, close };
}
