import { isOpenVError, OpenVError } from "../core/errors.js";

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

export const payloadTooLarge = (limit: number) =>
  new OpenVError({
    code: "payload_too_large",
    message: `The request body is larger than ${limit} bytes. Send a smaller JSON body.`,
    details: { limitBytes: limit },
  });
