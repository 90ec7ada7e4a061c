import { type ErrorCode, errorStatusByCode } from "@openv/protocol";

export interface OpenVErrorOptions {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Seconds after which the client may retry (sent as `Retry-After`). */
  retryAfterSeconds?: number;
}

/** The one server-side error type: a contract code, a message that says what to do, and details. */
export class OpenVError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor({ code, message, details, cause, retryAfterSeconds }: OpenVErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "OpenVError";
    this.code = code;
    this.status = errorStatusByCode[code];
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  toBody() {
    return {
      error: { code: this.code, message: this.message, ...(this.details && { details: this.details }) },
    };
  }
}

export function isOpenVError(value: unknown): value is OpenVError {
  return value instanceof OpenVError;
}

export const notFound = (what = "video") =>
  new OpenVError({ code: "not_found", message: `No such ${what} for this user.` });
