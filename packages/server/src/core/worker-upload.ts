import { createHmac, timingSafeEqual } from "node:crypto";
import { OpenVError } from "./errors.js";
import { attemptOutputKey, attemptOutputKeys } from "./output-keys.js";
import type { Storage, Store, StoredFile } from "./ports.js";

/** Where worker-mochi `PUT`s its MP4: what the job input's `upload` field carries. */
export interface WorkerUploadTarget {
  /** A single-use URL on the server's configured public origin, signed for one video and attempt. */
  url: string;
  /** The largest file the URL takes, in bytes. */
  max_bytes: number;
}

/** Settings of {@link WorkerUploads}. */
export interface WorkerUploadOptions {
  /** The server's signing secret (the webhook secret; the message is domain-separated). */
  secret: string;
  /** The configured public base URL: never a request header. */
  publicUrl: () => string;
  /** The API prefix, e.g. `/api`. */
  prefix: string;
  /** The largest MP4 accepted. @default 64 MiB (Mochi's longest video at 848×480 is ~20 MB) */
  maxBytes?: number;
  /** How long a URL stays valid. @default 25 h: RunPod keeps a job up to its 24 h ttl, queue included */
  ttlMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** The route's path below the prefix. */
export const workerUploadPath = "/worker-uploads/:video/:attempt";

/** The signed query of an upload URL. */
export interface WorkerUploadQuery {
  expires: number;
  max: number;
  token: string;
}

const refused = (message: string) => new OpenVError({ code: "unauthorized", message });

/**
 * Upload URLs for workers that have no storage account of their own (worker-mochi on a self-hosted
 * GPU, or on RunPod without UploadThing): `PUT {publicUrl}{prefix}/worker-uploads/{video}/{attempt}
 * ?expires&max&token`. The HMAC binds video, attempt, expiry and size cap; the file lands at the key
 * the server chose for that video and attempt, once, while that attempt is the video's current one.
 */
export class WorkerUploads {
  readonly #options: Required<Omit<WorkerUploadOptions, "now">> & { now: () => number };

  constructor(options: WorkerUploadOptions) {
    this.#options = {
      maxBytes: 64 * 1024 * 1024,
      ttlMs: 25 * 60 * 60 * 1000,
      now: Date.now,
      ...options,
    };
  }

  /** The largest body the route must take. */
  get maxBytes(): number {
    return this.#options.maxBytes;
  }

  /** A fresh upload URL for `videoId`'s attempt `attempt`. */
  target(videoId: string, attempt: number): WorkerUploadTarget {
    const { publicUrl, prefix, maxBytes, ttlMs, now } = this.#options;
    const expires = Math.floor((now() + ttlMs) / 1000);
    const query = new URLSearchParams({
      expires: String(expires),
      max: String(maxBytes),
      token: this.#sign(videoId, attempt, expires, maxBytes),
    });
    const path = `/worker-uploads/${encodeURIComponent(videoId)}/${attempt}`;
    return { url: `${publicUrl()}${prefix}${path}?${query}`, max_bytes: maxBytes };
  }

  /**
   * Stores the worker's MP4 after checking the URL's signature, expiry and cap, that the attempt is
   * still the video's current one and unfinished, and that nothing was uploaded with it before.
   *
   * @throws `OpenVError` `unauthorized` (bad, expired or spent URL; an attempt that is over),
   *   `payload_too_large`, `validation_failed` (empty body).
   */
  async accept(
    deps: { store: Pick<Store, "getVideoById">; storage: Storage },
    videoId: string,
    attempt: number,
    query: WorkerUploadQuery,
    body: Uint8Array | null,
  ): Promise<StoredFile> {
    const { now } = this.#options;
    const expected = Buffer.from(this.#sign(videoId, attempt, query.expires, query.max));
    const given = Buffer.from(query.token);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw refused("The upload URL is not valid.");
    }
    if (query.expires * 1000 < now()) throw refused("The upload URL has expired.");
    if (!body || body.byteLength === 0) {
      throw new OpenVError({ code: "validation_failed", message: "The upload is empty: send the MP4 as the body." });
    }
    if (body.byteLength > query.max) {
      throw new OpenVError({
        code: "payload_too_large",
        message: `The upload is ${body.byteLength} bytes; this URL takes at most ${query.max}.`,
        details: { limitBytes: query.max },
      });
    }
    const video = await deps.store.getVideoById(videoId);
    if (
      !video ||
      video.deletedAt ||
      video.retryCount !== attempt ||
      video.status === "completed" ||
      video.status === "failed"
    ) {
      throw refused("The upload URL belongs to an attempt that is over.");
    }
    const key = attemptOutputKey(videoId, attempt);
    const used = await deps.storage.readBytes(key).then(
      () => true,
      () => false,
    );
    if (used) throw refused("The upload URL was used already.");
    const stored = await deps.storage.putBytes(key, body, "video/mp4");
    // This attempt replaces the earlier ones: no update of theirs is accepted any more, so a file
    // one of them uploaded before failing (a lost answer, a timeout after the upload) has no use.
    const replaced = attempt > 0 ? attemptOutputKeys(videoId, attempt - 1) : [];
    if (replaced.length > 0) await deps.storage.deleteFiles(replaced).catch(() => undefined);
    return stored;
  }

  #sign(videoId: string, attempt: number, expires: number, maxBytes: number): string {
    return createHmac("sha256", this.#options.secret)
      .update(`worker-upload:${videoId}:${attempt}:${expires}:${maxBytes}`)
      .digest("base64url");
  }
}
