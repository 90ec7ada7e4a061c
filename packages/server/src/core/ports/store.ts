import type { AccessStore, AccessStoreTransaction } from "./access.js";
import type { AdmissionStore } from "./admission.js";
import type {
  CreditEntryRecord,
  IdempotencyRecord,
  ListPosition,
  OutboxRecord,
  UploadRecord,
  UsageEntryRecord,
  VideoPatch,
  VideoRecord,
} from "./records.js";
import type { ShareStore } from "./shares.js"; // Share links (issue 21)

// The database, as the core uses it.

/**
 * One change of a video, decided from the row the server read: what `Store.applyJobUpdate` applies
 * in one round trip.
 */
export interface JobUpdateChange {
  /** The video. */
  videoId: string;
  /** The `changeSeq` of the row the change was decided from; a video changed since is left alone. */
  expectedSeq: number;
  /** The fields that change; `providerSeenAt`, and unless quiet `updatedAt` and `changeSeq`, are stamped by the store. */
  patch: Omit<VideoPatch, "updatedAt" | "providerSeenAt" | "changeSeq" | "deletedAt">;
  /** Only note that the provider spoke: no new change number, `updatedAt` kept. */
  quiet: boolean;
  /**
   * The outbound webhook the change queues, committed with it, or null. The store sets the
   * payload's `timestamp` and `data.updatedAt` to the change's time.
   */
  outbox: Pick<OutboxRecord, "id" | "eventType" | "payload"> | null;
}

/**
 * A deletion of some of a user's videos: what `Store.deleteVideos` applies in one round trip.
 */
export interface VideoDeletion {
  /** Whose videos. */
  userId: string;
  /** Videos to delete by id (someone else's and deleted ones are left alone). */
  ids: string[];
  /** Videos to delete by provider job id. */
  jobIds: string[];
  /**
   * Whether an unfinished video's refund gives back credits (the credits policy) besides the
   * seconds ledger (see `StoreTransaction.refundVideo`).
   */
  refundCredits: boolean;
  /**
   * The outbound webhook queued for each video deleted, committed with it, or null (outbound
   * webhooks off). The store sets the payload's `timestamp`, `data.id` and `data.deletedAt`, and
   * gives each message its own id.
   */
  outbox: Pick<OutboxRecord, "eventType" | "payload"> | null;
}

/** One page of the user's videos, with the change feed's time (`Store.listVideos`). */
export interface VideoPage {
  /** A time as `Store.changeFeedTime` gives it, read before the page. */
  serverTime: Date;
  /** The page. */
  videos: VideoRecord[];
}

// Timing (eta21)
/** What the ETA of unfinished videos is estimated from, read in one round trip (`Store.timingBasis`). */
export interface TimingBasis {
  /** The database clock. */
  now: Date;
  /** Each asked-for video that is not deleted (as it is now: it may have moved on since the change being estimated). */
  videos: {
    /** The video's id. */
    id: string;
    /** When its current attempt began rendering, or null. */
    startedAt: Date | null;
    /** When it was handed to the provider (else created): its wait in line starts there. */
    waitingSince: Date;
    /**
     * How many queued live videos of its provider were created before it: its place in line while
     * it is queued (read whatever its status is now, so a change that says `queued` but was
     * overtaken by a newer one still gets its place).
     */
    queuedBefore: number;
  }[];
  /** The latest finished renders (completed, with `renderSeconds`) of the asked-for videos' models, up to 50 per model. */
  history: {
    /** The model that rendered it. */
    model: string;
    /** Its frames. */
    frames: number;
    /** Its width in pixels. */
    width: number;
    /** Its height in pixels. */
    height: number;
    /** Seconds the worker rendered it. */
    renderSeconds: number;
    /** Seconds it waited for a worker, or null when unknown. */
    queueSeconds: number | null;
  }[];
}

/** Operations inside one database transaction. Plain data access: the rules live in the core. */
export interface StoreTransaction extends AccessStoreTransaction {
  /** Creates the user row if needed and locks it until the transaction ends (serialises a user's submissions). */
  lockUser(userId: string): Promise<void>;
  /**
   * The database clock for stamping a change of `userId`'s videos (ms precision). Holds the user's
   * change-feed lock in shared mode so `Store.changeFeedTime` can never pass a change still in flight.
   */
  changeClock(userId: string): Promise<Date>;
  /**
   * Takes the next `count` numbers of the user's change sequence and returns the first: one per
   * visible change of a video, set as its `changeSeq`. Locks the user's row until the transaction
   * ends, so the numbers are gapless (a rollback returns them) and a user's changes commit in
   * their order: a reader that sees a number has every lower one committed too.
   */
  nextChangeSeq(userId: string, count?: number): Promise<number>;
  /** Locks a video until the transaction ends and returns it, or null when it does not exist. */
  lockVideo(videoId: string): Promise<VideoRecord | null>;
  /** Inserts a new video. */
  insertVideo(video: VideoRecord): Promise<void>;
  /** Applies `patch` to a video and returns the updated row; throws when it does not exist. */
  updateVideo(videoId: string, patch: VideoPatch): Promise<VideoRecord>;
  /** Net seconds charged to the user (charges minus refunds, at least 0) with `chargedAt` in [`periodStart`, `periodEnd`). */
  usedSeconds(userId: string, periodStart: Date, periodEnd: Date): Promise<number>;
  /** Adds an entry to the user's usage ledger. */
  insertUsageEntry(userId: string, entry: UsageEntryRecord): Promise<void>;
  /** The user's idempotency record for `key`, or null. */
  findIdempotency(userId: string, key: string): Promise<IdempotencyRecord | null>;
  /** Creates or replaces the idempotency record for its user and key. */
  upsertIdempotency(record: IdempotencyRecord): Promise<void>;
  /** Deletes the user's idempotency record for `key`, if any. */
  deleteIdempotency(userId: string, key: string): Promise<void>;
  /** The user's credit balance (0 for a user without a row). */
  creditBalance(userId: string): Promise<number>;
  /**
   * Changes the user's balance by `entry.delta` and records the ledger entry, atomically; returns
   * the entry (with the new balance), or null (and changes nothing) when the balance would go
   * below zero or the user has no row. Call `lockUser` first.
   */
  addCreditEntry(entry: Omit<CreditEntryRecord, "balanceAfter" | "createdAt">): Promise<CreditEntryRecord | null>;
  /**
   * Gives back what the video was charged, once: its seconds (a refund entry in the charge's
   * period) and, with `withCredits`, the credits its ledger entries charged and did not refund. A
   * second refund does nothing. One round trip (the SQL function `openv_refund_video`).
   */
  refundVideo(video: Pick<VideoRecord, "id" | "userId">, withCredits: boolean): Promise<void>;
  /** Queues a message for the host app's webhook endpoint, committed with the change it reports. */
  enqueueOutbox(message: Pick<OutboxRecord, "id" | "eventType" | "payload" | "nextAttemptAt">): Promise<void>;
}

/** The database: videos, usage, terms acceptances, idempotency records, users and webhook deliveries. */
export interface Store extends AccessStore, AdmissionStore, ShareStore /* share links (issue 21) */ {
  /** A human-readable name for logs, e.g. where the database is. */
  readonly name: string;
  /** Runs `work` in one database transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  /** The user's video with this id (deleted ones too), or null when it does not exist or is someone else's. */
  getVideo(userId: string, videoId: string): Promise<VideoRecord | null>;
  /** The video with this id, whoever owns it, or null. */
  getVideoById(videoId: string): Promise<VideoRecord | null>;
  /**
   * Applies a change decided from the video's row as read at `change.expectedSeq`, in one round
   * trip and one transaction: the user's next change number (unless quiet), the change-feed clock
   * (taking `changeClock`'s shared lock), the patch, and the outbox message. Returns the row after;
   * null when the video is gone or has changed since it was read (read it again, decide again).
   */
  applyJobUpdate(change: JobUpdateChange): Promise<VideoRecord | null>;
  /**
   * Issue 17: from now on, notify each visible change on PostgreSQL channel `channel` in the
   * statement that makes it (null: stop), marking the rows returned for such changes
   * (`markNotifiedInStatement`). Only for an events adapter listening on the same database.
   * Optional: stores without it leave publishing to `Events.publish`.
   */
  notifyChangesOn?(channel: string | null): void;
  /**
   * One page of the user's videos and the change feed's time, in one round trip: with `since`
   * null the live (not deleted) videos newest first, else every video (tombstones too) changed
   * after `since`, oldest change first; after `cursor` in that order, at most `limit`. Every
   * change stamped at or before `serverTime` is in the page or before the cursor (see
   * `changeFeedTime`).
   */
  listVideos(
    userId: string,
    query: { since: Date | null; limit: number; cursor: ListPosition | null },
  ): Promise<VideoPage>;
  /**
   * Deletes the videos `deletion` names, in one round trip and one transaction: locks them (in
   * id order), takes a change number for each (consecutive, in id order), stamps `deletedAt` and
   * `updatedAt` with the change-feed clock (taking `changeClock`'s shared lock), refunds each
   * unfinished one (not completed), and queues the outbox messages. Returns the tombstones in
   * change order; deleted, missing and other users' videos are left out.
   */
  deleteVideos(deletion: VideoDeletion): Promise<VideoRecord[]>;
  /**
   * The user's videos (tombstones too) whose latest change is numbered after `afterSeq` and, when
   * given, was made after `updatedAfter`; in change order, at most `limit`.
   */
  listChangesAfterSeq(
    userId: string,
    afterSeq: number,
    updatedAfter: Date | null,
    limit: number,
  ): Promise<VideoRecord[]>;
  /** The number of the user's latest committed change (0 for none). */
  lastChangeSeq(userId: string): Promise<number>;
  /**
   * A time T such that every change of `userId`'s videos stamped at or before T has committed, and
   * every later change will be stamped after T. Clients pass it back as `updatedSince`.
   */
  changeFeedTime(userId: string): Promise<Date>;
  /** Net seconds charged to the user (charges minus refunds, at least 0) with `chargedAt` in [`periodStart`, `periodEnd`). */
  usedSeconds(userId: string, periodStart: Date, periodEnd: Date): Promise<number>;
  /** When the user accepted terms `version`, or null if they have not. */
  termsAcceptance(
    userId: string,
    version: string,
  ): Promise<{
    /** When the terms were accepted. */
    acceptedAt: Date;
  } | null>;
  /** Records an acceptance (keeping the first one of a version) and returns it. */
  acceptTerms(
    userId: string,
    version: string,
  ): Promise<{
    /** When the terms were (first) accepted. */
    acceptedAt: Date;
  }>;
  /**
   * Claims up to `limit` unfinished, live videos whose provider has been silent for `silentForMs`
   * and that no reconciler holds, and holds them for `holdForMs` (times by the database clock).
   * Safe across server instances: a row claimed (or being claimed) by one is skipped by the others.
   */
  claimSilentVideos(silentForMs: number, holdForMs: number, limit: number): Promise<VideoRecord[]>;
  /**
   * Holds these claimed videos for another `holdForMs` from now (the claimer is still working on
   * them); a released claim stays released.
   */
  renewClaims(videoIds: string[], holdForMs: number): Promise<void>;
  /** Lets the next reconcile pass look at these videos again. */
  releaseClaims(videoIds: string[]): Promise<void>;
  /** Ids of the user's videos that are not deleted. */
  liveVideoIds(userId: string): Promise<string[]>;
  /** Creates or updates a user from the identity provider; a user marked deleted stays deleted. */
  upsertUser(userId: string, profile: { email: string | null }): Promise<void>;
  /** Marks a user deleted at `at`, creating the row if needed; an earlier deletion time is kept. */
  markUserDeleted(userId: string, at: Date): Promise<void>;
  /** Clears a user's deletion mark (the identity provider created the account again). */
  reactivateUser(userId: string): Promise<void>;
  /** When the user was deleted, or null for an active (or unknown) user. */
  userDeletedAt(userId: string): Promise<Date | null>;
  /** The videos (deleted ones included) with these ids. */
  videosByIds(ids: string[]): Promise<VideoRecord[]>;
  /** Which of these storage keys an upload record points at. */
  existingUploadKeys(keys: string[]): Promise<string[]>;
  /** Deletes every upload record of the user and returns them (their files are the caller's to delete). */
  deleteUploadsOfUser(userId: string): Promise<UploadRecord[]>;
  /** Whether a webhook delivery from `source` with this id was already recorded. */
  hasWebhookDelivery(source: string, deliveryId: string): Promise<boolean>;
  /** Records a webhook delivery from `source`, so a redelivery can be recognised; recording twice is not an error. */
  recordWebhookDelivery(source: string, deliveryId: string): Promise<void>;
  /** Deletes idempotency records expired at or before `now`; returns how many. */
  deleteExpiredIdempotency(now: Date): Promise<number>;
  /** Deletes webhook deliveries received before `before`; returns how many. */
  deleteWebhookDeliveriesBefore(before: Date): Promise<number>;
  /** The user's credit balance (0 for an unknown user). */
  creditBalance(userId: string): Promise<number>;
  /** The user's newest ledger entries first, up to `limit`. */
  listCreditEntries(userId: string, limit: number): Promise<CreditEntryRecord[]>;
  /** Records an upload. */
  insertUpload(upload: UploadRecord): Promise<void>;
  /** The user's upload with this id, or null when it does not exist or is someone else's. */
  getUpload(userId: string, uploadId: string): Promise<UploadRecord | null>;
  /** The user's upload stored under `key`, or null. */
  findUploadByKey(userId: string, key: string): Promise<UploadRecord | null>;
  /**
   * Claims up to `limit` undelivered outbox messages that are due and that no dispatcher holds, and
   * holds them for `holdForMs` (database clock). Safe across server instances.
   */
  claimOutbox(holdForMs: number, limit: number): Promise<OutboxRecord[]>;
  /**
   * Records the outcome of a delivery attempt: delivered, due again at `retryAt`, or given up
   * (`retryAt` null). Counts the attempt and releases the claim.
   */
  settleOutbox(
    id: string,
    outcome: { delivered: true } | { delivered: false; error: string; retryAt: Date | null },
  ): Promise<void>;
  // Timing (eta21)
  /** The basis of the ETA of these videos (see `TimingBasis`), in one round trip. */
  timingBasis(videoIds: string[]): Promise<TimingBasis>;
  /**
   * posters21: claims up to `limit` live completed videos without previews (among `videoIds` when
   * given) that have been tried fewer than `maxAttempts` times and not in the last `retryAfterMs`;
   * counts the attempt and stamps the claim (database clock). Rows another instance is claiming are
   * skipped. Newest change first. Changes nothing a user sees.
   */
  claimPreviewWork(options: {
    videoIds: string[] | null;
    retryAfterMs: number;
    maxAttempts: number;
    limit: number;
  }): Promise<VideoRecord[]>;
  /** Closes the database connection. */
  close(): Promise<void>;
}
