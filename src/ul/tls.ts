/**
 * DICOM over TLS (PS3.15 B.13, Non-Downgrading BCP 195 profile) for both roles: the
 * [TLS] settings, Node TLS options for the listener and for outgoing associations, and
 * the remote certificate subject check. The upper layer above sees an ordinary socket.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import tls from 'node:tls';
import { sectionValues, type LoadedConfig } from '../config/load';
import type { Config, RemoteAe } from '../config/types';
import { EdgeError } from '../util/errors';
import { BCP195_CIPHERS } from './tls-config';

export interface TlsSettings {
  certificate: string;
  key: string;
  ca: string[];
  /** Require and verify a client certificate (mutual TLS). */
  verifyClient: boolean;
  /** Remote certificate subject CN patterns (`*` wildcard); empty = any trusted certificate. */
  allowedSubjects: string[];
  /** TLS listener port; 0 = no listener (SCU only). */
  port: number;
  /** No plain listener: TLS only. */
  only: boolean;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** SCU: the server certificate must name the host (or IP) we connect to. */
  checkHostname: boolean;
}

/** The [TLS] settings, or undefined when the section is absent. Throws TLS_CONFIG when incomplete. */
export function tlsSettings(config: Config): TlsSettings | undefined {
  const loaded = config as LoadedConfig;
  if (!loaded.sections?.TLS?.length) return undefined;
  const v = sectionValues(loaded, 'TLS');
  const base = config.file ? dirname(resolve(config.file)) : process.cwd();
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  if (typeof v.certificate !== 'string' || typeof v.key !== 'string') {
    throw new EdgeError('TLS_CONFIG', '[TLS] needs both certificate and key (PEM files)');
  }
  return {
    certificate: abs(v.certificate), key: abs(v.key), ca: (v.ca as string[]).map(abs),
    verifyClient: v.verifyClient as boolean, allowedSubjects: v.allowedSubjects as string[],
    port: v.port as number, only: v.only as boolean, minVersion: v.minVersion as TlsSettings['minVersion'],
    checkHostname: v.checkHostname as boolean,
  };
}

/** `tls = yes` in a [RemoteAE] section. */
export function remoteUsesTls(remote: RemoteAe | undefined): boolean {
  const raw = remote?.extra.tls?.trim().toLowerCase();
  return raw === 'yes' || raw === 'on' || raw === 'true' || raw === '1';
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new EdgeError('TLS_CONFIG', `[TLS] ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Options common to both roles: our identity, trust anchors, the BCP 195 protocol floor and suites. */
function common(s: TlsSettings): tls.SecureContextOptions {
  return {
    cert: read(s.certificate, 'certificate'), key: read(s.key, 'key'),
    ca: s.ca.length ? s.ca.map((p) => read(p, 'ca')) : undefined,
    minVersion: s.minVersion, ciphers: BCP195_CIPHERS,
  };
}

/** Listener options: client certificates requested and verified when verifyClient is on. */
export function serverTlsOptions(s: TlsSettings): tls.TlsOptions {
  return { ...common(s), honorCipherOrder: true, requestCert: s.verifyClient, rejectUnauthorized: s.verifyClient };
}

/** Outgoing options: the server certificate is always verified against [TLS] ca. */
export function clientTlsOptions(s: TlsSettings, host: string): tls.ConnectionOptions {
  return {
    ...common(s), rejectUnauthorized: true,
    servername: isIP(host) ? undefined : host,
    checkServerIdentity: s.checkHostname ? tls.checkServerIdentity : () => undefined,
  };
}

/** `*` matches any run of characters; everything else literally, case-insensitively. */
export function subjectMatches(cn: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(cn);
}

/**
 * Why a remote certificate is refused by allowedSubjects, or undefined when it is allowed.
 * Exactly one CN of printable characters is required (a NUL or a second CN could
 * otherwise smuggle a name past the pattern).
 */
export function subjectRefusal(cert: tls.PeerCertificate | undefined, patterns: string[]): string | undefined {
  if (patterns.length === 0) return undefined;
  const cn = (cert?.subject as { CN?: string | string[] } | undefined)?.CN;
  if (cn === undefined) return 'no certificate subject CN';
  if (Array.isArray(cn)) return 'more than one subject CN';
  if (/[^\x20-\x7e]/.test(cn)) return `subject CN ${JSON.stringify(cn)} has non-printable characters`;
  return patterns.some((p) => subjectMatches(cn, p)) ? undefined : `subject CN "${cn}" is not in allowedSubjects`;
}
