/**
 * The [TLS] section and the per-[RemoteAE] `tls` key (registered on import, idempotent).
 * PS3.15 B.13 "Non-Downgrading BCP 195 TLS Secure Transport Connection Profile": TLS 1.2
 * or later with the BCP 195 (RFC 9325) recommended cipher suites only; the older Basic
 * and AES TLS profiles are retired and not offered.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load';
import { findSection, registerOptions, registerSection, registerValidator, type ParseResult } from '../config/schema';
import type { Config } from '../config/types';

/** IANA "dicom-tls" port (PS3.15 B.1 mentions it; 2762 is registered for DICOM over TLS). */
export const DICOM_TLS_PORT = 2762;

/**
 * RFC 9325 4.2 recommended suites, in OpenSSL names: TLS 1.3 suites, then ECDHE/DHE with
 * AES-GCM for TLS 1.2. No CBC, no static RSA key exchange, no SHA-1 MACs.
 */
export const BCP195_CIPHERS = [
  'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384', 'DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384',
].join(':');

/** Subject patterns: comma-separated CNs, `*` matches any run of characters. */
function parseSubjects(raw: string): ParseResult {
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) return { problem: 'empty subject pattern list' };
  const bad = list.find((s) => /[\0\r\n]/.test(s));
  return bad !== undefined ? { problem: `invalid subject pattern ${JSON.stringify(bad)}` } : { value: list };
}

export function registerTlsConfig(): void {
  if (findSection('TLS')) return;
  registerSection('TLS', {
    certificate: { type: 'path' },
    key: { type: 'path' },
    ca: { type: 'path', multi: true },
    verifyClient: { type: 'bool', default: true },
    allowedSubjects: { type: 'custom', multi: true, parse: parseSubjects },
    port: { type: 'int', default: DICOM_TLS_PORT, min: 0, max: 65535 },
    only: { type: 'bool', default: false },
    minVersion: { type: 'enum', values: ['TLSv1.2', 'TLSv1.3'], default: 'TLSv1.2' },
    checkHostname: { type: 'bool', default: true },
  });
  registerOptions('RemoteAE', { tls: { type: 'bool', default: false } });
  registerValidator(checkTls);
}

/** Whole-configuration checks, so `config check` reports them: files present, [TLS] there when a remote wants it. */
function checkTls(config: Config): { line: number; message: string }[] {
  const out: { line: number; message: string }[] = [];
  const sec = (config as LoadedConfig).sections?.TLS?.[0];
  const base = config.file ? dirname(resolve(config.file)) : process.cwd();
  if (sec) {
    const v = sec.values;
    for (const k of ['certificate', 'key'] as const) if (typeof v[k] !== 'string') out.push({ line: sec.line, message: `[TLS] ${k} is required (PEM file)` });
    for (const p of [v.certificate, v.key, ...((v.ca as string[] | undefined) ?? [])]) {
      if (typeof p === 'string' && !existsSync(isAbsolute(p) ? p : resolve(base, p))) out.push({ line: sec.line, message: `[TLS] file not found: ${p}` });
    }
  }
  for (const r of config.remotes) {
    const t = r.extra.tls?.trim().toLowerCase();
    if (!sec && (t === 'yes' || t === 'on' || t === 'true' || t === '1')) out.push({ line: r.line, message: `[RemoteAE] ${r.aeTitle} has tls = yes but there is no [TLS] section` });
  }
  return out;
}
registerTlsConfig();
