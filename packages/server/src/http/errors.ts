import { isOpenVError, OpenVError, UnansweredVideoError } from "../core/errors.js";

const connectionErrorPattern =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|connect ENOENT|timeout exceeded when trying to connect|P1001|P1017|database system is|Client has encountered a connection error|Connection closed/i;

/** Prisma's codes for a database it cannot reach or lost mid-query, and its driver adapters' kinds. */
const unavailableCodes = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028"]);
const unavailableKinds = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

/** Whether `error` says the database is unreachable (Prisma 7 carries this in codes, not messages). */
function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, cause, meta } = error as {
    code?: unknown;
    cause?: { kind?: unknown };
    meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
  };
  const kind = error.name === "DriverAdapterError" ? cause?.kind : meta?.driverAdapterError?.cause?.kind;
  return (
    (typeof code === "string" && unavailableCodes.has(code)) ||
    (typeof kind === "string" && unavailableKinds.has(kind)) ||
    isDatabaseUnavailable(cause)
  );
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return `${error.message} ${(error as { code?: unknown }).code ?? ""} ${cause === undefined ? "" : describe(cause)}`;
}

/**
 * Any error thrown while serving a request, as the contract's error: an `OpenVError` as it is, a
 * lost database connection as `service_unavailable` (503, retry), anything else as
 * `internal_error` (500, logged by the binding).
 */
export function toOpenVError(error: unknown): OpenVError {
  if (isOpenVError(error)) return error;
  if (error instanceof UnansweredVideoError) return unansweredVideo(error);
  if (isDatabaseUnavailable(error) || connectionErrorPattern.test(describe(error))) {
    return new OpenVError({
      code: "service_unavailable",
      message: "The database is not reachable right now; nothing was changed. Retry in a few seconds.",
      retryAfterSeconds: 2,
      cause: error,
    });
  }
  return new OpenVError({
    code: "internal_error",
    message: "Something went wrong on the server; it has been logged. Retry, and report it if it persists.",
    cause: error,
  });
}

/**
 * A generate request that failed once its video was stored, or may have been: the answer names the
 * video and says how to get it without making a second one (503 or 500, as the failure was).
 */
function unansweredVideo(error: UnansweredVideoError): OpenVError {
  const underlying = toOpenVError(error.cause);
  const unavailable = underlying.code === "service_unavailable";
  const why = unavailable ? "the database became unreachable" : "of an internal error (it has been logged)";
  const id = error.videoId;
  const message =
    error.stored === "stored"
      ? `Your video ${id} was stored and its cost charged, but the request could not finish because ${why}. ${
          error.keyed
            ? "Retry with the same Idempotency-Key to get its answer"
            : "Do not send the request again (that would make a second video)"
        }; GET /videos/${id} shows it, and the server hands it to the provider on its own.`
      : `The request broke off while your video was being stored because ${why}: it may have been stored (as ${id}) and charged, or not at all. ${
          error.keyed
            ? "Retry with the same Idempotency-Key: you get that video if it was stored, or a new one if not, charged once either way."
            : `GET /videos/${id} tells (404: it was not stored) before you send the request again.`
        }`;
  return new OpenVError({
    code: unavailable ? "service_unavailable" : "internal_error",
    message,
    details: { videoId: id },
    ...(unavailable && { retryAfterSeconds: 2 }),
    cause: error,
  });
}

export const payloadTooLarge = (limit: number) =>
  new OpenVError({
    code: "payload_too_large",
    message: `The request body is larger than ${limit} bytes. Send a smaller JSON body.`,
    details: { limitBytes: limit },
  });
