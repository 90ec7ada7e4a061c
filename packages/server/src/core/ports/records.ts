import type { VideoStatus } from "@openv/protocol";

// The rows the store keeps, as the core reads and writes them.

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
  /** Remix (issue 21): the video this one was remixed from; null for a fresh request. */
  remixOf: string | null;
  // Timing (eta21)
  /** When the current attempt began rendering (the provider reported it in progress); else null. */
  startedAt: Date | null;
  /** Seconds the current attempt waited for a worker (the provider's figure, else measured); else null. */
  queueSeconds: number | null;
  /** Seconds the worker rendered (the provider's figure, else measured), once finished; else null. */
  renderSeconds: number | null;
  // posters21: derived after completion (core/previews.ts); all null until then.
  /** The poster's storage key, or null. */
  posterKey: string | null;
  /** Where the storage serves the poster (as stored; private storage signs it on read), or null. */
  posterUrl: string | null;
  /** The sprite sheet's storage key, or null. */
  spriteKey: string | null;
  /** Where the storage serves the sprite sheet (as stored), or null. */
  spriteUrl: string | null;
  /** Frames per row of the sprite sheet, or null. */
  spriteColumns: number | null;
  /** Rows of the sprite sheet, or null. */
  spriteRows: number | null;
  /** Width of one sprite frame in pixels, or null. */
  spriteFrameWidth: number | null;
  /** Height of one sprite frame in pixels, or null. */
  spriteFrameHeight: number | null;
  /** Seconds between two sprite frames, or null. */
  spriteInterval: number | null;
}

/** The preview fields of a video (posters21): all set together, or all null. */
export type VideoPreviewFields = Pick<
  VideoRecord,
  | "posterKey"
  | "posterUrl"
  | "spriteKey"
  | "spriteUrl"
  | "spriteColumns"
  | "spriteRows"
  | "spriteFrameWidth"
  | "spriteFrameHeight"
  | "spriteInterval"
>;

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
    // Timing (eta21)
    | "startedAt"
    | "queueSeconds"
    | "renderSeconds"
  >
> &
  Partial<VideoPreviewFields> & {
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
