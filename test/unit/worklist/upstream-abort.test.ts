/**
 * A RIS that accepts the association and then never answers (not even the C-CANCEL): the
 * modality is answered from the cache at the upstream timeout, and the association to the
 * RIS is aborted UPSTREAM_CANCEL_GRACE_MS after the C-CANCEL instead of lingering until
 * readTimeout (set far away here, so only the abort can end it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from '../../../src/dicom/identifier';
import { MODALITY_WORKLIST_FIND } from '../../../src/dicom/uids';
import { findOn } from '../../../src/services/qr-scu';
import { IndexDb } from '../../../src/store/index-db';
import type { Pdv } from '../../../src/ul/pdu-types';
import type { Association, CloseInfo } from '../../../src/ul/association';
import { DicomServer } from '../../../src/ul/server';
import { EdgeError } from '../../../src/util/errors';
import { createLogger } from '../../../src/util/log';
import { WorklistCache } from '../../../src/worklist/cache-db';
import { WorklistProvider } from '../../../src/worklist/provider';
import { parseTestConfig, testIni } from '../../helpers/agent';
import { freePort } from '../../helpers/ports';
import { tmpDir } from '../../helpers/tmp';
import { item, query } from './items';

const PN = 0x00100010;
/** (0000,0100) Command Field = C-CANCEL-RQ (0FFF), implicit VR little endian. */
const C_CANCEL_FIELD = Buffer.from([0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0xff, 0x0f]);

interface SilentRis { port: number; pdvs: Pdv[]; assoc(): Association | undefined }

/** A worklist SCP that accepts associations, records what it receives and never answers. */
async function silentRis(t: { after(fn: () => unknown): unknown }, dir: string): Promise<SilentRis> {
  const port = await freePort();
  const config = parseTestConfig(testIni({
    port, dataDir: `${dir}/ris`, aeTitle: 'RIS',
    sections: { Server: ['scp = worklist'], Options: ['verifyRemoteAe = Off', 'verifyIPAddr = Off'], Network: ['readTimeout = 600', 'idleTimeout = 600'] },
  }));
  const pdvs: Pdv[] = [];
  let last: Association | undefined;
  const server = new DicomServer({
    config: () => config, log: createLogger({ write: () => undefined }),
    onAssociation: (a) => {
      last = a;
      a.onPData = (pdv) => { pdvs.push(pdv); return true; };
    },
  });
  await server.listen(port, '127.0.0.1');
  t.after(() => server.close(0));
  return { port, pdvs, assoc: () => last };
}

test('a RIS ignoring C-CANCEL is aborted after the grace; the modality gets the cached items', { timeout: 60_000 }, async (t) => {
  const dir = await tmpDir('wl-abort-', t);
  const ris = await silentRis(t, dir);
  const risPort = ris.port;
  const config = parseTestConfig(testIni({
    port: 11112, dataDir: dir,
    sections: { Worklist: [`path = ${dir}/items`, 'upstreamTimeout = 300ms', 'cacheMaxAge = 1h'], Network: ['readTimeout = 600'] },
    tail: `[RemoteAE]\nuserName = RIS\naetitle = RIS\nip = 127.0.0.1\nport = ${risPort}\nworklist = yes\n`,
  }));
  const index = IndexDb.open(':memory:');
  const cache = new WorklistCache(index.db);
  cache.put('RIS', [item({ name: 'CACHED^ONE' })], Date.now());
  const logs: string[] = [];
  const p = new WorklistProvider({ config: () => config, cache, log: createLogger({ write: (l) => logs.push(l) }) });

  const names: string[] = [];
  for await (const r of p.answers(query({ [PN]: '' }), new AbortController().signal)) names.push(get(r, PN)!);
  assert.deepEqual(names, ['CACHED^ONE']);
  assert.ok(logs.some((l) => /RIS RIS unavailable \(WORKLIST_UPSTREAM_TIMEOUT/.test(l)), logs.join('\n'));

  const risAssoc = ris.assoc();
  assert.ok(risAssoc, 'the RIS saw the association');
  const closed: CloseInfo = await risAssoc.closed();
  assert.equal(closed.kind, 'aborted-by-peer', 'we aborted it; the RIS did not time out');
  assert.ok(ris.pdvs.some((d) => d.command && d.data.includes(C_CANCEL_FIELD)), 'C-CANCEL-RQ was sent first');
  assert.ok(logs.some((l) => /aborting: no final response within 1000 ms of C-CANCEL/.test(l)), logs.join('\n'));
});

test('findOn with a signal aborted before the request goes out: nothing is sent, the association is aborted', { timeout: 60_000 }, async (t) => {
  const dir = await tmpDir('wl-abort-', t);
  const ris = await silentRis(t, dir);
  const config = parseTestConfig(testIni({ port: 11112, dataDir: dir, sections: { Network: ['readTimeout = 600'] } }));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(findOn({
    config, peer: { aeTitle: 'RIS', host: '127.0.0.1', port: ris.port }, log: createLogger({ write: () => undefined }),
    signal: ac.signal, cancelGraceMs: 1000, sopClassUid: MODALITY_WORKLIST_FIND, identifier: query({ [PN]: '' }),
  }), (e: unknown) => e instanceof EdgeError && e.code === 'QR_ABORTED');
  const assoc = ris.assoc();
  assert.ok(assoc);
  assert.equal((await assoc.closed()).kind, 'aborted-by-peer');
  assert.deepEqual(ris.pdvs, [], 'no C-FIND-RQ was sent');
});
