import { createHash, randomBytes } from "node:crypto";
import {
  type CreatedShare,
  type CreateShareRequest,
  defaultShareExpiresInSeconds,
  type ListSharesResponse,
  type Share,
} from "@openv/protocol";
import { notFound, OpenVError } from "./errors.js";
import type { Logger, ShareRecord, Store, VideoRecord } from "./ports.js";

/** What the share-link room needs. */
export interface SharesDependencies {
  /** The store (its `ShareStore` part). */
  store: Store;
  /** Where the room logs (never a token). */
  logger: Logger;
  /** The link's page URL for a token: built from the configured public URL, never a request header. */
  shareUrl: (token: string) => string;
  /** The clock, in Unix ms (tests advance it). Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** A share link's token: 32 random bytes (256 bits), base64url. */
const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

/** The hex SHA-256 of a token: what the store keeps and looks links up by. */
export function shareTokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

const toShare = (record: ShareRecord): Share => ({
  id: record.id,
  videoId: record.videoId,
  createdAt: record.createdAt.toISOString(),
  expiresAt: record.expiresAt.toISOString(),
});

/** What a link's token opens: the live link and its completed video. */
export interface OpenedShare {
  /** The link. */
  share: ShareRecord;
  /** Its video, completed and not deleted. */
  video: VideoRecord;
}

/**
 * Share links (issue 21): a URL that plays one of the user's completed videos with no account,
 * until it expires, is revoked or the video is deleted — each ends it at once. The token in the
 * URL is the capability; the store keeps only its hash, so the URL is shown once.
 */
export class Shares {
  readonly #deps: SharesDependencies;
  readonly #now: () => number;

  constructor(deps: SharesDependencies) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** The page URL of a link's token. */
  shareUrlOf(token: string): string {
    return this.#deps.shareUrl(token);
  }

  /**
   * Makes a link to the user's completed video.
   *
   * @throws `OpenVError` `not_found` when the video is not the user's or was deleted;
   * `video_not_completed` when it has nothing to play yet.
   */
  async createShare(userId: string, videoId: string, request: CreateShareRequest): Promise<CreatedShare> {
    const video = await this.#ownVideo(userId, videoId);
    if (video.status !== "completed") {
      throw new OpenVError({
        code: "video_not_completed",
        message: `Video ${video.id} is ${video.status}: only a completed video can be shared. Wait for it to complete.`,
        details: { status: video.status },
      });
    }
    const token = randomBytes(32).toString("base64url");
    const createdAt = new Date(this.#now());
    const record: ShareRecord = {
      id: `shr_${randomBytes(12).toString("base64url")}`,
      videoId: video.id,
      userId,
      tokenHash: shareTokenHash(token),
      createdAt,
      expiresAt: new Date(createdAt.getTime() + (request.expiresInSeconds ?? defaultShareExpiresInSeconds) * 1000),
      revokedAt: null,
    };
    await this.#deps.store.insertShare(record);
    this.#deps.logger.info({ userId, videoId: video.id, shareId: record.id }, "share link created");
    return { ...toShare(record), url: this.#deps.shareUrl(token) };
  }

  /** The video's links that still work, newest first. @throws `not_found` as `createShare`. */
  async listShares(userId: string, videoId: string): Promise<ListSharesResponse> {
    await this.#ownVideo(userId, videoId);
    const records = await this.#deps.store.listLiveShares(userId, videoId, new Date(this.#now()));
    return { shares: records.map(toShare) };
  }

  /** Ends a link at once. @throws `not_found` when the user has no such link of that video. */
  async revokeShare(userId: string, videoId: string, shareId: string): Promise<void> {
    const revoked = await this.#deps.store.revokeShare(userId, videoId, shareId, new Date(this.#now()));
    if (!revoked) throw notFound("share link");
    this.#deps.logger.info({ userId, videoId, shareId }, "share link revoked");
  }

  /**
   * What a token opens. Checked on every request, so a revoke, the expiry or the video's deletion
   * ends the link at once.
   *
   * @throws `OpenVError` `not_found` for an unknown, revoked or expired link, or one whose video was
   * deleted (one answer for all, so a stranger learns nothing).
   */
  async openShare(token: string): Promise<OpenedShare> {
    const gone = () =>
      new OpenVError({
        code: "not_found",
        message:
          "This share link does not exist, was revoked, has expired, or its video was deleted. Ask its owner for a new one.",
      });
    if (!tokenPattern.test(token)) throw gone();
    const found = await this.#deps.store.findShareByTokenHash(shareTokenHash(token));
    if (!found) throw gone();
    const { share, video } = found;
    const live =
      share.revokedAt === null &&
      share.expiresAt.getTime() > this.#now() &&
      video.deletedAt === null &&
      video.userId === share.userId &&
      video.status === "completed";
    if (!live) throw gone();
    return { share, video };
  }

  async #ownVideo(userId: string, videoId: string): Promise<VideoRecord> {
    const video = await this.#deps.store.getVideo(userId, videoId);
    if (!video || video.deletedAt) throw notFound();
    return video;
  }
}
