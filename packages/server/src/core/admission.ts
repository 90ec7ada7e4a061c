import type { Usage } from "@openv/protocol";
import type { Access } from "./access.js";
import { accessRestricted } from "./access.js";
import { insufficientCredits, quotaExceeded } from "./billing.js";
import type { LifecycleContext } from "./context.js";
import { OpenVError } from "./errors.js";
import type { IdempotencyKeys, KeyReplay } from "./idempotency.js";
import type { AdmissionOutcome, AdmissionRequest, TimingBasis, VideoRecord } from "./ports.js";

/**
 * What an admission comes to: the stored video, the usage after its charge and its timing basis
 * (see `ChangeFeed.presentAnswer`), or a repeated key's replay.
 */
export type Admitted = { video: VideoRecord; usage: Usage; timing: TimingBasis } | { replay: KeyReplay };

/**
 * The admission of a generate request (shared/API.md's checks, in order: the key, access, terms,
 * active jobs, the charge), in one round trip: the store applies the rules under the user's lock
 * (`Store.admitAndInsertVideo`, which states them once); this side says how this server sets them
 * (who is checked, the limits, the policy) and answers each refusal with its error.
 */
export class Admission {
  readonly #ctx: LifecycleContext;
  readonly #access: Access;
  readonly #keys: IdempotencyKeys;

  constructor(ctx: LifecycleContext, parts: { access: Access; keys: IdempotencyKeys }) {
    this.#ctx = ctx;
    this.#access = parts.access;
    this.#keys = parts.keys;
  }

  /**
   * Admits `video` and stores it, charged, with its key's `running` record.
   *
   * @throws `OpenVError` `access_restricted`, `terms_required`, `too_many_active_jobs`,
   * `quota_exceeded`, `insufficient_credits`, `idempotency_conflict`, `idempotency_in_progress`;
   * the store's error when the database failed (the video may then have been stored).
   */
  async admit(video: VideoRecord, idempotency: { key: string; fingerprint: string } | undefined): Promise<Admitted> {
    const { config, billing } = this.#ctx;
    const request: AdmissionRequest = {
      video,
      rules: {
        accessCheck: this.#access.checksRole(video.userId),
        termsVersion: config.termsVersion,
        maxActiveJobs: config.maxActiveJobs,
        billing: billing.kind,
        limitSeconds: config.monthlyLimitSeconds,
        limitWindow:
          config.limitStartDate && config.limitEndDate
            ? { start: config.limitStartDate, end: config.limitEndDate }
            : null,
      },
      idempotency: idempotency ? this.#keys.admissionKey(video.userId, idempotency) : null,
    };
    const outcome = await this.#ctx.deps.store.admitAndInsertVideo(request);
    switch (outcome.kind) {
      case "admitted":
        return { video: outcome.video, usage: billing.admittedUsage(outcome.usage), timing: outcome.timing };
      case "replay":
        return { replay: { videoId: outcome.videoId, stored: outcome.stored } };
      default:
        throw this.#refusal(outcome, video);
    }
  }

  /** The error a refusal answers with. */
  #refusal(outcome: Exclude<AdmissionOutcome, { kind: "admitted" | "replay" }>, video: VideoRecord): OpenVError {
    const { termsVersion, maxActiveJobs } = this.#ctx.config;
    switch (outcome.kind) {
      case "access_restricted":
        return accessRestricted();
      case "terms_required":
        return new OpenVError({
          code: "terms_required",
          message: `Accept the terms of use (version ${termsVersion}) before generating videos.`,
          details: { version: termsVersion },
          nextStep: { method: "POST", path: "/terms/accept", body: JSON.stringify({ version: termsVersion }) },
        });
      case "too_many_active_jobs":
        return new OpenVError({
          code: "too_many_active_jobs",
          message: `You already have ${outcome.active} videos queued or processing (the limit is ${maxActiveJobs}). Wait for one to finish.`,
          details: { active: outcome.active, limit: maxActiveJobs },
        });
      case "quota_exceeded":
        return quotaExceeded(this.#ctx.config, video, outcome.usedSeconds, outcome.periodEnd);
      case "insufficient_credits":
        return insufficientCredits(video, outcome.balance);
      case "idempotency_conflict":
      case "idempotency_in_progress":
        return this.#keys.refusal(outcome.kind);
    }
  }
}
