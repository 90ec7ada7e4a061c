import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClerkAuth } from "../src/adapters/auth/clerk.js";
import { isOpenVError, type OpenVError } from "../src/core/errors.js";
import type { Auth } from "../src/core/ports.js";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

const app = "https://app.example.com";
const issuer = "https://clerk.example.com";
const kid = "ins_test_key";
// Where Clerk's backend fetches an instance's signing keys when only the secret key is configured.
const jwksUrl = "https://api.clerk.com/v1/jwks";

// No test may reach the network: an unexpected request fails the fetch.
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "error" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

let clerkKey: KeyPair;
let otherKey: KeyPair;
let jwtKey: string;

beforeAll(async () => {
  clerkKey = await generateKeyPair("RS256", { extractable: true });
  otherKey = await generateKeyPair("RS256", { extractable: true });
  jwtKey = await exportSPKI(clerkKey.publicKey);
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A session token shaped like Clerk's, valid for a minute unless `claims` say otherwise. */
function sessionToken(claims: JWTPayload = {}, key: KeyPair = clerkKey) {
  const now = nowSeconds();
  return new SignJWT({
    sub: "user_2abc",
    sid: "sess_2xyz",
    iss: issuer,
    azp: app,
    iat: now - 5,
    nbf: now - 10,
    exp: now + 60,
    ...claims,
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid })
    .sign(key.privateKey);
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** The OpenVError `authenticate` throws, checked to be a 401 that does not echo `token`. */
async function rejection(auth: Auth, request: Parameters<Auth["authenticate"]>[0], token?: string) {
  const error = await auth.authenticate(request).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(isOpenVError(error), `expected an OpenVError, got ${String(error)}`).toBe(true);
  const openv = error as OpenVError;
  if (token) expect(openv.message).not.toContain(token);
  return openv;
}

async function unauthorized(auth: Auth, request: Parameters<Auth["authenticate"]>[0], token?: string) {
  const error = await rejection(auth, request, token);
  expect(error.code).toBe("unauthorized");
  expect(error.status).toBe(401);
  return error;
}

/** The reason Clerk gave, kept as the error's cause. */
const clerkReason = (error: OpenVError) => (error.cause as { reason?: string } | undefined)?.reason;

describe("Clerk auth, networkless (CLERK_JWT_KEY)", () => {
  let auth: Auth;
  beforeAll(() => {
    auth = createClerkAuth({ jwtKey, authorizedParties: [app] });
  });

  it("names the mode and the authorized parties", () => {
    expect(auth.name).toBe(`Clerk (networkless, JWT key; authorized parties ${app})`);
  });

  it("accepts a valid token sent as Bearer; the user id is sub", async () => {
    expect(await auth.authenticate(bearer(await sessionToken()))).toEqual({ userId: "user_2abc" });
  });

  it("accepts the same token from the __session cookie when there is no Authorization header", async () => {
    const token = await sessionToken({ sub: "user_cookie" });
    const request = { headers: { cookie: `theme=dark; __session=${token}; other=1` } };
    expect(await auth.authenticate(request)).toEqual({ userId: "user_cookie" });
  });

  it("prefers the Authorization header over the cookie", async () => {
    const cookieToken = await sessionToken({ sub: "user_cookie" });
    const request = {
      headers: {
        authorization: `Bearer ${await sessionToken({ sub: "user_bearer" })}`,
        cookie: `__session=${cookieToken}`,
      },
    };
    expect(await auth.authenticate(request)).toEqual({ userId: "user_bearer" });
  });

  it("accepts a PEM pasted on one line or with literal \\n escapes (as env files hold it)", async () => {
    const escaped = createClerkAuth({ jwtKey: jwtKey.trim().replace(/\n/g, "\\n") });
    const oneLine = createClerkAuth({ jwtKey: jwtKey.replace(/\n/g, "") });
    const token = await sessionToken();
    expect(await escaped.authenticate(bearer(token))).toEqual({ userId: "user_2abc" });
    expect(await oneLine.authenticate(bearer(token))).toEqual({ userId: "user_2abc" });
  });

  it("rejects a missing token, telling the caller how to send one", async () => {
    const error = await unauthorized(auth, { headers: {} });
    expect(error.message).toMatch(/Authorization: Bearer .* __session cookie/);
    await unauthorized(auth, { headers: { cookie: "theme=dark" } });
    await unauthorized(auth, { headers: { authorization: "Bearer " } });
  });

  it("rejects an Authorization header that is not Bearer", async () => {
    const error = await unauthorized(auth, { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(error.message).toContain("Bearer");
  });

  it("rejects an expired token", async () => {
    const now = nowSeconds();
    const token = await sessionToken({ iat: now - 120, nbf: now - 120, exp: now - 60 });
    const error = await unauthorized(auth, bearer(token), token);
    expect(clerkReason(error)).toBe("token-expired");
    expect(error.message).toContain("expired");
    expect(error.message).toContain("getToken()");
  });

  it("rejects a token signed by another key", async () => {
    const token = await sessionToken({}, otherKey);
    const error = await unauthorized(auth, bearer(token), token);
    expect(clerkReason(error)).toBe("token-invalid-signature");
    expect(error.message).toContain("signature");
  });

  it("rejects a token issued for another origin (azp) when authorizedParties is set", async () => {
    const token = await sessionToken({ azp: "https://evil.example.net" });
    const error = await unauthorized(auth, bearer(token), token);
    expect(clerkReason(error)).toBe("token-invalid-authorized-parties");
    expect(error.message).toContain("https://evil.example.net");
    expect(error.message).toContain("authorizedParties");
    // Without authorizedParties, any azp is accepted.
    const open = createClerkAuth({ jwtKey });
    expect(await open.authenticate(bearer(token))).toEqual({ userId: "user_2abc" });
  });

  it("rejects a token that is not valid yet (nbf in the future)", async () => {
    const now = nowSeconds();
    const token = await sessionToken({ nbf: now + 120 });
    const error = await unauthorized(auth, bearer(token), token);
    expect(clerkReason(error)).toBe("token-not-active-yet");
    expect(error.message).toContain("not valid yet");
    const issuedLater = await sessionToken({ iat: now + 120 });
    expect(clerkReason(await unauthorized(auth, bearer(issuedLater), issuedLater))).toBe("token-iat-in-the-future");
  });

  it("honours clockSkewMs", async () => {
    const token = await sessionToken({ nbf: nowSeconds() + 30 });
    await unauthorized(auth, bearer(token), token);
    const lenient = createClerkAuth({ jwtKey, clockSkewMs: 60_000 });
    expect(await lenient.authenticate(bearer(token))).toEqual({ userId: "user_2abc" });
  });

  it("rejects malformed tokens without echoing them", async () => {
    for (const token of ["not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "x".repeat(300)]) {
      const error = await unauthorized(auth, bearer(token), token);
      expect(error.message).toContain("getToken()");
    }
    const cookieToken = "garbage.token.value";
    await unauthorized(auth, { headers: { cookie: `__session=${cookieToken}` } }, cookieToken);
  });

  it("rejects an unsigned (alg none) token and one without sub", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ sub: "user_2abc", exp: nowSeconds() + 60 })).toString("base64url");
    const unsigned = `${header}.${payload}.`;
    expect(clerkReason(await unauthorized(auth, bearer(unsigned), unsigned))).toBe("token-invalid-algorithm");
    const noSubject = await new SignJWT({ azp: app, iat: nowSeconds() - 5, exp: nowSeconds() + 60 })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid })
      .sign(clerkKey.privateKey);
    await unauthorized(auth, bearer(noSubject), noSubject);
  });

  it("rejects a session with pending tasks (sts=pending), like Clerk does by default", async () => {
    const token = await sessionToken({ sts: "pending" });
    const error = await unauthorized(auth, bearer(token), token);
    expect(error.message).toContain("pending");
  });
});

describe("Clerk auth construction", () => {
  it("throws without CLERK_JWT_KEY or CLERK_SECRET_KEY, naming both", () => {
    expect(() => createClerkAuth({})).toThrow(/CLERK_JWT_KEY.*CLERK_SECRET_KEY/);
    expect(() => createClerkAuth({ jwtKey: "", secretKey: "  " })).toThrow(/CLERK_JWT_KEY/);
  });

  it("throws on a key that is not Clerk's PEM public key", async () => {
    expect(() => createClerkAuth({ jwtKey: "not a key" })).toThrow(/CLERK_JWT_KEY/);
    expect(() => createClerkAuth({ jwtKey: "x" })).toThrow(/CLERK_JWT_KEY/);
    // Clerk's PEM reader only understands RSA-2048 keys; refuse others at start, not at every request.
    const larger = await generateKeyPair("RS256", { extractable: true, modulusLength: 3072 });
    const largerPem = await exportSPKI(larger.publicKey);
    expect(() => createClerkAuth({ jwtKey: largerPem })).toThrow(/RSA-2048/);
  });

  it("checks the secret and publishable keys' shape and that they belong together", () => {
    expect(() => createClerkAuth({ secretKey: "nope" })).toThrow(/CLERK_SECRET_KEY/);
    const publishableKey = `pk_test_${Buffer.from("clerk.example.com$").toString("base64")}`;
    expect(createClerkAuth({ secretKey: "sk_test_abc", publishableKey }).name).toBe(
      "Clerk (JWKS via secret key, clerk.example.com; any authorized party)",
    );
    expect(() => createClerkAuth({ secretKey: "sk_live_abc", publishableKey })).toThrow(/same Clerk instance/);
    expect(() => createClerkAuth({ secretKey: "sk_test_abc", publishableKey: "pk_test_%%%" })).toThrow(
      /CLERK_PUBLISHABLE_KEY/,
    );
  });
});

describe("Clerk auth with only CLERK_SECRET_KEY (JWKS from Clerk's Backend API, intercepted)", () => {
  let secretCounter = 0;
  // Clerk caches JWKS per secret key; a fresh key per test keeps the tests independent.
  const freshSecretKey = () => `sk_test_openv_${++secretCounter}_${Date.now()}`;

  it("fetches the JWKS with the secret key and accepts a token it signs", async () => {
    const jwk = { ...(await exportJWK(clerkKey.publicKey)), kid, alg: "RS256", use: "sig" };
    const secretKey = freshSecretKey();
    let authorization: string | null = null;
    network.use(
      http.get(jwksUrl, ({ request }) => {
        authorization = request.headers.get("authorization");
        return HttpResponse.json({ keys: [jwk] });
      }),
    );
    const auth = createClerkAuth({ secretKey, authorizedParties: [app] });
    expect(auth.name).toBe(`Clerk (JWKS via secret key; authorized parties ${app})`);
    expect(await auth.authenticate(bearer(await sessionToken()))).toEqual({ userId: "user_2abc" });
    expect(authorization).toBe(`Bearer ${secretKey}`);
    // A token signed with a key the instance does not publish is the caller's problem, not Clerk's.
    const foreign = await sessionToken({}, otherKey);
    expect(clerkReason(await unauthorized(auth, bearer(foreign), foreign))).toBe("token-invalid-signature");
    // A key id the instance does not publish (Clerk refetches the JWKS once, then gives up).
    const unknownKid = await new SignJWT({ sub: "user_2abc", iat: nowSeconds() - 5, exp: nowSeconds() + 60 })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "ins_other" })
      .sign(otherKey.privateKey);
    expect(clerkReason(await unauthorized(auth, bearer(unknownKid), unknownKid))).toBe("jwk-kid-mismatch");
  });

  it("reports Clerk being unreachable as service_unavailable, not as a bad token", async () => {
    network.use(http.get(jwksUrl, () => HttpResponse.error()));
    const auth = createClerkAuth({ secretKey: freshSecretKey() });
    const token = await sessionToken();
    const error = await rejection(auth, bearer(token), token);
    expect(error.code).toBe("service_unavailable");
    expect(error.status).toBe(503);
    expect(error.message).toContain("Clerk could not be reached");
  }, 20_000);

  it("reports Clerk rejecting the secret key as service_unavailable", async () => {
    network.use(
      http.get(jwksUrl, () =>
        HttpResponse.json(
          { errors: [{ code: "clerk_key_invalid", message: "The provided Clerk Secret Key is invalid." }] },
          { status: 401 },
        ),
      ),
    );
    const auth = createClerkAuth({ secretKey: freshSecretKey() });
    const token = await sessionToken();
    const error = await rejection(auth, bearer(token), token);
    expect(error.code).toBe("service_unavailable");
    expect(error.message).toContain("CLERK_SECRET_KEY");
  }, 20_000);
});
