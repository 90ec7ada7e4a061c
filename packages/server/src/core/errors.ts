import { type ErrorCode, errorStatusByCode } from "@openv/protocol";

/** What an `OpenVError` is made of. */
export interface OpenVErrorOptions {
  /** The contract's error code; it fixes the HTTP status. */
  code: ErrorCode;
  /** What went wrong and what to do next, for people. */
  message: string;
  /** Facts about the error, per code (sent in the body's `details`). */
  details?: Record<string, unknown>;
  /** The underlying error, kept as the standard `cause`. */
  cause?: unknown;
  /** Seconds after which the client may retry (sent as `Retry-After`). */
  retryAfterSeconds?: number;
  /** The methods the path takes (sent as `Allow` with `method_not_allowed`). */
  allow?: readonly string[];
  /**
   * The route that resolves the error, relative to the API's mount point (e.g. `POST
   * /terms/accept`). The core does not know where a host mounted the routes: the HTTP layer adds
   * the route, with its prefix, to the message (`messageWithPrefix`).
   */
  nextStep?: NextStep;
}

/** A route that resolves an error: method, path under the mount point, and the body it takes (JSON text), if any. */
export interface NextStep {
  /** The HTTP method, e.g. "POST". */
  method: string;
  /** The path under the routes' mount point, e.g. "/terms/accept". */
  path: string;
  /** The JSON body the route takes, as text, e.g. `{"version":"1.0.0"}`. */
  body?: string;
}

/** The one server-side error type: a contract code, a message that says what to do, and details. */
export class OpenVError extends Error {
  /** The contract's error code. */
  readonly code: ErrorCode;
  /** The HTTP status of `code`. */
  readonly status: number;
  /** Facts about the error, per code, or undefined. */
  readonly details: Record<string, unknown> | undefined;
  /** Seconds after which the client may retry (sent as `Retry-After`), or undefined. */
  readonly retryAfterSeconds: number | undefined;
  /** The methods the path takes (sent as `Allow`), or undefined. */
  readonly allow: readonly string[] | undefined;
  /** The route that resolves the error, relative to the mount point, or undefined. */
  readonly nextStep: NextStep | undefined;

  constructor({ code, message, details, cause, retryAfterSeconds, allow, nextStep }: OpenVErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "OpenVError";
    this.code = code;
    this.status = errorStatusByCode[code];
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
    this.allow = allow;
    this.nextStep = nextStep;
  }

  /** The message, ending with its next step's route under `prefix` (the routes' mount point, "" for none). */
  messageWithPrefix(prefix: string): string {
    if (this.nextStep === undefined) return this.message;
    const { method, path, body } = this.nextStep;
    return `${this.message.replace(/\.$/, "")}: ${method} ${prefix}${path}${body === undefined ? "" : ` with ${body}`}.`;
  }

  /** The error as the JSON body of an error answer (protocol `ErrorBody`), its next step under `prefix`. */
  toBody(prefix = ""): {
    /** The error. */
    error: {
      /** The error code. */
      code: ErrorCode;
      /** What went wrong and what to do next, for people. */
      message: string;
      /** Facts about the error, per code; absent when there are none. */
      details?: Record<string, unknown>;
    };
  } {
    return {
      error: {
        code: this.code,
        message: this.messageWithPrefix(prefix),
        ...(this.details && { details: this.details }),
      },
    };
  }
}

/** Whether `value` is an `OpenVError`. */
export function isOpenVError(value: unknown): value is OpenVError {
  return value instanceof OpenVError;
}

export const notFound = (what = "video") =>
  new OpenVError({ code: "not_found", message: `No such ${what} for this user.` });

/**
 * A generate request that failed after its video was stored (`stored`), or while the answer to
 * its COMMIT was lost (`maybe`: it may have been stored). Its answer must say so and name the
 * video, never "nothing was changed"; the bindings make it the contract's error (http/errors.ts).
 */
export class UnansweredVideoError extends Error {
  /** The video the request stored, or would have. */
  readonly videoId: string;
  /** Whether the video is known to be stored, or may be. */
  readonly stored: "stored" | "maybe";
  /** Whether the request carried an Idempotency-Key (a retry with it answers with the video). */
  readonly keyed: boolean;

  constructor(options: { videoId: string; stored: "stored" | "maybe"; keyed: boolean; cause: unknown }) {
    super(
      `a generate request failed after video ${options.videoId} was ${options.stored === "stored" ? "" : "possibly "}stored`,
      {
        cause: options.cause,
      },
    );
    this.name = "UnansweredVideoError";
    this.videoId = options.videoId;
    this.stored = options.stored;
    this.keyed = options.keyed;
  }
}
