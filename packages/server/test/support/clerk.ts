import { createHmac, randomBytes } from "node:crypto";
import { exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from "jose";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** The authorized party (`azp`) of the test app's session tokens. */
export const clerkTestApp = "https://app.example.com";

/**
 * Clerk without the network: a key pair that signs session tokens the server verifies with its
 * public half, and a Svix signing secret for user webhooks — both made here.
 */
export class ClerkTestKit {
  readonly #secretBytes = randomBytes(24);
  readonly webhookSigningSecret = `whsec_${this.#secretBytes.toString("base64")}`;
  private constructor(
    readonly key: KeyPair,
    readonly jwtKey: string,
  ) {}

  static async create(): Promise<ClerkTestKit> {
    const key = await generateKeyPair("RS256", { extractable: true });
    return new ClerkTestKit(key, await exportSPKI(key.publicKey));
  }

  /** The server's `clerk` option for this kit. */
  get options() {
    return { jwtKey: this.jwtKey, authorizedParties: [clerkTestApp], webhookSigningSecret: this.webhookSigningSecret };
  }

  /** A session token for `sub` (default user_ada), valid for a minute. */
  token(claims: JWTPayload = {}, signWith: KeyPair = this.key): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sub: "user_ada",
      sid: "sess_1",
      azp: clerkTestApp,
      iat: now - 5,
      nbf: now - 10,
      exp: now + 60,
      ...claims,
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT" })
      .sign(signWith.privateKey);
  }

  /** A Svix-signed webhook request (fetch init) carrying `body`. */
  signedWebhook(body: string, { id = `msg_${randomBytes(6).toString("hex")}`, ageSeconds = 0 } = {}) {
    const timestamp = Math.floor(Date.now() / 1000) - ageSeconds;
    const signature = createHmac("sha256", this.#secretBytes).update(`${id}.${timestamp}.${body}`).digest("base64");
    return {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "svix-id": id,
        "svix-timestamp": String(timestamp),
        "svix-signature": `v1,${signature}`,
      },
    };
  }
}

/** A Clerk user event body (`user.created`, `user.updated`, `user.deleted`). */
export const clerkUserEvent = (type: string, id: string, email = "ada@example.com") =>
  JSON.stringify({
    type,
    object: "event",
    data: {
      id,
      object: "user",
      primary_email_address_id: "idn_1",
      email_addresses: [{ id: "idn_1", email_address: email }],
    },
  });
