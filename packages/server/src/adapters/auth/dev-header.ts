import { headers } from "@openv/protocol";
import { OpenVError } from "../../core/errors.js";
import type { Auth, AuthRequest } from "../../core/ports.js";

const userIdPattern = /^[A-Za-z0-9_.@:|-]{1,200}$/;

/** Settings of `createDevHeaderAuth`. */
export interface DevHeaderAuthOptions {
  /** The user when the header is absent. Default "dev-user". */
  defaultUserId?: string;
  /** Read to refuse production use. Default process.env.NODE_ENV. */
  nodeEnv?: string | undefined;
}

/**
 * Development auth: the user id is the `X-OpenV-User` header (default `dev-user`). Anyone can claim
 * any user, so it refuses to exist under `NODE_ENV=production`.
 */
export function createDevHeaderAuth(options: DevHeaderAuthOptions = {}): Auth {
  const nodeEnv = options.nodeEnv ?? process.env.NODE_ENV;
  if (nodeEnv === "production") {
    throw new Error(
      "OpenV refuses to start with dev-header auth under NODE_ENV=production: anyone could act as any user. Configure Clerk (CLERK_SECRET_KEY / CLERK_JWT_KEY).",
    );
  }
  const defaultUserId = options.defaultUserId ?? "dev-user";
  return {
    name: `development header ${headers.devUser} (default user "${defaultUserId}")`,
    async authenticate(request: AuthRequest) {
      const value = request.headers[headers.devUser];
      const userId = (Array.isArray(value) ? value[0] : value)?.trim() || defaultUserId;
      if (!userIdPattern.test(userId)) {
        throw new OpenVError({
          code: "unauthorized",
          message: `${headers.devUser} must be 1–200 letters, digits or . _ @ : | -.`,
        });
      }
      return { userId };
    },
  };
}
