import { OpenVError } from "./errors.js";
import type { Store } from "./ports.js";

/** How long an instance trusts what it read about an account (deleted or active). */
export const accountStatusTtlMs = 5_000;

/**
 * Whether a user id may act: an account the identity provider reported deleted gets 401 on every
 * route until it is created again. Each instance remembers an answer for `accountStatusTtlMs`, so
 * a deletion applied on another instance takes effect here within that time (and at once here).
 */
export class AccountStatus {
  readonly #store: Pick<Store, "userDeletedAt">;
  readonly #known = new Map<string, { deleted: boolean; until: number }>();
  readonly #ttlMs: number;

  constructor(store: Pick<Store, "userDeletedAt">, ttlMs = accountStatusTtlMs) {
    this.#store = store;
    this.#ttlMs = ttlMs;
  }

  /** Throws `unauthorized` for a deleted account. */
  async assertActive(userId: string): Promise<void> {
    const now = Date.now();
    let known = this.#known.get(userId);
    if (!known || known.until <= now) {
      known = { deleted: (await this.#store.userDeletedAt(userId)) !== null, until: now + this.#ttlMs };
      if (this.#known.size > 10_000) this.#known.clear();
      this.#known.set(userId, known);
    }
    if (known.deleted) {
      throw new OpenVError({
        code: "unauthorized",
        message: "This account was deleted. Sign up again to use the service.",
      });
    }
  }

  /** Drops what this instance knows of `userId` (it was just deleted or created again). */
  forget(userId: string): void {
    this.#known.delete(userId);
  }
}
