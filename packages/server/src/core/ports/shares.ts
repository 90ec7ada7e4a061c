import type { VideoRecord } from "./records.js";

// Share links (issue 21): the rows the store keeps and the operations on them.

/** A share link as the store keeps it: never the token, only its hash. */
export interface ShareRecord {
  /** `shr_…`, opaque. */
  id: string;
  /** The video it plays. */
  videoId: string;
  /** The video's owner, who made the link. */
  userId: string;
  /** Hex SHA-256 of the link's token. */
  tokenHash: string;
  /** When it was made. */
  createdAt: Date;
  /** When it stops working. */
  expiresAt: Date;
  /** When the owner revoked it, or null. */
  revokedAt: Date | null;
}

/** The share links' part of the `Store` port. */
export interface ShareStore {
  /** Records a new share link. */
  insertShare(share: ShareRecord): Promise<void>;
  /** The user's links of a video neither revoked nor expired at `now`, newest first. */
  listLiveShares(userId: string, videoId: string, now: Date): Promise<ShareRecord[]>;
  /**
   * Marks the user's link of this video revoked at `at` (an earlier revocation is kept). Returns
   * false when the user has no such link.
   */
  revokeShare(userId: string, videoId: string, shareId: string, at: Date): Promise<boolean>;
  /** The link whose token hashes to `tokenHash`, with its video (deleted ones too), or null. */
  findShareByTokenHash(tokenHash: string): Promise<{
    /** The share link. */
    share: ShareRecord;
    /** The video it shares. */
    video: VideoRecord;
  } | null>;
}
