// Where files are kept, and how the server fetches URLs it did not write.

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
   * posters21: streams the file stored under `key` to `targetPath` (a video for preview
   * extraction) without holding it in memory. Throws when there is no such file. Absent: callers
   * fall back to `readBytes`.
   */
  readToFile?(key: string, targetPath: string): Promise<void>;
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
