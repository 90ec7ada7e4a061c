import type { RunPodJob, VideoOrTombstone, VideoStatus, WorkerInput } from "@openv/protocol";

// The core talks to the outside only through these ports. Adapters implement them under
// src/adapters/<port>/; the core never imports an adapter (shared/CONVENTIONS.md §1–2).

/** The request facts an `Auth` adapter may look at. */
export interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
}

/** Who is calling. Throws `OpenVError("unauthorized")` when the credentials are missing or invalid. */
export interface Auth {
  readonly name: string;
  authenticate(request: AuthRequest): Promise<{ userId: string }>;
}

/** A stored file and the URL that plays it. */
export interface StoredFile {
  key: string;
  url: string;
}

export interface Storage {
  readonly name: string;
  /** Stores the file at `sourcePath` under `key` (overwriting) and returns where it is served. */
  putFile(key: string, sourcePath: string, contentType: string): Promise<StoredFile>;
  /** Deletes files; keys that do not exist are not an error. */
  deleteFiles(keys: string[]): Promise<void>;
  /** The storage key behind a URL this storage serves, or null for a foreign URL. */
  keyForUrl(url: string): string | null;
  /**
   * Downloads a foreign URL (another provider's file, an expiring link) and stores it under `key`.
   * Throws when the download fails or the file is not of `contentType`'s kind.
   */
  copyFromUrl(key: string, url: string, contentType: string): Promise<StoredFile>;
}

/** One submission of a video to a provider. `attempt` is the video's retry count at submission. */
export interface ProviderSubmission {
  videoId: string;
  attempt: number;
  input: WorkerInput;
  webhookUrl: string;
}

export interface Provider {
  readonly name: string;
  /** Starts a job; throws when the provider refuses or cannot be reached. */
  submit(submission: ProviderSubmission): Promise<{ jobId: string }>;
  /** The job as the provider sees it now, or null when the provider no longer knows it. */
  status(jobId: string): Promise<RunPodJob | null>;
  /** Cancels an unfinished job; a finished or unknown job is not an error. */
  cancel(jobId: string): Promise<void>;
  close?(): Promise<void>;
}

/** A verified user-directory event from the identity provider (Clerk's user webhooks). */
export type UserEvent =
  | { type: "user.upserted"; deliveryId: string; userId: string; email: string | null }
  | { type: "user.deleted"; deliveryId: string; userId: string }
  /** A verified event OpenV has no use for (answered 200 so the sender stops retrying). */
  | { type: "ignored"; deliveryId: string; eventType: string };

/** Verifies signed user-event webhooks (Svix for Clerk). */
export interface UserEventVerifier {
  readonly name: string;
  /**
   * Checks the signature over the exact raw body and the timestamp's freshness, then reads the
   * event. Throws `OpenVError("unauthorized")` for a bad signature or a stale timestamp, and
   * `OpenVError("validation_failed")` for a signed body that is not an event.
   */
  verify(rawBody: string, headers: Record<string, string | string[] | undefined>): Promise<UserEvent>;
}

/** Live changes per user: what the SSE route streams. */
export interface Events {
  readonly name: string;
  publish(userId: string, change: VideoOrTombstone): Promise<void>;
  /** Returns the function that unsubscribes. */
  subscribe(userId: string, listener: (change: VideoOrTombstone) => void): () => void;
  close?(): Promise<void>;
}

/** A video row as the store keeps it. */
export interface VideoRecord {
  id: string;
  userId: string;
  jobId: string | null;
  prompt: string;
  negativePrompt: string | null;
  model: string;
  status: VideoStatus;
  progress: number | null;
  url: string | null;
  storageKey: string | null;
  frames: number;
  fps: number;
  durationSeconds: number;
  width: number;
  height: number;
  seed: number | null;
  steps: number;
  cfg: number;
  errorCode: string | null;
  errorMessage: string | null;
  retryCount: number;
  createdAt: Date;
  updatedAt: Date;
  providerSeenAt: Date | null;
  deletedAt: Date | null;
  /** When the current attempt's job was handed to the provider. */
  submittedAt: Date | null;
}

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
  >
> & { updatedAt: Date };

export interface UsageEntryRecord {
  videoId: string;
  kind: "charge" | "refund";
  seconds: number;
  chargedAt: Date;
}

export interface IdempotencyRecord {
  userId: string;
  key: string;
  fingerprint: string;
  videoId: string | null;
  state: "running" | "done";
  responseStatus: number | null;
  responseBody: unknown;
  createdAt: Date;
  expiresAt: Date;
}

/** A position in a list ordered by (time, id). */
export interface ListPosition {
  at: Date;
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
  lockVideo(videoId: string): Promise<VideoRecord | null>;
  lockVideos(userId: string, ids: string[], jobIds: string[]): Promise<VideoRecord[]>;
  insertVideo(video: VideoRecord): Promise<void>;
  updateVideo(videoId: string, patch: VideoPatch): Promise<VideoRecord>;
  countActiveVideos(userId: string): Promise<number>;
  usedSeconds(userId: string, periodStart: Date, periodEnd: Date): Promise<number>;
  usageEntries(videoId: string): Promise<UsageEntryRecord[]>;
  insertUsageEntry(userId: string, entry: UsageEntryRecord): Promise<void>;
  hasAcceptedTerms(userId: string, version: string): Promise<boolean>;
  findIdempotency(userId: string, key: string): Promise<IdempotencyRecord | null>;
  upsertIdempotency(record: IdempotencyRecord): Promise<void>;
  deleteIdempotency(userId: string, key: string): Promise<void>;
}

export interface Store {
  readonly name: string;
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  getVideo(userId: string, videoId: string): Promise<VideoRecord | null>;
  getVideoById(videoId: string): Promise<VideoRecord | null>;
  /** Live (not deleted) videos, newest first, after `cursor` in that order. */
  listLiveVideos(userId: string, limit: number, cursor: ListPosition | null): Promise<VideoRecord[]>;
  /** Every video (tombstones too) changed after `since`, oldest change first, after `cursor`. */
  listChanges(userId: string, since: Date, limit: number, cursor: ListPosition | null): Promise<VideoRecord[]>;
  /**
   * A time T such that every change of `userId`'s videos stamped at or before T has committed, and
   * every later change will be stamped after T. Clients pass it back as `updatedSince`.
   */
  changeFeedTime(userId: string): Promise<Date>;
  usedSeconds(userId: string, periodStart: Date, periodEnd: Date): Promise<number>;
  termsAcceptance(userId: string, version: string): Promise<{ acceptedAt: Date } | null>;
  /** Records an acceptance (keeping the first one of a version) and returns it. */
  acceptTerms(userId: string, version: string): Promise<{ acceptedAt: Date }>;
  /**
   * Claims up to `limit` unfinished, live videos whose provider has been silent for `silentForMs`
   * and that no reconciler holds, and holds them for `holdForMs` (times by the database clock).
   * Safe across server instances: a row claimed (or being claimed) by one is skipped by the others.
   */
  claimSilentVideos(silentForMs: number, holdForMs: number, limit: number): Promise<VideoRecord[]>;
  /** Lets the next reconcile pass look at these videos again. */
  releaseClaims(videoIds: string[]): Promise<void>;
  /** Ids of the user's videos that are not deleted. */
  liveVideoIds(userId: string): Promise<string[]>;
  /** Creates or updates a user from the identity provider; a user marked deleted stays deleted. */
  upsertUser(userId: string, profile: { email: string | null }): Promise<void>;
  markUserDeleted(userId: string, at: Date): Promise<void>;
  hasWebhookDelivery(source: string, deliveryId: string): Promise<boolean>;
  recordWebhookDelivery(source: string, deliveryId: string): Promise<void>;
  deleteExpiredIdempotency(now: Date): Promise<number>;
  deleteWebhookDeliveriesBefore(before: Date): Promise<number>;
  close(): Promise<void>;
}

/** What the core logs: a pino logger fits. */
export interface Logger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}
