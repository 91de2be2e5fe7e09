/**
 * The [Web] section (ours), registered in the INI schema at module load:
 *
 *   [Web]
 *   port = 8080                    ; HTTP(S) port of the page, DICOMweb and /metrics
 *   bind = 127.0.0.1               ; default 0.0.0.0
 *   certificate = /etc/dicom-edge/web.crt   ; both set → HTTPS
 *   key = /etc/dicom-edge/web.key
 *   anonymous = none | viewer      ; default none: every page needs a login
 *   sessionTimeout = 480           ; minutes a login lasts
 *   user = alice, admin, scrypt$16384$8$1$<salt>$<hash>   ; written by `dicom-edge user add`
 *
 * The web server runs only when the INI has a [Web] section (so two agents on one host
 * never fight over 8080 by default).
 */
import { findSection, registerSection, type ParseResult } from '../config/schema';
import type { Config } from '../config/types';
import type { LoadedConfig } from '../config/load';
import { parseUserValue, type WebUser } from './users';

export type WebRole = 'admin' | 'viewer';

export interface WebConfig {
  port: number;
  bind: string;
  certificate?: string;
  key?: string;
  anonymous: 'none' | 'viewer';
  sessionTimeoutMin: number;
  users: WebUser[];
}

export function registerWebConfig(): void {
  if (findSection('Web')) return;
  registerSection('Web', {
    port: { type: 'int', default: 8080, min: 0, max: 65535 },
    bind: { type: 'ip', default: '0.0.0.0' },
    certificate: { type: 'path' },
    key: { type: 'path' },
    anonymous: { type: 'enum', values: ['none', 'viewer'], default: 'none' },
    sessionTimeout: { type: 'int', default: 480, min: 1, max: 525600 },
    user: { type: 'custom', multi: true, parse: (raw): ParseResult => parseUserValue(raw) },
  });
}
registerWebConfig();

/** The [Web] section of a loaded config, or undefined when the INI has none (web server off). */
export function webConfigOf(config: Config): WebConfig | undefined {
  const inst = (config as LoadedConfig).sections?.Web?.[0];
  if (!inst) return undefined;
  const v = inst.values;
  return {
    port: v.port as number,
    bind: v.bind as string,
    certificate: v.certificate as string | undefined,
    key: v.key as string | undefined,
    anonymous: v.anonymous as 'none' | 'viewer',
    sessionTimeoutMin: v.sessionTimeout as number,
    users: (v.user as WebUser[] | undefined) ?? [],
  };
}
