import { createPublicKey } from "node:crypto";
import { verifyToken } from "@clerk/backend";
import { TokenVerificationError, type TokenVerificationErrorReason } from "@clerk/backend/errors";
import { parseCookie } from "cookie";
import { OpenVError } from "../../core/errors.js";
import type { Auth, AuthRequest, Logger } from "../../core/ports.js";
import { isDevelopmentEnvironment } from "./dev-header.js";

/** Settings of `createClerkAuth`: `secretKey` or `jwtKey` is required. */
export interface ClerkAuthOptions {
  /**
   * `CLERK_SECRET_KEY` (`sk_test_…` / `sk_live_…`). Used to fetch the instance's signing keys (JWKS)
   * from Clerk's Backend API when no `jwtKey` is given; Clerk caches them.
   */
  secretKey?: string | undefined;
  /**
   * `CLERK_JWT_KEY`: the PEM public key from Clerk Dashboard → API keys → Show JWT public key. When
   * given, tokens are verified without any network call (preferred).
   */
  jwtKey?: string | undefined;
  /**
   * `CLERK_PUBLISHABLE_KEY` (`pk_test_…` / `pk_live_…`). Optional: checked against the secret key's
   * environment and used to name the instance in `name`.
   */
  publishableKey?: string | undefined;
  /**
   * Origins allowed in the token's `azp` claim, e.g. `["https://app.example.com"]`. Recommended in
   * production: it stops a session token leaked from another subdomain being used here.
   * Default: any origin.
   */
  authorizedParties?: string[] | undefined;
  /** Allowed clock difference with Clerk when checking `exp`/`nbf`/`iat`, in ms. Default 5000 (Clerk's). */
  clockSkewMs?: number | undefined;
  /** Where a configuration warning goes (production without `authorizedParties`). */
  logger?: Pick<Logger, "warn"> | undefined;
  /** Read to tell production (warnings). Default process.env.NODE_ENV. */
  nodeEnv?: string | undefined;
}

const sessionCookie = "__session";

/**
 * Production auth: the caller's Clerk session token, from `Authorization: Bearer <token>` or (when
 * there is no Authorization header) the `__session` cookie. The user id is the token's `sub`.
 */
export function createClerkAuth(options: ClerkAuthOptions): Auth {
  const jwtKey = options.jwtKey?.trim() ? normalizeJwtKey(options.jwtKey) : undefined;
  const secretKey = options.secretKey?.trim() || undefined;
  if (!jwtKey && !secretKey) {
    throw new Error(
      "Clerk auth needs a key: set `clerk.jwtKey` (the PEM public key from Clerk Dashboard → API keys, for networkless verification) or `clerk.secretKey` (CLERK_JWT_KEY or CLERK_SECRET_KEY for the reference server).",
    );
  }
  if (secretKey && !/^sk_(test|live)_\S+$/.test(secretKey)) {
    throw new Error(
      "`clerk.secretKey` (CLERK_SECRET_KEY for the reference server) must look like sk_test_… or sk_live_… (Clerk Dashboard → API keys).",
    );
  }
  const instance = options.publishableKey?.trim()
    ? parsePublishableKey(options.publishableKey.trim(), secretKey)
    : undefined;
  const clockSkewMs = options.clockSkewMs;
  if (clockSkewMs !== undefined && !(Number.isFinite(clockSkewMs) && clockSkewMs >= 0)) {
    throw new Error(`clockSkewMs must be a number of milliseconds ≥ 0 (got ${clockSkewMs}).`);
  }
  const authorizedParties = options.authorizedParties?.filter((party) => party.trim() !== "");
  if (!authorizedParties?.length && !isDevelopmentEnvironment(options.nodeEnv ?? process.env.NODE_ENV)) {
    options.logger?.warn(
      { option: "authorizedParties" },
      "Clerk accepts session tokens minted for ANY authorized party (azp): set `clerk.authorizedParties` (CLERK_AUTHORIZED_PARTIES for the reference server) to your app's origins, so a token leaked from another app or subdomain is refused.",
    );
  }
  const partiesLabel = authorizedParties?.length
    ? `authorized parties ${authorizedParties.join(", ")}`
    : "any authorized party";
  const verification = jwtKey ? "networkless, JWT key" : "JWKS via secret key";

  return {
    name: `Clerk (${verification}${instance ? `, ${instance}` : ""}; ${partiesLabel})`,
    async authenticate(request: AuthRequest) {
      const token = sessionToken(request);
      let payload: Awaited<ReturnType<typeof verifyToken>>;
      try {
        payload = await verifyToken(token, {
          ...(jwtKey ? { jwtKey } : { secretKey }),
          ...(authorizedParties?.length ? { authorizedParties } : {}),
          ...(clockSkewMs !== undefined ? { clockSkewInMs: clockSkewMs } : {}),
        });
      } catch (error) {
        throw toOpenVError(error, token);
      }
      if (typeof payload.sub !== "string" || payload.sub === "") {
        throw unauthorized("The session token has no subject (sub); send a Clerk session token from getToken().");
      }
      // Clerk treats sessions with pending tasks as signed out by default; so do we.
      if (payload.sts === "pending") {
        throw unauthorized(
          "The Clerk session has pending tasks (for example choosing an organization); finish them, then retry with a fresh token.",
        );
      }
      return { userId: payload.sub };
    },
  };
}

function unauthorized(message: string, cause?: unknown) {
  return new OpenVError({ code: "unauthorized", message, ...(cause === undefined ? {} : { cause }) });
}

function headerValue(headers: AuthRequest["headers"], name: string): string[] {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return Array.isArray(value) ? value : [value];
  }
  return [];
}

/** The token from `Authorization: Bearer …`, else from the `__session` cookie. */
function sessionToken(request: AuthRequest): string {
  const missing = "Sign in: send the Clerk session token as Authorization: Bearer <token> or the __session cookie.";
  const authorization = headerValue(request.headers, "authorization")[0]?.trim();
  if (authorization) {
    const match = /^Bearer\s+(\S*)$/i.exec(authorization);
    if (!match) {
      throw unauthorized(
        "The Authorization header must be `Bearer <Clerk session token>` (get the token with Clerk's getToken()).",
      );
    }
    if (!match[1]) throw unauthorized(missing);
    return match[1];
  }
  const cookieHeader = headerValue(request.headers, "cookie").join("; ");
  const token = cookieHeader ? parseCookie(cookieHeader)[sessionCookie]?.trim() : undefined;
  if (!token) throw unauthorized(missing);
  return token;
}

type Reason = TokenVerificationErrorReason;

/** What the caller can do about each of Clerk's token problems. */
const tokenProblems: Partial<Record<Reason, string>> = {
  "token-expired": "The session token expired; get a fresh one from Clerk (getToken()) and retry.",
  "token-not-active-yet":
    "The session token is not valid yet (its nbf is in the future); check that this server's clock is in sync, or raise clockSkewMs.",
  "token-iat-in-the-future":
    "The session token was issued in the future (iat); check that this server's clock is in sync, or raise clockSkewMs.",
  "token-invalid-signature":
    "The session token's signature does not verify with this server's Clerk key; send a token from the Clerk instance this server is configured for (CLERK_JWT_KEY / CLERK_SECRET_KEY — development and production instances have different keys).",
  "jwk-kid-mismatch":
    "The session token was signed by a key this server's Clerk instance does not publish; send a token from the Clerk instance this server is configured for (development and production instances have different keys).",
  "token-invalid-issuer":
    "The session token was issued by another Clerk instance (iss); send a token from the instance this server is configured for.",
  "token-invalid":
    "The credential is not a Clerk session token (a JWT with three dot-separated parts); send the token from Clerk's getToken().",
  "token-invalid-algorithm":
    "The session token is not signed with an algorithm Clerk uses (RS256); send the token from Clerk's getToken().",
};

/** Reasons that mean the server cannot verify anything right now: not the caller's fault. */
const serviceProblems: Partial<Record<Reason, string>> = {
  "jwk-remote-failed-to-load": "Clerk could not be reached to fetch its signing keys (JWKS); retry shortly.",
  "jwk-remote-invalid": "Clerk answered with unusable signing keys (JWKS); retry shortly.",
  "jwk-remote-missing": "Clerk could not be reached to fetch its signing keys (JWKS); retry shortly.",
  "jwk-failed-to-resolve": "The server could not resolve Clerk's signing key; retry shortly.",
  "jwk-local-missing": "The server's Clerk key (CLERK_JWT_KEY) is missing; the operator must configure it.",
  "secret-key-invalid":
    "Clerk rejected this server's CLERK_SECRET_KEY, so session tokens cannot be verified; the operator must fix the key (or set CLERK_JWT_KEY).",
};

function toOpenVError(error: unknown, token: string): OpenVError {
  const redact = (text: string) => text.split(token).join("[token]");
  if (!(error instanceof TokenVerificationError)) {
    // Not a verdict on the token: the JWKS fetch failed (network, DNS, Clerk down) or similar.
    return new OpenVError({
      code: "service_unavailable",
      message: "Clerk could not be reached to verify the session token; retry shortly.",
      retryAfterSeconds: 5,
      cause: error,
    });
  }
  const service = serviceProblems[error.reason];
  if (service) {
    return new OpenVError({ code: "service_unavailable", message: service, retryAfterSeconds: 5, cause: error });
  }
  if (error.reason === "token-invalid-authorized-parties") {
    const azp = claimOf(token, "azp");
    return unauthorized(
      `The session token was issued for ${azp === undefined ? "an origin" : `origin ${azp}`} (azp), which this server does not accept; call from an allowed origin, or add it to the server's authorizedParties.`,
      error,
    );
  }
  const problem = tokenProblems[error.reason];
  if (problem) return unauthorized(problem, error);
  // token-verification-failed (missing sub, wrong aud, malformed claims) and reasons added later.
  return unauthorized(
    `The session token could not be verified (${redact(error.message)}); send a fresh Clerk session token from getToken().`,
    error,
  );
}

/** A claim read from the (already rejected) token, for a helpful message; never the token itself. */
function claimOf(token: string, claim: string): string | undefined {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    const value =
      typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>)[claim] : undefined;
    return typeof value === "string" ? JSON.stringify(value.slice(0, 200)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Accepts the PEM as Clerk shows it, on one line, or with literal `\n`s from an env file, and checks
 * it is the RSA-2048 public key Clerk issues (Clerk's PEM reader only understands that shape).
 */
function normalizeJwtKey(raw: string): string {
  const body = raw
    .replace(/\\n/g, "\n")
    .replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "")
    .replace(/\s/g, "");
  const pem = `-----BEGIN PUBLIC KEY-----\n${(body.match(/.{1,64}/g) ?? []).join("\n")}\n-----END PUBLIC KEY-----\n`;
  const problem =
    "CLERK_JWT_KEY must be the PEM public key from Clerk Dashboard → API keys → Show JWT public key (an RSA-2048 key starting with -----BEGIN PUBLIC KEY-----)";
  let details: ReturnType<typeof createPublicKey>["asymmetricKeyDetails"];
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== "rsa") throw new Error(`a ${key.asymmetricKeyType} key`);
    details = key.asymmetricKeyDetails;
  } catch (error) {
    throw new Error(`${problem}; it could not be read (${error instanceof Error ? error.message : String(error)}).`);
  }
  if (details?.modulusLength !== 2048 || details.publicExponent !== 65537n) {
    throw new Error(`${problem}; this one is ${details?.modulusLength ?? "an unknown"}-bit.`);
  }
  return pem;
}

/** `pk_test_<base64("frontend-api.host$")>`; returns the Frontend API host. */
function parsePublishableKey(publishableKey: string, secretKey: string | undefined): string {
  const match = /^pk_(test|live)_([A-Za-z0-9+/=_-]+)$/.exec(publishableKey);
  const host = match?.[2] ? Buffer.from(match[2], "base64").toString("utf8") : "";
  if (!match || !/^[A-Za-z0-9.-]+(:\d+)?\$$/.test(host)) {
    throw new Error(
      "`clerk.publishableKey` (CLERK_PUBLISHABLE_KEY for the reference server) must look like pk_test_… or pk_live_… (Clerk Dashboard → API keys).",
    );
  }
  const environment = match[1];
  if (secretKey && !secretKey.startsWith(`sk_${environment}_`)) {
    throw new Error(
      `\`clerk.publishableKey\` (CLERK_PUBLISHABLE_KEY) is a ${environment} key but \`clerk.secretKey\` (CLERK_SECRET_KEY) is not: both must come from the same Clerk instance.`,
    );
  }
  return host.slice(0, -1);
}
