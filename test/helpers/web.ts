/**
 * Web tests: an in-process agent with a [Web] section (admin + viewer users, loopback),
 * a study stored through DCMTK storescu, and fetch helpers with Basic authentication.
 */
import { freePort } from './ports';
import { startAgent, testIni, type InProcessAgent } from './agent';
import { runDcmtk } from './peers';
import { makeStudy, type Study, type StudyOptions } from './dicom-files';
import { tmpDir, type AfterContext } from './tmp';
import { hashPassword } from '../../src/web/users';

export const ADMIN = { name: 'admin', password: 'admin-secret-1' };
export const VIEWER = { name: 'viewer', password: 'viewer-secret-1' };

// scrypt is slow on purpose: hash once per process.
let hashes: { admin: string; viewer: string } | undefined;
function userLines(): string[] {
  hashes ??= { admin: hashPassword(ADMIN.password), viewer: hashPassword(VIEWER.password) };
  return [`user = ${ADMIN.name}, admin, ${hashes.admin}`, `user = ${VIEWER.name}, viewer, ${hashes.viewer}`];
}

export interface WebAgent extends InProcessAgent { webPort: number; base: string; ini: string }

export async function startWebAgent(t: AfterContext, opts: { web?: string[]; sections?: Record<string, string[]>; tail?: string } = {}): Promise<WebAgent> {
  const webPort = await freePort();
  let ini = '';
  const a = await startAgent((port, dataDir) => (ini = testIni({
    port, dataDir, tail: opts.tail,
    sections: {
      Server: ['scp = storage', 'accept = STORESCU, 127.0.0.1', 'accept = *, 127.0.0.1'],
      Web: [`port = ${webPort}`, 'bind = 127.0.0.1', ...userLines(), ...(opts.web ?? [])],
      ...(opts.sections ?? {}),
    },
  })), t);
  return { ...a, webPort, base: `http://127.0.0.1:${webPort}`, ini };
}

export function basic(u: { name: string; password: string }): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${u.name}:${u.password}`).toString('base64')}` };
}

/** Writes a study and sends it with storescu; returns what was sent. */
export async function storeStudy(a: InProcessAgent, t: AfterContext, o: StudyOptions): Promise<Study> {
  const dir = await tmpDir('web-study-', t);
  const study = await makeStudy(dir, o);
  const r = await runDcmtk('storescu', ['-aet', 'STORESCU', '-aec', 'EDGE', '+sd', '127.0.0.1', String(a.port), dir]);
  if (r.code !== 0) throw new Error(`storescu failed: ${r.stderr}`);
  return study;
}
