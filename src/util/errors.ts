/**
 * One base error with a stable `code` (undici / ws habit). Codes are part of the
 * product's interface: logs, CLI exit messages and tests match on them.
 */
export class EdgeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'EdgeError';
  }
}

/** Malformed or unexpected PDU bytes (leads to A-ABORT, PS3.8 9.3.8). */
export class PduError extends EdgeError {
  /** A-ABORT reason to send (PS3.8 Table 9-26): 0 not specified, 1 unrecognised PDU, 2 unexpected PDU, 4 unrecognised parameter, 5 unexpected parameter, 6 invalid parameter value. */
  readonly abortReason: number;
  constructor(code: string, message: string, abortReason = 6) {
    super(code, message);
    this.name = 'PduError';
    this.abortReason = abortReason;
  }
}

/** Configuration problem; `problems` lists every one found, with line numbers. */
export class ConfigError extends EdgeError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('CONFIG_INVALID', problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return (e as { code?: string }).code ? `${(e as EdgeError).code}: ${e.message}` : e.message;
  return String(e);
}
