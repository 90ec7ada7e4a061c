import type { VideoOrTombstone, VideoStatus } from "@openv/protocol";
import type { RunPodJob, WorkerInput } from "@openv/protocol/worker";

// The core talks to the outside only through these ports. Adapters implement them under
// src/adapters/<port>/; the core never imports an adapter (shared/CONVENTIONS.md §1–2).

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

/** A stored file and the URL that plays it. */
export interface StoredFile {
  /** The storage key. */
  key: string;
  /** The URL that serves the file. */
  url: string;
}

/** One request of a URL the server did not write itself; `fetch`'s options plus the guard's limits. */
export interface OutboundRequestInit extends RequestInit {
  /** Largest body read, in bytes (the guard's default when absent). */
  maxBytes?: number | undefined;
  /** Time for the whole exchange, body included, in ms (the guard's default when absent). */
  timeoutMs?: number | undefined;
}

/**
 * How the server fetches URLs it did not write (provider outputs, images, workflow endpoints): the
 * guarded fetcher of adapters/net/guarded-fetch.ts, which refuses internal addresses on every hop.
 */
export type OutboundFetch = (url: string | URL, init?: OutboundRequestInit) => Promise<Response>;

/** How `Storage.copyFromUrl` is to fetch. */
export interface CopyRequest {
  /** The fetcher to download with (the server's guarded fetcher). */
  fetch?: OutboundFetch | undefined;
}

/** Where finished videos are kept and served from. */
export interface Storage {
  /** A human-readable name for logs. */
  readonly name: string;
  /** Stores the file at `sourcePath` under `key` (overwriting) and returns where it is served. */
  putFile(key: string, sourcePath: string, contentType: string): Promise<StoredFile>;
  /** Deletes files; keys that do not exist are not an error. */
  deleteFiles(keys: string[]): Promise<void>;
  /** The storage key behind a URL this storage serves, or null for a foreign URL. */
  keyForUrl(url: string): string | null;
  /**
   * Downloads a foreign URL (another provider's file, an expiring link) and stores it under `key`.
   * Throws when the download fails or the file is not of `contentType`'s kind. `options.fetch` is
   * the server's guarded fetcher (its allow-list applies); without it the adapter uses its own.
   */
  copyFromUrl(key: string, url: string, contentType: string, options?: CopyRequest): Promise<StoredFile>;
  /** Stores `bytes` under `key` (overwriting) and returns where it is served. */
  putBytes(key: string, bytes: Uint8Array, contentType: string): Promise<StoredFile>;
  /** The bytes stored under `key`. Throws when there is no such file. */
  readBytes(key: string): Promise<Uint8Array>;
  /**
   * A URL that serves `key` now, for storage whose files are private: a fresh signed URL that
   * expires. Absent for storage whose stored URLs are public and permanent (they are used as stored).
   */
  signedUrl?(key: string): Promise<string>;
  /**
   * Keys of stored files last written before `olderThan`, at most `limit` of them (the orphan
   * sweep deletes those no record points at). Absent for storage that cannot list (not swept).
   */
  listKeys?(options: { olderThan: Date; limit: number }): Promise<string[]>;
}

/** The input image of an image-to-video job, as the provider adapter may need it. */
export interface ProviderImage {
  /** The image's media type: `image/png`, `image/jpeg` or `image/webp`. */
  contentType: string;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /**
   * Where the storage serves it (a signed URL for private storage). It may be unreachable from the
   * provider (local files on 127.0.0.1): adapters that need the image itself use `read()`.
   */
  url: string;
  /** The image's bytes, for adapters that send it inline (a data URI). */
  read(): Promise<Uint8Array>;
}

/** One submission of a video to a provider. `attempt` is the video's retry count at submission. */
export interface ProviderSubmission {
  /** The video being rendered. */
  videoId: string;
  /** The video's retry count when submitted; 0 for the first attempt. */
  attempt: number;
  /** What the worker renders. */
  input: WorkerInput;
  /** Where the provider should report the job's progress and result. */
  webhookUrl: string;
  /**
   * The storage key this attempt's MP4 must be stored under, chosen by the server before submission
   * (a worker writing to our storage uses it; a provider that returns its own URL is copied there).
   * A completion pointing at any other key of our storage is refused.
   */
  outputKey: string;
  /** The provider's name for the model (the catalog's `providerModel`, else its id). */
  model: string;
  /** The video's length in seconds (`num_frames / fps` of the model). */
  durationSeconds: number;
  /** Frames per second of the model. */
  fps: number;
  /** The input image of an image-to-video request; else null. */
  image: ProviderImage | null;
}

/** The raw request of a provider's callback, for adapters that read and verify their own webhook format. */
export interface ProviderWebhookRequest {
  /** The body exactly as received (null when there is none). */
  body: Uint8Array | null;
  /** The request headers, keys lower-cased. */
  headers: Record<string, string | string[] | undefined>;
  /**
   * The provider job id the video's current attempt is waiting on, or null when none is recorded
   * yet (the callback came before the submission's answer was stored). Readers of callback formats
   * that do not carry the whole job id (fal.ai's request id without its app, a workflow's callback)
   * answer it as the update's `id`; the lifecycle ignores an update whose `id` is another job's.
   */
  jobId?: string | null;
}

/** The service that renders videos (RunPod, or the local preview). */
export interface Provider {
  /** A human-readable name for logs. */
  readonly name: string;
  /** Starts a job; throws when the provider refuses or cannot be reached. */
  submit(submission: ProviderSubmission): Promise<{
    /** The provider's id for the new job. */
    jobId: string;
  }>;
  /** The job as the provider sees it now, or null when the provider no longer knows it. */
  status(jobId: string): Promise<RunPodJob | null>;
  /** Cancels an unfinished job; a finished or unknown job is not an error. */
  cancel(jobId: string): Promise<void>;
  /**
   * Reads the provider's own callback format (fal.ai's webhook, a workflow's signed callback) into
   * the lifecycle's job update, after verifying any signature it carries. Absent: the callback body
   * is a RunPod job object. Throws `OpenVError` `unauthorized` (bad signature) or
   * `validation_failed` (not an update).
   */
  readWebhook?(request: ProviderWebhookRequest): Promise<RunPodJob>;
  /** Releases the provider's resources (timers, connections). */
  close?(): Promise<void>;
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

/** One committed change of a user's videos, as live subscribers get it. */
export interface VideoChangeEvent {
  /**
   * The change's number in its user's change sequence (the SSE event id): every change of the
   * user's videos gets the next one, in the order the changes commit, with no gaps.
   */
  seq: number;
  /** The video after the change, or its tombstone. */
  change: VideoOrTombstone;
}

/** Live changes per user: what the SSE route streams. */
export interface Events {
  /** A human-readable name for logs. */
  readonly name: string;
  /** Sends `event` to every subscriber of `userId`, on this instance and (for shared adapters) on others. */
  publish(userId: string, event: VideoChangeEvent): Promise<void>;
  /**
   * Returns the function that unsubscribes. `onMissed` is called when changes may have been missed
   * (a shared adapter's connection to the other instances dropped and is back): the subscriber
   * must catch up from the store.
   */
  subscribe(userId: string, listener: (event: VideoChangeEvent) => void, onMissed?: () => void): () => void;
  /** Stops delivering events and releases connections. */
  close?(): Promise<void>;
}

/** A video row as the store keeps it. */
export interface VideoRecord {
  /** Server-generated, opaque. */
  id: string;
  /** The owner. */
  userId: string;
  /** The provider's job id, null until submitted; a retry gets a new one. */
  jobId: string | null;
  /** What to render. */
  prompt: string;
  /** What to avoid, or null. */
  negativePrompt: string | null;
  /** The model, e.g. `"mochi-1"`. */
  model: string;
  /** Where the video stands; it only moves forward. */
  status: VideoStatus;
  /** 0..1 while processing, when the provider reports it; 1 once completed; else null. */
  progress: number | null;
  /** The playable MP4 once completed; else null. */
  url: string | null;
  /** The key of the video in `Storage`, or null when it is not in this server's storage. */
  storageKey: string | null;
  /** Frames rendered. */
  frames: number;
  /** Frames per second. */
  fps: number;
  /** `frames / fps`: the seconds the quota charges. */
  durationSeconds: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** The seed asked for, or null for a random one. */
  seed: number | null;
  /** Denoising steps. */
  steps: number;
  /** Classifier-free guidance scale. */
  cfg: number;
  /** Why it failed (an error code), when `status` is `failed`; else null. */
  errorCode: string | null;
  /** A readable explanation of the failure, when `status` is `failed`; else null. */
  errorMessage: string | null;
  /** How many times it was resubmitted after a retryable failure. */
  retryCount: number;
  /** When it was requested. */
  createdAt: Date;
  /** When it last changed visibly (the change-feed clock). */
  updatedAt: Date;
  /** When the provider last reported on the job; the reconciler checks videos that stay silent. */
  providerSeenAt: Date | null;
  /** When the user deleted it (a tombstone), or null. */
  deletedAt: Date | null;
  /** Its latest visible change's number in the user's change sequence (see `VideoChangeEvent.seq`). */
  changeSeq: number;
  /** When the current attempt's job was handed to the provider. */
  submittedAt: Date | null;
  /** The provider registry key the video renders on (`"default"`: the server's main provider). */
  provider: string;
  /** The prompt sent to the provider when enhancement rewrote `prompt`; else null. */
  enhancedPrompt: string | null;
  /** The input image (an upload id) of an image-to-video request; else null. */
  inputImageId: string | null;
  /** Credits charged under the credits policy; null under the monthly-seconds policy. */
  creditCost: number | null;
}

/** The fields of a video that change after creation, and the new `updatedAt`. */
export type VideoPatch = Partial<
  Pick<
    VideoRecord,
    | "jobId"
    | "status"
    | "progress"
    | "url"
    | "storageKey"
    | "errorCode"
    | "errorMessage"
    | "retryCount"
    | "providerSeenAt"
    | "deletedAt"
    | "submittedAt"
    | "changeSeq"
  >
> & {
  /** The video's `updatedAt` after the change: the `changeClock` time, or unchanged for a change users cannot see. */
  updatedAt: Date;
};

/** One line of the usage ledger: seconds charged for a video, or refunded. */
export interface UsageEntryRecord {
  /** The video charged or refunded. */
  videoId: string;
  /** A charge, or a refund of an earlier charge. */
  kind: "charge" | "refund";
  /** Seconds of video charged or refunded. */
  seconds: number;
  /** When the entry was made; quota periods are summed by this time. */
  chargedAt: Date;
}

/** One line of the credits ledger. */
export interface CreditEntryRecord {
  /** Unique id. */
  id: string;
  /** The user whose balance changed. */
  userId: string;
  /** Signed change: negative for a charge, positive for a refund or grant. */
  delta: number;
  /** The balance right after this entry. */
  balanceAfter: number;
  /** Why: `generation`, `refund`, `grant`, or a reason an admin gave. */
  reason: string;
  /** The video that caused it, if any. */
  videoId: string | null;
  /** The admin who made a grant; null otherwise. */
  actorId: string | null;
  /** When it was recorded. */
  createdAt: Date;
}

/** An input image a user uploaded. */
export interface UploadRecord {
  /** `upl_…`, opaque. */
  id: string;
  /** The owner. */
  userId: string;
  /** The key in `Storage`. */
  key: string;
  /** Where the storage serves it (as stored; private storage signs it on read). */
  url: string;
  /** `image/png`, `image/jpeg` or `image/webp`, from the file's content. */
  contentType: string;
  /** Size in bytes. */
  bytes: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** When it was uploaded. */
  createdAt: Date;
}

/** A message for the host app's webhook endpoint, kept until delivered (the outbox). */
export interface OutboxRecord {
  /** The Standard Webhooks message id (`webhook-id`); the same on every attempt. */
  id: string;
  /** E.g. `video.completed`. */
  eventType: string;
  /** The JSON payload: `{type, timestamp, data}`. */
  payload: unknown;
  /** Delivery attempts made so far. */
  attempts: number;
  /** When it is due (again). */
  nextAttemptAt: Date;
  /** When it was written (in the same transaction as the change it reports). */
  createdAt: Date;
}

/** What the server remembers of a request sent with an `Idempotency-Key`. */
export interface IdempotencyRecord {
  /** The user who sent the request. */
  userId: string;
  /** The `Idempotency-Key` header value. */
  key: string;
  /** A hash of the request, to tell a retry from a different request reusing the key. */
  fingerprint: string;
  /** The video the request created, once it has one; else null. */
  videoId: string | null;
  /**
   * `running` while the first request is being processed, `done` once it has ended: with its
   * response stored, or without one when it failed after storing its video (a replay then answers
   * with the video as it is now).
   */
  state: "running" | "done";
  /** The HTTP status of the stored response, once `done`; else null. */
  responseStatus: number | null;
  /** The JSON body of the stored response, once `done`; else null. */
  responseBody: unknown;
  /** When the first request arrived. */
  createdAt: Date;
  /** When the record may be deleted and the key reused. */
  expiresAt: Date;
}

/** A position in a list ordered by (time, id). */
export interface ListPosition {
  /** The time the list is ordered by. */
  at: Date;
  /** The id that breaks ties between equal times. */
  id: string;
}

/** Operations inside one database transaction. Plain data access: the rules live in the core. */
export interface StoreTransaction {
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
  /** Locks the user's videos whose id is in `ids` or whose job id is in `jobIds` (in id order), and returns them. */
  lockVideos(userId: string, ids: string[], jobIds: string[]): Promise<VideoRecord[]>;
  /** Inserts a new video. */
  insertVideo(video: VideoRecord): Promise<void>;
  /** Applies `patch` to a video and returns the updated row; throws when it does not exist. */
  updateVideo(videoId: string, patch: VideoPatch): Promise<VideoRecord>;
  /** How many of the user's live videos are `queued` or `processing`. */
  countActiveVideos(userId: string): Promise<number>;
  /** Net seconds charged to the user (charges minus refunds, at least 0) with `chargedAt` in [`periodStart`, `periodEnd`). */
  usedSeconds(userId: string, periodStart: Date, periodEnd: Date): Promise<number>;
  /** Every usage entry of a video. */
  usageEntries(videoId: string): Promise<UsageEntryRecord[]>;
  /** Adds an entry to the user's usage ledger. */
  insertUsageEntry(userId: string, entry: UsageEntryRecord): Promise<void>;
  /** Whether the user has accepted terms `version`. */
  hasAcceptedTerms(userId: string, version: string): Promise<boolean>;
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
  /** The ledger entries of one video (its charge and any refund). */
  creditEntriesOfVideo(videoId: string): Promise<CreditEntryRecord[]>;
  /** Queues a message for the host app's webhook endpoint, committed with the change it reports. */
  enqueueOutbox(message: Pick<OutboxRecord, "id" | "eventType" | "payload" | "nextAttemptAt">): Promise<void>;
}

/** The database: videos, usage, terms acceptances, idempotency records, users and webhook deliveries. */
export interface Store {
  /** A human-readable name for logs, e.g. where the database is. */
  readonly name: string;
  /** Runs `work` in one database transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  /** The user's video with this id (deleted ones too), or null when it does not exist or is someone else's. */
  getVideo(userId: string, videoId: string): Promise<VideoRecord | null>;
  /** The video with this id, whoever owns it, or null. */
  getVideoById(videoId: string): Promise<VideoRecord | null>;
  /** Live (not deleted) videos, newest first, after `cursor` in that order. */
  listLiveVideos(userId: string, limit: number, cursor: ListPosition | null): Promise<VideoRecord[]>;
  /** Every video (tombstones too) changed after `since`, oldest change first, after `cursor`. */
  listChanges(userId: string, since: Date, limit: number, cursor: ListPosition | null): Promise<VideoRecord[]>;
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
  /** Closes the database connection. */
  close(): Promise<void>;
}

/** Rewrites a user's prompt into a richer one before it is rendered (optional step). */
export interface PromptEnhancer {
  /** A human-readable name for logs, e.g. `template` or `OpenAI gpt-4o-mini`. */
  readonly name: string;
  /**
   * The enhanced prompt. Throws when the enhancer cannot answer; the core then renders the
   * original prompt and logs why.
   */
  enhance(request: {
    /** What the user typed. */
    prompt: string;
    /** The catalog model it will render on. */
    model: string;
    /** Whether an input image animates (image-to-video). */
    hasImage: boolean;
  }): Promise<string>;
}

/** Sends one outbound webhook message to the host app (signed); throws when it was not accepted. */
export interface WebhookSender {
  /** A human-readable name for logs (the endpoint, without secrets). */
  readonly name: string;
  /** Delivers the message; resolves on a 2xx answer, throws with the reason otherwise. */
  send(message: OutboxRecord): Promise<void>;
}

/** What the core logs: a pino logger fits. */
export interface Logger {
  /** Logs at info level. */
  info(object: object, message?: string): void;
  /** Logs at warn level. */
  warn(object: object, message?: string): void;
  /** Logs at error level. */
  error(object: object, message?: string): void;
}
