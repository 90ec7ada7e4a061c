import secureJson from "secure-json-parse";
import { OpenVError } from "../core/errors.js";

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

const invalid = (message: string, issue: string) =>
  new OpenVError({
    code: "validation_failed",
    message,
    details: { issues: [{ path: [], message: issue, code: "invalid_type" }] },
  });

/**
 * A JSON request body from its raw text, the same for every binding: no body is `undefined` (the
 * route's schema decides whether that is allowed); a body that is not JSON, not sent as
 * `application/json`, or that carries `__proto__`/`constructor.prototype` keys is
 * `validation_failed`.
 */
export function parseJsonBody(raw: string | null, contentType: string | undefined): unknown {
  if (raw === null || raw.length === 0) {
    if (contentType && jsonMediaType.test(contentType)) {
      throw invalid("The request body is empty. Send a JSON body that matches the API contract.", "empty body");
    }
    return undefined;
  }
  if (!contentType || !jsonMediaType.test(contentType)) {
    throw invalid("Send the request body as JSON with Content-Type: application/json.", "unsupported content type");
  }
  try {
    return secureJson.parse(raw, undefined, { protoAction: "error", constructorAction: "error" });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(
      `The request body is not valid JSON (${reason}). Send a JSON body that matches the API contract.`,
      reason,
    );
  }
}
