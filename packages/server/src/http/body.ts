import secureJson from "secure-json-parse";
import { OpenVError } from "../core/errors.js";

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

const invalid = (message: string, issue: string) =>
  new OpenVError({
    code: "validation_failed",
    message,
    details: { issues: [{ path: [], message: issue, code: "invalid_type" }] },
  });

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The body as text; bytes that are not UTF-8 are `validation_failed`, never silently replaced. */
export function bodyText(raw: Uint8Array | null): string {
  if (raw === null) return "";
  try {
    return utf8.decode(raw);
  } catch {
    throw invalid("The request body is not valid UTF-8. Send JSON encoded as UTF-8.", "invalid UTF-8");
  }
}

interface Visit {
  value: unknown;
  key: string | number | null;
  parent: Visit | null;
}

function pathOf(visit: Visit): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Visit | null = visit; at && at.key !== null; at = at.parent) path.unshift(at.key);
  return path;
}

/**
 * The path of the first string in `value` that no database can store faithfully: one holding a NUL
 * character or a lone UTF-16 surrogate. Walks iteratively with parent links (no path copies), so a
 * deeply nested body costs linear time and cannot overflow the stack.
 */
function findUnstorableString(value: unknown): (string | number)[] | null {
  const stack: Visit[] = [{ value, key: null, parent: null }];
  for (let visit = stack.pop(); visit; visit = stack.pop()) {
    const current = visit.value;
    if (typeof current === "string") {
      if (!isStorableText(current)) return pathOf(visit);
    } else if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++) {
        stack.push({ value: current[index], key: index, parent: visit });
      }
    } else if (current !== null && typeof current === "object") {
      for (const [key, item] of Object.entries(current)) {
        if (!isStorableText(key)) return [...pathOf(visit), key];
        stack.push({ value: item, key, parent: visit });
      }
    }
  }
  return null;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `text` has no NUL character and no lone surrogate (so it survives UTF-8 and PostgreSQL). */
export function isStorableText(text: string): boolean {
  return !text.includes("\u0000") && !loneSurrogate.test(text);
}

/**
 * A JSON request body from its raw bytes (with `storableText`, the default, refusing strings that
 * hold a NUL character or a lone surrogate), the same for every binding: no body is `undefined` (the
 * route's schema decides whether that is allowed); a body that is not JSON, not sent as
 * `application/json`, or that carries `__proto__`/`constructor.prototype` keys is
 * `validation_failed`.
 */
export function parseJsonBody(
  bytes: Uint8Array | null,
  contentType: string | undefined,
  { storableText = true }: { storableText?: boolean } = {},
): unknown {
  const raw = bytes === null ? null : bodyText(bytes);
  if (raw === null || raw.length === 0) {
    if (contentType && jsonMediaType.test(contentType)) {
      throw invalid("The request body is empty. Send a JSON body that matches the API contract.", "empty body");
    }
    return undefined;
  }
  if (!contentType || !jsonMediaType.test(contentType)) {
    throw invalid("Send the request body as JSON with Content-Type: application/json.", "unsupported content type");
  }
  let value: unknown;
  try {
    value = secureJson.parse(raw, undefined, { protoAction: "error", constructorAction: "error" });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(
      `The request body is not valid JSON (${reason}). Send a JSON body that matches the API contract.`,
      reason,
    );
  }
  const unstorable = storableText ? findUnstorableString(value) : null;
  if (unstorable) {
    throw new OpenVError({
      code: "validation_failed",
      message: `The request body is not valid (${unstorable.join(".") || "body"}: text with a NUL character or a lone surrogate). Send well-formed Unicode text.`,
      details: {
        issues: [
          { path: unstorable, message: "NUL characters and lone surrogates are not allowed", code: "invalid_string" },
        ],
      },
    });
  }
  return value;
}
