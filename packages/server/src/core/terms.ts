import type { AcceptTermsResponse, TermsStatus } from "@openv/protocol";
import type { LifecycleContext } from "./context.js";
import { OpenVError } from "./errors.js";

/** Terms of use: whether a user accepted the current version, and recording an acceptance. */
export class Terms {
  readonly #ctx: LifecycleContext;

  constructor(ctx: LifecycleContext) {
    this.#ctx = ctx;
  }

  /** Whether the user has accepted the current terms version. */
  async checkTerms(userId: string): Promise<TermsStatus> {
    const version = this.#ctx.config.termsVersion;
    const acceptance = await this.#ctx.deps.store.termsAcceptance(userId, version);
    return { accepted: acceptance !== null, version, acceptedAt: acceptance?.acceptedAt.toISOString() ?? null };
  }

  /**
   * Records that the user accepted terms `version`; accepting again keeps the first time.
   *
   * @throws `OpenVError` `terms_version_mismatch` when `version` is not the current one.
   */
  async acceptTerms(userId: string, version: string): Promise<AcceptTermsResponse> {
    const current = this.#ctx.config.termsVersion;
    if (version !== current) {
      throw new OpenVError({
        code: "terms_version_mismatch",
        message: `Version ${version} is not the current terms version; read and accept version ${current}.`,
        details: { version: current },
      });
    }
    const { acceptedAt } = await this.#ctx.deps.store.acceptTerms(userId, version);
    return { accepted: true as const, version, acceptedAt: acceptedAt.toISOString() };
  }
}
