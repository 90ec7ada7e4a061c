/**
 * What logs may carry of a request: its URL with every capability (webhook token, signature,
 * credential) replaced by "[redacted]". Used by both bindings' request logs.
 */

/** Query parameters that carry a credential, compared in lower case. */
const credentialParameters = new Set([
  "token",
  "access_token",
  "api_key",
  "apikey",
  "key",
  "secret",
  "signature",
  "sig",
  "code",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
  "x-goog-signature",
  "x-goog-credential",
]);

/**
 * Share links (issue 21): the token is a path segment (`/share/<token>` and `/share/<token>/video.mp4`),
 * so the path is redacted too.
 */
const sharePath = /\/share\/[^/?#]+/g;

/**
 * `url` (a path with an optional query, or an absolute URL) with credential parameters (and voucher
 * codes and share-link tokens in the path) redacted.
 */
export function redactUrl(given: string): string {
  // Invite-only access (access21): a voucher code in the path (DELETE /admin/vouchers/:code) is a capability.
  const url = redactSharePath(given.replace(/(\/admin\/vouchers\/)[^/?#]+/, "$1[redacted]"));
  const queryStart = url.indexOf("?");
  if (queryStart === -1) return url;
  const hashStart = url.indexOf("#", queryStart);
  const query = url.slice(queryStart + 1, hashStart === -1 ? undefined : hashStart);
  const redacted = query
    .split("&")
    .map((pair) => {
      const equals = pair.indexOf("=");
      const name = equals === -1 ? pair : pair.slice(0, equals);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replaceAll("+", " "));
      } catch {
        // An undecodable name is compared as written.
      }
      return equals !== -1 && credentialParameters.has(decoded.toLowerCase()) ? `${name}=[redacted]` : pair;
    })
    .join("&");
  return `${url.slice(0, queryStart)}?${redacted}`;
}

/** `url` with the token of a share-link path replaced (issue 21); the query is left to `redactUrl`. */
function redactSharePath(url: string): string {
  const queryStart = url.search(/[?#]/);
  const pathPart = queryStart === -1 ? url : url.slice(0, queryStart);
  const redacted = pathPart.replace(sharePath, "/share/[redacted]");
  return queryStart === -1 ? redacted : `${redacted}${url.slice(queryStart)}`;
}

/** The request fields a log line keeps: Fastify's default `req` serializer, with the URL redacted. */
export function redactedRequest(request: {
  method: string;
  url: string;
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number | undefined } | null;
}): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.hostname,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
