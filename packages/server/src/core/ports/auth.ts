// Who calls: request authentication, and the identity provider's signed user events.

/** The request facts an `Auth` adapter may look at. */
export interface AuthRequest {
  /** The request headers, keys lower-cased as Node.js gives them. */
  headers: Record<string, string | string[] | undefined>;
}

/** Who is calling. Throws `OpenVError("unauthorized")` when the credentials are missing or invalid. */
export interface Auth {
  /** A human-readable description for logs. */
  readonly name: string;
  /** Identifies the caller of `request`; throws `OpenVError("unauthorized")` when it cannot. */
  authenticate(request: AuthRequest): Promise<{
    /** The authenticated user's id. */
    userId: string;
  }>;
}

/** A verified user-directory event from the identity provider (Clerk's user webhooks). */
export type UserEvent =
  /** A user was created or updated. */
  | {
      /** The event kind. */
      type: "user.upserted";
      /** The sender's id for this delivery (Svix message id), used to drop duplicates. */
      deliveryId: string;
      /** The identity provider's user id. */
      userId: string;
      /** The user's primary email address, or null when they have none. */
      email: string | null;
      /** True for a creation (`user.created`): it re-activates an id marked deleted. */
      created?: boolean;
    }
  /** A user was deleted. */
  | {
      /** The event kind. */
      type: "user.deleted";
      /** The sender's id for this delivery (Svix message id), used to drop duplicates. */
      deliveryId: string;
      /** The identity provider's user id. */
      userId: string;
    }
  /** A verified event OpenV has no use for (answered 200 so the sender stops retrying). */
  | {
      /** The event kind. */
      type: "ignored";
      /** The sender's id for this delivery (Svix message id), used to drop duplicates. */
      deliveryId: string;
      /** The sender's own event type, e.g. `"session.created"`. */
      eventType: string;
    };

/** Verifies signed user-event webhooks (Svix for Clerk). */
export interface UserEventVerifier {
  /** A human-readable name for logs. */
  readonly name: string;
  /**
   * Checks the signature over the exact raw body and the timestamp's freshness, then reads the
   * event. Throws `OpenVError("unauthorized")` for a bad signature or a stale timestamp, and
   * `OpenVError("validation_failed")` for a signed body that is not an event.
   */
  verify(rawBody: string, headers: Record<string, string | string[] | undefined>): Promise<UserEvent>;
}
