import { maxPreferWaitSeconds } from "@openv/protocol";

// Wait (issue 21): the `wait` preference of RFC 7240's `Prefer` header.

/**
 * The seconds a `Prefer` header asks a generate answer to wait, clamped to
 * `maxPreferWaitSeconds` (60); null when it asks none. Per RFC 7240 a preference the server does
 * not understand is ignored, not refused: a malformed, zero or negative `wait` means no wait, and
 * only the first `wait` counts. Other preferences (`respond-async`, …) are ignored.
 */
export function preferredWait(header: string | undefined): number | null {
  if (header === undefined) return null;
  for (const preference of header.split(",")) {
    const [head = ""] = preference.split(";");
    const match = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*(?:=\s*(.*?))?\s*$/.exec(head);
    if (match?.[1]?.toLowerCase() !== "wait") continue;
    const value = /^"?(\d{1,12})"?$/.exec(match[2] ?? "");
    if (!value) return null;
    const seconds = Number(value[1]);
    return seconds >= 1 ? Math.min(seconds, maxPreferWaitSeconds) : null;
  }
  return null;
}
