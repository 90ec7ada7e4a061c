import type { CreditsResponse, GrantCreditsRequest, GrantCreditsResponse, Usage } from "@openv/protocol";
import type { ModelDefinition } from "./catalog.js";
import { type LifecycleConfig, quotaPeriod } from "./config.js";
import type { LifecycleContext } from "./context.js";
import { OpenVError } from "./errors.js";
import type { AdmittedUsage, Store, StoreTransaction, VideoRecord } from "./ports.js";
import { toCreditEntry } from "./video-shape.js";

/**
 * How videos are paid for. The charge is the store's, in the statement that admits the video
 * (`Store.admitAndInsertVideo`: the user's lock keeps parallel requests from passing the limit, and
 * a charge and its video commit together); refunds run inside the lifecycle's transactions.
 */
export interface BillingPolicy {
  /** `seconds`: a monthly allowance of seconds; `credits`: a prepaid balance and a price per model. */
  readonly kind: "seconds" | "credits";
  /** The credits a video of `model` costs under this policy, or null when it does not deal in credits. */
  priceOf(model: ModelDefinition): number | null;
  /** Gives back what `charge` took for a video that will not complete; a second refund does nothing. */
  refund(tx: StoreTransaction, video: VideoRecord, now: Date): Promise<void>;
  /** The user's usage now: seconds this period and, for credits, the balance. */
  usage(store: Store, userId: string, now: Date): Promise<Usage>;
  /** The user's usage as the admission of a video left it (no read: the admission returned it). */
  admittedUsage(usage: AdmittedUsage): Usage;
}

const roundSeconds = (seconds: number) => Math.round(seconds * 1000) / 1000;

/** The monthly-seconds allowance of shared/API.md: `quota_exceeded` past `monthlyLimitSeconds`. */
export function secondsPolicy(config: LifecycleConfig): BillingPolicy {
  return {
    kind: "seconds",
    priceOf: () => null,
    async refund(tx, video) {
      // The seconds back, once, in the charge's period: stated in SQL (openv_refund_video).
      await tx.refundVideo(video, false);
    },
    async usage(store, userId, now) {
      const period = quotaPeriod(config, now);
      const used = await store.usedSeconds(userId, period.start, period.end);
      return secondsUsage(config, used, period);
    },
    admittedUsage: (usage) =>
      secondsUsage(config, usage.usedSeconds, { start: usage.periodStart, end: usage.periodEnd }),
  };
}

/**
 * Prepaid credits: each video costs its model's `cost.credits`, deducted atomically (the balance can
 * never go below zero) with a ledger entry, and refunded with another when the video fails or is
 * deleted unfinished. `402 insufficient_credits` says the balance and the price.
 */
export function creditsPolicy(config: LifecycleConfig): BillingPolicy {
  return {
    kind: "credits",
    priceOf: (model) => model.cost.credits,
    async refund(tx, video) {
      // The seconds, and the credits charged less any refunded, back once: stated in SQL
      // (openv_refund_video); its balance UPDATE locks the user's row like every other.
      await tx.refundVideo(video, true);
    },
    async usage(store, userId, now) {
      const period = quotaPeriod(config, now);
      const [used, balance] = await Promise.all([
        store.usedSeconds(userId, period.start, period.end),
        store.creditBalance(userId),
      ]);
      return creditsUsage(used, balance, period);
    },
    admittedUsage: (usage) =>
      creditsUsage(usage.usedSeconds, usage.balance, { start: usage.periodStart, end: usage.periodEnd }),
  };
}

type Period = { start: Date; end: Date };

function secondsUsage(config: LifecycleConfig, used: number, period: Period): Usage {
  const { monthlyLimitSeconds } = config;
  return {
    usedSeconds: roundSeconds(used),
    limitSeconds: monthlyLimitSeconds,
    remainingSeconds: roundSeconds(Math.max(0, monthlyLimitSeconds - used)),
    periodStart: period.start.toISOString(),
    periodEnd: period.end.toISOString(),
    credits: null,
  };
}

function creditsUsage(used: number, balance: number, period: Period): Usage {
  return {
    usedSeconds: roundSeconds(used),
    limitSeconds: null,
    remainingSeconds: null,
    periodStart: period.start.toISOString(),
    periodEnd: period.end.toISOString(),
    credits: { balance },
  };
}

/**
 * The refusal of a video whose seconds do not fit in the period's allowance (the store decides it:
 * see `Store.admitAndInsertVideo`), with `used` seconds charged this period and the period's end.
 */
export function quotaExceeded(config: LifecycleConfig, video: VideoRecord, used: number, periodEnd: Date): OpenVError {
  const { monthlyLimitSeconds } = config;
  const requested = video.durationSeconds;
  const remaining = Math.max(0, monthlyLimitSeconds - used);
  return new OpenVError({
    code: "quota_exceeded",
    message: `This video needs ${roundSeconds(requested)} s but only ${roundSeconds(remaining)} s of your ${monthlyLimitSeconds} s remain until ${periodEnd.toISOString()}. Request a shorter video or wait for the next period.`,
    details: {
      limitSeconds: monthlyLimitSeconds,
      usedSeconds: roundSeconds(used),
      remainingSeconds: roundSeconds(remaining),
      requestedSeconds: roundSeconds(requested),
    },
  });
}

/** The refusal of a video whose price is more than the balance (the store decides it, as above). */
export function insufficientCredits(video: VideoRecord, balance: number): OpenVError {
  const price = video.creditCost ?? 0;
  return new OpenVError({
    code: "insufficient_credits",
    message: `${video.model} costs ${price} credit${price === 1 ? "" : "s"} and your balance is ${balance}. Add credits, or choose a cheaper model (GET /api/models lists the prices).`,
    details: { balance, price, model: video.model },
  });
}

/** The policy `config.billing` names. */
export function billingPolicy(config: LifecycleConfig): BillingPolicy {
  return config.billing === "credits" ? creditsPolicy(config) : secondsPolicy(config);
}

/** A ledger entry id. */
export function newEntryId(): string {
  return `cre_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** Credit balances as users and admins see them: the balance with its ledger, and admin grants. */
export class CreditAccounts {
  readonly #ctx: LifecycleContext;

  constructor(ctx: LifecycleContext) {
    this.#ctx = ctx;
  }

  /** The user's credit balance and newest ledger entries. */
  async credits(userId: string, limit: number): Promise<CreditsResponse> {
    const { store } = this.#ctx.deps;
    const [balance, entries] = await Promise.all([store.creditBalance(userId), store.listCreditEntries(userId, limit)]);
    return { balance, entries: entries.map(toCreditEntry) };
  }

  /**
   * Adds (or removes) credits for a user, with a ledger entry naming the admin. Only users in
   * `config.adminUserIds` may.
   *
   * @throws `OpenVError` `forbidden` for anyone else; `insufficient_credits` when a removal would
   * take the balance below zero.
   */
  async grantCredits(actorId: string, grant: GrantCreditsRequest): Promise<GrantCreditsResponse> {
    if (!this.#ctx.config.adminUserIds.includes(actorId)) {
      throw new OpenVError({
        code: "forbidden",
        message:
          "Only admins may grant credits. Ask an operator to add your user id to OPENV_ADMIN_USER_IDS (or adminUserIds).",
      });
    }
    const entry = await this.#ctx.deps.store.transaction(async (tx) => {
      await tx.lockUser(grant.userId);
      const added = await tx.addCreditEntry({
        id: newEntryId(),
        userId: grant.userId,
        delta: grant.credits,
        reason: grant.reason ?? "grant",
        videoId: null,
        actorId,
      });
      if (added === null) {
        const current = await tx.creditBalance(grant.userId);
        throw new OpenVError({
          code: "insufficient_credits",
          message: `Removing ${-grant.credits} credits would take the balance of ${grant.userId} (${current}) below zero. Remove at most ${current}.`,
          details: { balance: current, price: -grant.credits, model: "" },
        });
      }
      return added;
    });
    this.#ctx.deps.logger.info(
      { userId: grant.userId, actorId, credits: grant.credits, balance: entry.balanceAfter, reason: entry.reason },
      "credits granted",
    );
    return { balance: entry.balanceAfter, entry: toCreditEntry(entry) };
  }
}
