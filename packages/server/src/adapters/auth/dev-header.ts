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
  /**
   * Run under any NODE_ENV: the host says, in code, that this deployment is for development (a
   * staging box with a NODE_ENV of its own, say). Default false.
   */
  devAuth?: boolean | undefined;
}

/** The NODE_ENV values that obviously mean development (trimmed, any case); unset counts too. */
const developmentEnvironments = new Set(["", "development", "test"]);

/** Whether dev-header auth may run under `nodeEnv`: only where it is obviously development. */
export function isDevelopmentEnvironment(nodeEnv: string | undefined): boolean {
  return developmentEnvironments.has((nodeEnv ?? "").trim().toLowerCase());
}

/** The warning every binding logs, once, while dev-header auth runs. */
export const devAuthWarning =
  "DEVELOPMENT AUTH: any request may act as any user by sending the X-OpenV-User header. Configure Clerk (the `clerk` option, or CLERK_JWT_KEY / CLERK_SECRET_KEY for the reference server) before this serves real users.";

/**
 * Development auth: the user id is the `X-OpenV-User` header (default `dev-user`). Anyone can claim
 * any user, so it runs only where NODE_ENV is unset, `development` or `test` (trimmed, any case),
 * or where the host passes `devAuth: true`.
 */
export function createDevHeaderAuth(options: DevHeaderAuthOptions = {}): Auth {
  const nodeEnv = options.nodeEnv ?? process.env.NODE_ENV;
  if (!options.devAuth && !isDevelopmentEnvironment(nodeEnv)) {
    throw new Error(
      `OpenV refuses to start with development header auth under NODE_ENV=${JSON.stringify(nodeEnv)}: anyone could act as any user. Configure Clerk (the \`clerk\` option; CLERK_JWT_KEY or CLERK_SECRET_KEY for the reference server), or pass \`devAuth: true\` if this deployment really is for development.`,
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
