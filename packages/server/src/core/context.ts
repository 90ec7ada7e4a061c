import type { Usage, VideoStatus } from "@openv/protocol";
import { AccountStatus } from "./accounts.js";
import { type BillingPolicy, billingPolicy } from "./billing.js";
import { ModelCatalog as DefaultCatalog, type ModelCatalog } from "./catalog.js";
import type { LifecycleConfig } from "./config.js";
import type { Events, Logger, OutboundFetch, PromptEnhancer, Provider, Storage, Store, VideoRecord } from "./ports.js";

/** What a `VideoLifecycle` works with: the adapters, the rules and the webhook signing. */
export interface LifecycleDependencies {
  /** The database. */
  store: Store;
  /** The service that renders the videos. */
  provider: Provider;
  /**
   * More providers by registry key, for catalog models that render elsewhere (fal.ai, Runway, a
   * workflow). A video whose key is missing here (or `"default"`) uses `provider`.
   */
  providers?: Readonly<Record<string, Provider>>;
  /** Where finished videos are kept. */
  storage: Storage;
  /**
   * The guarded fetcher foreign outputs are copied with (`Storage.copyFromUrl`); see
   * adapters/net/guarded-fetch.ts. Absent: the storage adapter's own, guarded by default.
   */
  outboundFetch?: OutboundFetch | undefined;
  /** Where video changes are published for live subscribers. */
  events: Events;
  /** Quota, terms, retry and idempotency rules. */
  config: LifecycleConfig;
  /** Where transitions and failures are logged. */
  logger: Logger;
  /** Signs webhook URLs; see webhook-token.ts. */
  webhookSecret: string;
  /** The webhook URL the provider calls for one submission of one video. */
  webhookUrl(videoId: string, attempt: number): string;
  /** The models users may ask for, their limits, prices and providers. Default: Mochi 1 only. */
  models?: ModelCatalog;
  /** Rewrites prompts of requests with `enhancePrompt: true`; null or absent: such requests are refused. */
  enhancer?: PromptEnhancer | null;
  /**
   * Whether to queue outbound webhooks to the host app (`video.completed`, `video.failed`,
   * `video.deleted`) in the outbox, in the transaction of the change they report. Default false.
   */
  outboundWebhooks?: boolean;
  /** Called after a transaction that queued outbox messages has committed (wakes the dispatcher). */
  onOutboxCommitted?: () => void;
  // Invite-only access (access21):
  /** The time voucher expiry is judged by. Default the system clock (tests advance their own). */
  clock?: () => Date;
}

/**
 * What every room of the lifecycle shares: the dependencies, the billing policy and model catalog
 * they imply, the account-status cache, and the small steps every room takes (which provider a
 * video renders on, a file's URL, deleting files, logging a transition).
 */
export class LifecycleContext {
  readonly deps: LifecycleDependencies;
  readonly billing: BillingPolicy;
  readonly models: ModelCatalog;
  readonly accounts: AccountStatus;

  constructor(deps: LifecycleDependencies) {
    this.deps = deps;
    this.accounts = new AccountStatus(deps.store);
    this.billing = billingPolicy(deps.config);
    this.models = deps.models ?? new DefaultCatalog();
  }

  get config(): LifecycleConfig {
    return this.deps.config;
  }

  get logger(): Logger {
    return this.deps.logger;
  }

  /** The provider a video renders on (its registry key, else the server's main provider). */
  providerOf(video: Pick<VideoRecord, "provider">): Provider {
    return this.deps.providers?.[video.provider] ?? this.deps.provider;
  }

  /** The URL to hand out for a stored file: freshly signed for private storage, else as stored. */
  async fileUrl(key: string, storedUrl: string): Promise<string> {
    const { storage } = this.deps;
    return storage.signedUrl ? storage.signedUrl(key) : storedUrl;
  }

  /** Deletes stored files; a failure is logged (the operator deletes them by hand), never thrown. */
  async deleteFiles(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.deps.storage.deleteFiles(keys);
    } catch (error) {
      this.deps.logger.error({ keys, err: error }, "could not delete stored files; delete them by hand");
    }
  }

  /** The user's usage in the current period: seconds, and the credit balance under the credits policy. */
  usage(userId: string): Promise<Usage> {
    return this.billing.usage(this.deps.store, userId, new Date());
  }

  logTransition(video: VideoRecord, from: VideoStatus | null, to: VideoStatus): void {
    this.deps.logger.info(
      {
        videoId: video.id,
        userId: video.userId,
        jobId: video.jobId,
        from,
        to,
        retryCount: video.retryCount,
        ...(video.errorCode && { error: video.errorCode }),
      },
      `video ${from ?? "new"} → ${to}`,
    );
  }
}
