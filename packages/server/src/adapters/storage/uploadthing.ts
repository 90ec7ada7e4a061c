import { openAsBlob } from "node:fs";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { UTApi, UTFile } from "uploadthing/server";
import type { CopyRequest, Logger, OutboundFetch, Storage, StoredFile } from "../../core/ports.js";
import { createGuardedFetch } from "../net/guarded-fetch.js";
import { type CopyFromUrlOptions, downloadOptionsFor, downloadToTempFile } from "./download.js";

/** Settings of `createUploadThingStorage`. */
export interface UploadThingStorageOptions {
  /**
   * The app's UploadThing token: a base64 string of `{apiKey, appId, regions}`, shown in the
   * UploadThing dashboard under API Keys and usually kept in the `UPLOADTHING_TOKEN` env variable.
   * @example createUploadThingStorage({ token: process.env.UPLOADTHING_TOKEN ?? "" })
   */
  token: string;
  /** Where replaced uploads, copies and odd answers are reported. @default no logging */
  logger?: Logger;
  /**
   * The UploadThing client to use instead of one made from `token` (custom URLs, a custom fetch).
   * `token` still names the app whose URLs `keyForUrl` recognises. Upload errors then carry less
   * detail, and Node's fetch holds each uploaded file in memory unless that client's fetch sends
   * uploads with `redirect: "error"` (nodejs/undici#4058).
   * @default a UTApi made from `token`
   */
  utapi?: UploadThingClient;
  /** Limits on copying a provider's file from elsewhere (`copyFromUrl`). @default 1 GiB, 10 minutes */
  copy?: CopyFromUrlOptions;
}

/**
 * A `UTApi` from `uploadthing/server`, typed by shape only: UTApi's own declarations pull in
 * UploadThing's Vue and Solid typings, which fail a host compiling with `skipLibCheck: false`.
 */
export interface UploadThingClient {
  /** `UTApi.uploadFiles`. */
  uploadFiles(...args: never[]): Promise<unknown>;
  /** `UTApi.deleteFiles`. */
  deleteFiles(...args: never[]): Promise<unknown>;
  /** `UTApi.listFiles` (the orphan-file sweep pages through it). */
  listFiles(...args: never[]): Promise<unknown>;
}

type UTApiFetch = NonNullable<NonNullable<ConstructorParameters<typeof UTApi>[0]>["fetch"]>;

const fileKeyPattern = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,255}$/;

/**
 * Keys OpenV chose (`vid_…-<attempt>.mp4` outputs, `upl_….png` uploads): stored as UploadThing
 * custom ids and deleted by custom id. Anything else is a file key UploadThing issued (records
 * written before outputs were stored under the server's keys) and is deleted as one.
 */
const openvKeyPattern = /^(?:vid|upl)_[A-Za-z0-9_-]{1,100}\.(?:mp4|png|jpg|webp)$/;
const isOpenVKey = (key: string) => openvKeyPattern.test(key);
const tokenHelp =
  "Copy the token from the UploadThing dashboard → API Keys (the UPLOADTHING_TOKEN value; not the sk_… secret key alone).";

/**
 * Videos stored in an UploadThing app. Files are uploaded with `customId` = our key, so a retried
 * upload replaces the earlier one; the key `putFile` returns is UploadThing's file key, which is
 * what `deleteFiles` and `keyForUrl` deal in.
 */
export function createUploadThingStorage(options: UploadThingStorageOptions): Storage {
  const { appId } = readToken(options.token);
  const { logger, copy = {} } = options;
  let readFetch: OutboundFetch | undefined;
  // UTApi reports a failed upload as `{code: "UPLOAD_FAILED", message: "Failed to upload file"}`
  // and drops the HTTP answer; this fetch notes that answer per customId so errors can say why.
  const uploadFailures = new Map<string, IngestAnswer>();
  const utapi =
    (options.utapi as UTApi | undefined) ??
    new UTApi({
      token: options.token.trim(),
      fetch: fetchNotingUploadFailures(uploadFailures),
      // Its error logs print request URLs, and an upload URL is signed: our errors say enough.
      logLevel: "None",
    });

  /** Where the next `listKeys` goes on (a listFiles offset), so successive sweeps walk the whole app. */
  let listResumeOffset = 0;

  const storage: Storage = {
    name: `UploadThing (app ${appId})`,

    async putFile(key: string, sourcePath: string, contentType: string): Promise<StoredFile> {
      await removeEarlierUpload(key);
      // A file-backed Blob, which (with the fetch below refusing redirects) streams from disk.
      const file = new UTFile([await openAsBlob(sourcePath, { type: contentType })], key, {
        customId: key,
        type: contentType,
      });
      uploadFailures.delete(key);
      const result = await utapi.uploadFiles(file).catch((error: unknown) => {
        // Thrown rather than returned: the configuration (token, URLs) was refused before any upload.
        uploadFailures.delete(key);
        throw new Error(`Could not upload "${key}" to UploadThing: ${messageOf(error)}. ${tokenHelp}`, {
          cause: error,
        });
      });
      const answer = uploadFailures.get(key);
      uploadFailures.delete(key);
      if (result.error !== null) throw uploadError(key, result.error, answer);
      // Our key is the file's custom id, and UploadThing serves the file under it too: the key and
      // URL the server records are the ones it chose, so it can tell its own files by key alone.
      return { key, url: `https://${appId}.ufs.sh/f/${encodeURIComponent(key)}` };
    },

    async deleteFiles(keys: string[]): Promise<void> {
      if (keys.length === 0) return;
      const customIds = keys.filter(isOpenVKey);
      const fileKeys = keys.filter((key) => !isOpenVKey(key));
      for (const [batch, keyType] of [
        [customIds, "customId"],
        [fileKeys, "fileKey"],
      ] as const) {
        if (batch.length === 0) continue;
        try {
          const result = await utapi.deleteFiles(batch, { keyType });
          if (!result.success) {
            // Deletes are clean-up: a refusal here must not fail the request that caused them.
            logger?.warn(
              { keys: batch, deletedCount: result.deletedCount },
              "UploadThing did not confirm the deletion",
            );
          }
        } catch (error) {
          if (statusOf(error) === 404) continue; // none of the keys exists: nothing to delete
          throw new Error(`Could not delete ${batch.length} file(s) from UploadThing: ${apiProblem(error)}`, {
            cause: error,
          });
        }
      }
    },

    async listKeys({ olderThan, limit }: { olderThan: Date; limit: number }): Promise<string[]> {
      // Only files this server uploaded: their custom id is one of its keys. Files UploadThing
      // named (the app's other uploads, or records from before custom ids) are never listed.
      const keys: string[] = [];
      let offset = listResumeOffset;
      for (;;) {
        let page: Awaited<ReturnType<UTApi["listFiles"]>>;
        try {
          page = await utapi.listFiles({ limit: listPageSize, offset });
        } catch (error) {
          throw new Error(`Could not list the files of UploadThing app ${appId}: ${apiProblem(error)}`, {
            cause: error,
          });
        }
        for (const [index, file] of page.files.entries()) {
          const key = file.customId;
          if (key === null || !isOpenVKey(key)) continue;
          if (file.status === "Deletion Pending" || file.status === "Uploading") continue;
          if (!(file.uploadedAt < olderThan.getTime())) continue;
          keys.push(key);
          if (keys.length >= limit) {
            listResumeOffset = offset + index + 1;
            return keys;
          }
        }
        if (!page.hasMore || page.files.length === 0) break;
        offset += page.files.length;
      }
      listResumeOffset = 0;
      return keys;
    },

    keyForUrl(url: string): string | null {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return null;
      }
      if (parsed.protocol !== "https:") return null;
      const segments = parsed.pathname.split("/").slice(1);
      const host = parsed.hostname.toLowerCase();
      let encodedKey: string | undefined;
      if (host === `${appId}.ufs.sh`.toLowerCase() && segments.length === 2 && segments[0] === "f") {
        encodedKey = segments[1];
      } else if (host === "utfs.io" && segments.length === 3 && segments[0] === "a" && segments[1] === appId) {
        encodedKey = segments[2];
      } else if (host === "utfs.io" && segments.length === 2 && segments[0] === "f") {
        // The legacy form names no app, so another app's file passes too. Accepting it is still
        // right: files uploaded before ufs.sh existed were served this way, and the cost of a
        // foreign key is at most a deleteFiles call for a key our API key does not reach.
        encodedKey = segments[1];
      }
      if (encodedKey === undefined) return null;
      let key: string;
      try {
        key = decodeURIComponent(encodedKey);
      } catch {
        return null;
      }
      return fileKeyPattern.test(key) ? key : null;
    },

    async putBytes(key: string, bytes: Uint8Array, contentType: string): Promise<StoredFile> {
      // Through a temporary file, so small uploads take the same (streaming, replacing) path as videos.
      const folder = await mkdtemp(path.join(tmpdir(), "openv-ut-"));
      try {
        const file = path.join(folder, "upload");
        await writeFile(file, bytes);
        return await storage.putFile(key, file, contentType);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    },

    async readBytes(key: string): Promise<Uint8Array> {
      const url = `https://${appId}.ufs.sh/f/${encodeURIComponent(key)}`;
      // Through the guarded fetcher like every fetch of a URL (the host is UploadThing's public CDN).
      readFetch ??= createGuardedFetch({ logger, maxBytes: uploadReadMaxBytes });
      const response = await readFetch(url, { signal: AbortSignal.timeout(60_000) });
      if (!response.ok) throw new Error(`Could not read "${key}" from UploadThing: HTTP ${response.status}.`);
      return new Uint8Array(await response.arrayBuffer());
    },

    // posters21: streamed through the guarded fetcher into a temporary file, then moved into place.
    async readToFile(key: string, targetPath: string): Promise<void> {
      const url = `https://${appId}.ufs.sh/f/${encodeURIComponent(key)}`;
      const download = await downloadToTempFile(url, downloadOptionsFor(copy, undefined, "video/mp4"));
      try {
        await copyFile(download.path, targetPath);
      } finally {
        await download.cleanup();
      }
    },

    async copyFromUrl(key: string, url: string, contentType: string, request?: CopyRequest): Promise<StoredFile> {
      const download = await downloadToTempFile(url, downloadOptionsFor(copy, request, contentType));
      try {
        const stored = await storage.putFile(key, download.path, contentType);
        logger?.info(
          { key, fileKey: stored.key, bytes: download.bytes, from: withoutQuery(url) },
          "copied a provider's file into UploadThing",
        );
        return stored;
      } finally {
        await download.cleanup();
      }
    },
  };

  /** Deletes a file uploaded under `key` by an earlier attempt, so `putFile` overwrites as the port says. */
  async function removeEarlierUpload(key: string): Promise<void> {
    try {
      const { deletedCount } = await utapi.deleteFiles(key, { keyType: "customId" });
      if (deletedCount > 0) logger?.info({ key }, "replacing an earlier UploadThing upload of this key");
    } catch (error) {
      if (statusOf(error) === 404) return;
      // Best effort: the upload goes ahead; at worst an earlier copy of the file stays behind.
      logger?.warn({ key, problem: apiProblem(error) }, "could not check UploadThing for an earlier upload");
    }
  }

  return storage;
}

/** Files asked for per listFiles call. */
const listPageSize = 500;

/** Largest stored file read back (input images, which uploads cap at 10 MiB). */
const uploadReadMaxBytes = 32 * 1024 * 1024;

/** Decodes the token once, to fail early with a clear message and to learn the app id. */
function readToken(token: string): { appId: string } {
  const invalid = (why: string) => new Error(`The UploadThing token is not valid: ${why}. ${tokenHelp}`);
  // A plain-JS caller may pass `process.env.UPLOADTHING_TOKEN` unset.
  const trimmed = typeof token === "string" ? token.trim() : "";
  if (trimmed === "") throw invalid("it is empty");
  if (trimmed.startsWith("sk_")) throw invalid("this is an API secret key, not a token");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(trimmed, "base64").toString("utf8"));
  } catch {
    throw invalid("it is not base64-encoded JSON");
  }
  if (typeof parsed !== "object" || parsed === null) throw invalid("it does not decode to an object");
  const { apiKey, appId, regions } = parsed as Record<string, unknown>;
  if (typeof apiKey !== "string" || !apiKey.startsWith("sk_")) throw invalid("it holds no sk_… API key");
  if (typeof appId !== "string" || !/^[A-Za-z0-9_-]+$/.test(appId)) throw invalid("it holds no app id");
  if (!Array.isArray(regions) || regions.length === 0 || !regions.every((region) => typeof region === "string")) {
    throw invalid("it names no regions");
  }
  return { appId };
}

/** How the ingest server refused an upload: its status (null when it could not be reached) and words. */
interface IngestAnswer {
  status: number | null;
  detail: string;
}

/** A fetch for UTApi that remembers, per customId, how the ingest server refused an upload. */
function fetchNotingUploadFailures(failures: Map<string, IngestAnswer>): UTApiFetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input);
    // UploadThing encodes the signed parameters twice: `x-ut-custom-id=a%252Fb` for "a/b".
    const noted = url.searchParams.get("x-ut-custom-id");
    const customId = noted === null ? null : safeDecode(noted);
    try {
      // Node's fetch keeps a sent body in memory so that it can repeat it after a redirect: a
      // whole video per upload (nodejs/undici#4058). Refusing redirects lets it stream from disk.
      const upload = init?.body instanceof FormData;
      const response = await globalThis.fetch(input, {
        ...(init as RequestInit),
        ...(upload ? { redirect: "error" } : {}),
      });
      if (!response.ok && customId !== null) {
        const body = await response
          .clone()
          .text()
          .catch(() => "");
        const detail = `it answered ${response.status}${body ? ` (${excerpt(body)})` : ""}`;
        failures.set(customId, { status: response.status, detail });
      }
      return response;
    } catch (error) {
      if (customId !== null) {
        failures.set(customId, { status: null, detail: `${url.host} could not be reached (${messageOf(error)})` });
      }
      throw error;
    }
  };
}

function uploadError(key: string, error: { code: string; message: string }, answer: IngestAnswer | undefined): Error {
  const status = answer?.status ?? null;
  let advice = "Try again; if it keeps failing, check the app in the UploadThing dashboard.";
  if (status === 401 || status === 403) {
    advice = `Check that the token belongs to this app and is current, and that the app's plan has room. ${tokenHelp}`;
  } else if (status === 413) {
    advice = "The file is larger than the app's UploadThing plan allows.";
  } else if (status === 429 || (status !== null && status >= 500)) {
    advice = "UploadThing is busy or failing; try again later.";
  } else if (answer !== undefined && status === null) {
    advice = "Check that this server can reach UploadThing, then try again.";
  }
  const problem = answer?.detail ?? `${error.code}, ${error.message}`;
  return new Error(`Could not upload "${key}" to UploadThing: ${problem}. ${advice}`);
}

/** What went wrong in a call to api.uploadthing.com, with what to do about it. */
function apiProblem(error: unknown): string {
  const status = statusOf(error);
  if (status === 401 || status === 403) return `it answered ${status}. ${tokenHelp}`;
  if (status !== null) return `it answered ${status}. Try again later.`;
  return `${messageOf(error)}.`;
}

/** The HTTP status of a failed UTApi call (an @effect/platform `ResponseError`), if it got one. */
function statusOf(error: unknown): number | null {
  if (typeof error !== "object" || error === null || !("response" in error)) return null;
  const { response } = error as { response: unknown };
  if (typeof response !== "object" || response === null || !("status" in response)) return null;
  const { status } = response as { status: unknown };
  return typeof status === "number" ? status : null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function excerpt(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(not a URL)";
  }
}
