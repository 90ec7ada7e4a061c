import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { CopyRequest, Logger, Storage, StoredFile } from "../../core/ports.js";
import { type CopyFromUrlOptions, downloadOptionsFor, downloadToTempFile } from "./download.js";

/** Settings of `createS3Storage`. */
export interface S3StorageOptions {
  /**
   * The bucket the files go to (S3_BUCKET). It must exist; the storage does not create it.
   * @example "my-app-videos"
   */
  bucket: string;
  /**
   * The bucket's region (S3_REGION). R2 takes `"auto"`.
   * @default AWS_REGION or the AWS SDK's configuration; `"us-east-1"` when `endpoint` is given
   */
  region?: string | undefined;
  /**
   * An S3-compatible service instead of AWS (S3_ENDPOINT): MinIO, Cloudflare R2, Backblaze B2,
   * DigitalOcean Spaces… With `client`, it still tells `keyForUrl` which URLs are this bucket's.
   * @example "https://<account id>.r2.cloudflarestorage.com"
   */
  endpoint?: string | undefined;
  /**
   * Address the bucket in the path (`https://host/bucket/key`) rather than in the host name
   * (`https://bucket.host/key`) (S3_FORCE_PATH_STYLE). Most self-hosted services (MinIO) need it.
   * @default false
   */
  forcePathStyle?: boolean | undefined;
  /**
   * The access key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Temporary credentials also need
   * `sessionToken`, and the signed URLs they make stop working when the session ends.
   * @default the AWS SDK's default chain: environment, shared config files, instance or task role
   */
  credentials?:
    | {
        /** The access key id. */
        accessKeyId: string;
        /** The secret access key. */
        secretAccessKey: string;
        /** The session token of temporary credentials. */
        sessionToken?: string | undefined;
      }
    | undefined;
  /**
   * Prepended, as is, to every storage key to make the object key: end it with `/` for a folder.
   * @default "" (keys at the top of the bucket)
   * @example "openv/videos/"
   */
  prefix?: string | undefined;
  /**
   * How long each signed download URL works, in seconds (S3_SIGNED_URL_TTL_SECONDS): 1 to 604 800
   * (7 days, the most S3 allows). Users read a video with a fresh one each time.
   * @default 3600
   */
  signedUrlTtlSeconds?: number | undefined;
  /**
   * The S3 client to use instead of one made from the settings above (custom retries, a proxy).
   * `bucket` and `prefix` still apply; set `endpoint` too when it talks to an S3-compatible
   * service, so `keyForUrl` recognises the URLs it hands out.
   * @default a client made from `region`, `endpoint`, `forcePathStyle` and `credentials`
   */
  client?: S3Client | undefined;
  /** Where copies, retried uploads and the AWS SDK's warnings are reported. @default no logging */
  logger?: Logger | undefined;
  /** Limits on copying a provider's file from elsewhere (`copyFromUrl`). @default 1 GiB, 10 minutes */
  copy?: CopyFromUrlOptions | undefined;
}

/** The longest a SigV4 presigned URL may work (7 days). */
const maxSignedUrlTtlSeconds = 604_800;
/** S3 deletes at most this many keys per DeleteObjects call. */
const deleteBatchSize = 1000;
/** Uploads of a file are tried this often (a streamed body is not retried by the SDK itself). */
const uploadAttempts = 3;
const uploadRetryDelaysMs = [250, 1000];

/** Which S3 permission each operation needs, for the "access denied" advice. */
const permissionFor = {
  upload: "s3:PutObject",
  read: "s3:GetObject",
  delete: "s3:DeleteObject",
  sign: "s3:GetObject",
  list: "s3:ListBucket",
} as const;
type Operation = keyof typeof permissionFor;

/**
 * Videos in an S3 bucket, on AWS or any S3-compatible service (MinIO, Cloudflare R2: give
 * `endpoint`, and `forcePathStyle` where the service needs it). The bucket stays private: the URL
 * stored with a video is the object's plain address, and users get a presigned GET URL, made fresh
 * on every read (`signedUrl`), that works for `signedUrlTtlSeconds`.
 *
 * The storage key is the object key without `prefix`.
 */
export function createS3Storage(options: S3StorageOptions): Storage {
  const bucket = typeof options.bucket === "string" ? options.bucket.trim() : "";
  if (bucket === "") {
    throw new Error("The S3 bucket name is empty: set S3_BUCKET (or the `bucket` option) to an existing bucket.");
  }
  const prefix = options.prefix ?? "";
  if (prefix.startsWith("/")) {
    throw new Error(`The S3 key prefix "${prefix}" starts with "/": object keys do not; drop the leading slash.`);
  }
  const ttl = options.signedUrlTtlSeconds ?? 3600;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > maxSignedUrlTtlSeconds) {
    throw new Error(
      `The signed URL lifetime must be a whole number of seconds from 1 to ${maxSignedUrlTtlSeconds} (7 days, S3's limit); got ${ttl}. Fix S3_SIGNED_URL_TTL_SECONDS (or signedUrlTtlSeconds).`,
    );
  }
  const endpoint = options.endpoint === undefined ? null : parseEndpoint(options.endpoint);
  const { logger, copy = {} } = options;
  const client = options.client ?? new S3Client(clientConfig(options, endpoint, logger));
  const where = endpoint ? ` at ${endpoint.origin}${endpoint.basePath}` : "";

  const objectKey = (key: string): string => {
    if (typeof key !== "string" || key === "") throw new Error("The storage key is empty; pass the file's key.");
    const full = `${prefix}${key}`;
    if (Buffer.byteLength(full) > 1024) {
      throw new Error(`The object key for "${key}" is longer than S3's 1024 bytes; use a shorter key or prefix.`);
    }
    return full;
  };

  const fail = (operation: Operation, subject: string, error: unknown): Error =>
    new Error(
      `Could not ${operation} ${subject} ${operation === "upload" ? "to" : "in"} S3 bucket "${bucket}"${where}: ${problemOf(error, operation, bucket, endpoint)}`,
      { cause: error },
    );

  /** The object's address without a signature: what is stored, and what `keyForUrl` reads back. */
  async function plainUrl(key: string): Promise<string> {
    // Made by the presigner, then stripped, so the address has exactly the form (virtual-hosted or
    // path-style, region, custom endpoint, key encoding) the SDK uses for this client.
    const signed = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }), {
      expiresIn: 60,
    });
    const url = new URL(signed);
    url.search = "";
    return url.toString();
  }

  async function stored(key: string): Promise<StoredFile> {
    try {
      return { key, url: await plainUrl(key) };
    } catch (error) {
      throw fail("sign", `"${key}"`, error);
    }
  }

  /**
   * Where the next `listKeys` goes on: after the last object key it returned when it stopped at
   * its limit, so successive sweeps walk the whole bucket instead of the same first page; null to
   * start from the top (after a listing reached the end).
   */
  let listResumeAfter: string | null = null;

  const storage: Storage = {
    name: `S3 bucket "${bucket}"${where}`,

    async putFile(key: string, sourcePath: string, contentType: string): Promise<StoredFile> {
      const Key = objectKey(key);
      const { size } = await stat(sourcePath);
      for (let attempt = 1; ; attempt++) {
        // A fresh stream per attempt: a body that was partly sent cannot be sent again.
        const body = createReadStream(sourcePath);
        try {
          await client.send(
            new PutObjectCommand({ Bucket: bucket, Key, Body: body, ContentLength: size, ContentType: contentType }),
          );
          break;
        } catch (error) {
          body.destroy();
          if (attempt >= uploadAttempts || !isTransient(error)) throw fail("upload", `"${key}"`, error);
          logger?.warn({ key, attempt, problem: messageOf(error) }, "S3 upload failed; trying again");
          await new Promise((resolve) => setTimeout(resolve, uploadRetryDelaysMs[attempt - 1] ?? 1000));
        }
      }
      return stored(key);
    },

    async putBytes(key: string, bytes: Uint8Array, contentType: string): Promise<StoredFile> {
      const Key = objectKey(key);
      try {
        // A buffered body: the SDK retries transient failures itself.
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key,
            Body: bytes,
            ContentLength: bytes.byteLength,
            ContentType: contentType,
          }),
        );
      } catch (error) {
        throw fail("upload", `"${key}"`, error);
      }
      return stored(key);
    },

    async readBytes(key: string): Promise<Uint8Array> {
      const Key = objectKey(key);
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
        if (!answer.Body) throw new Error("the answer had no body");
        return await answer.Body.transformToByteArray();
      } catch (error) {
        throw fail("read", `"${key}"`, error);
      }
    },

    // posters21: the object's body streamed to disk, never held whole in memory.
    async readToFile(key: string, targetPath: string): Promise<void> {
      const Key = objectKey(key);
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
        if (!answer.Body) throw new Error("the answer had no body");
        await pipeline(answer.Body as Readable, createWriteStream(targetPath));
      } catch (error) {
        throw fail("read", `"${key}"`, error);
      }
    },

    async deleteFiles(keys: string[]): Promise<void> {
      const objectKeys = [...new Set(keys.map(objectKey))];
      const refused: { key: string; code: string; message: string }[] = [];
      for (let start = 0; start < objectKeys.length; start += deleteBatchSize) {
        const batch = objectKeys.slice(start, start + deleteBatchSize);
        let answer: DeleteObjectsCommandOutput;
        try {
          // Quiet: the answer lists only the keys that could not be deleted. A key that does not
          // exist counts as deleted.
          answer = await client.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
            }),
          );
        } catch (error) {
          throw fail("delete", `${objectKeys.length} file(s)`, error);
        }
        for (const entry of answer.Errors ?? []) {
          // Some S3-compatible services report a missing key instead of skipping it.
          if (entry.Code === "NoSuchKey") continue;
          refused.push({ key: entry.Key ?? "?", code: entry.Code ?? "Error", message: entry.Message ?? "" });
        }
      }
      if (refused.length === 0) return;
      const [first] = refused;
      const denied = refused.some((entry) => entry.code === "AccessDenied");
      throw new Error(
        `Could not delete ${refused.length} of ${objectKeys.length} file(s) in S3 bucket "${bucket}"${where}: "${first?.key}" was refused with ${first?.code}${first?.message ? ` (${first.message})` : ""}. ${
          denied
            ? `Check that the credentials are allowed ${permissionFor.delete} on this bucket.`
            : "Try again; the files stay in the bucket until then."
        }`,
      );
    },

    async listKeys({ olderThan, limit }: { olderThan: Date; limit: number }): Promise<string[]> {
      // ListObjectsV2 under the prefix, page by page (1000 keys each), from where the last call
      // stopped. Objects in "folders" below the prefix are not this server's (its keys have no "/").
      const keys: string[] = [];
      let continuationToken: string | undefined;
      const startAfter = listResumeAfter ?? undefined;
      for (;;) {
        let page: ListObjectsV2CommandOutput;
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              ...(prefix !== "" && { Prefix: prefix }),
              ...(continuationToken === undefined
                ? startAfter !== undefined && { StartAfter: startAfter }
                : { ContinuationToken: continuationToken }),
            }),
          );
        } catch (error) {
          throw fail("list", "the files", error);
        }
        for (const object of page.Contents ?? []) {
          const full = object.Key;
          if (full === undefined || !full.startsWith(prefix)) continue;
          const key = full.slice(prefix.length);
          if (key === "" || key.includes("/")) continue;
          if (object.LastModified === undefined || object.LastModified >= olderThan) continue;
          keys.push(key);
          if (keys.length >= limit) {
            listResumeAfter = full;
            return keys;
          }
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
        if (continuationToken === undefined) break;
      }
      listResumeAfter = null;
      return keys;
    },

    keyForUrl(url: string): string | null {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return null;
      }
      const encoded = endpoint ? encodedKeyAtEndpoint(parsed, endpoint, bucket) : encodedKeyOnAws(parsed, bucket);
      if (encoded === null) return null;
      let full: string;
      try {
        full = encoded.split("/").map(decodeURIComponent).join("/");
      } catch {
        return null;
      }
      if (!full.startsWith(prefix) || full.length === prefix.length) return null;
      return full.slice(prefix.length);
    },

    async copyFromUrl(key: string, url: string, contentType: string, request?: CopyRequest): Promise<StoredFile> {
      objectKey(key); // a bad key fails before the download, not after it
      const download = await downloadToTempFile(url, downloadOptionsFor(copy, request, contentType));
      try {
        const file = await storage.putFile(key, download.path, contentType);
        logger?.info({ key, bytes: download.bytes, from: withoutQuery(url) }, "copied a provider's file into S3");
        return file;
      } finally {
        await download.cleanup();
      }
    },

    async signedUrl(key: string): Promise<string> {
      try {
        return await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }), {
          expiresIn: ttl,
        });
      } catch (error) {
        throw fail("sign", `"${key}"`, error);
      }
    },
  };
  return storage;
}

/** A custom endpoint, split into what `keyForUrl` compares. */
interface Endpoint {
  origin: string;
  protocol: string;
  host: string;
  /** The endpoint's own path ("" for most), without a trailing slash. */
  basePath: string;
}

function parseEndpoint(value: string): Endpoint {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new Error(
      `The S3 endpoint "${value}" is not a URL. Set S3_ENDPOINT to the service's address, e.g. https://<account id>.r2.cloudflarestorage.com or http://127.0.0.1:9000 for MinIO.`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`The S3 endpoint "${value}" must be an http or https URL.`);
  }
  if (url.search !== "" || url.username !== "" || url.password !== "") {
    throw new Error(
      `The S3 endpoint "${url.origin}" carries a query or user name; give the bare address and pass the keys as credentials.`,
    );
  }
  return {
    origin: url.origin,
    protocol: url.protocol,
    host: url.host.toLowerCase(),
    basePath: url.pathname.replace(/\/+$/, ""),
  };
}

function clientConfig(
  options: S3StorageOptions,
  endpoint: Endpoint | null,
  logger: Logger | undefined,
): S3ClientConfig {
  const region = options.region?.trim() || (endpoint ? "us-east-1" : undefined);
  return {
    ...(region && { region }),
    ...(endpoint && { endpoint: `${endpoint.origin}${endpoint.basePath}` }),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials && { credentials: credentialsOf(options.credentials) }),
    // Checksums only where an operation requires one (DeleteObjects): many S3-compatible services
    // refuse the CRC32 trailers the SDK otherwise adds to every upload.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // Without these, a service that stops answering holds a request forever.
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
    // The SDK logs every call at info level; only its warnings are worth passing on.
    logger: {
      debug: () => {},
      info: () => {},
      warn: (...content: unknown[]) => logger?.warn({ sdk: content.map(String) }, "AWS SDK warning"),
      error: (...content: unknown[]) => logger?.error({ sdk: content.map(String) }, "AWS SDK error"),
    },
  };
}

function credentialsOf(given: NonNullable<S3StorageOptions["credentials"]>) {
  const { accessKeyId, secretAccessKey, sessionToken } = given;
  if (!accessKeyId?.trim() || !secretAccessKey?.trim()) {
    throw new Error(
      "The S3 credentials are incomplete: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or leave both unset to use the AWS SDK's default chain).",
    );
  }
  return { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) };
}

/**
 * The URL-encoded object key of a URL on a custom endpoint: path-style (`endpoint/bucket/key`) or
 * virtual-hosted (`scheme://bucket.host/key`), or null when it is not this bucket's.
 */
function encodedKeyAtEndpoint(url: URL, endpoint: Endpoint, bucket: string): string | null {
  if (url.protocol !== endpoint.protocol) return null;
  const host = url.host.toLowerCase();
  const path = url.pathname;
  if (host === endpoint.host) {
    const base = `${endpoint.basePath}/${encodeURIComponent(bucket)}/`;
    return path.startsWith(base) ? path.slice(base.length) : null;
  }
  if (host === `${bucket.toLowerCase()}.${endpoint.host}`) {
    const base = `${endpoint.basePath}/`;
    return path.startsWith(base) ? path.slice(base.length) : null;
  }
  return null;
}

/** S3's service host names, with or without region and dual-stack: s3.amazonaws.com, s3.eu-west-1.amazonaws.com, … */
const awsServiceHost = /^s3(?:[.-]dualstack)?(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$/;

/**
 * The URL-encoded object key of an AWS S3 URL of `bucket`, virtual-hosted or path-style, in any
 * region (bucket names are global on AWS), or null when it is another bucket's or not S3's.
 */
function encodedKeyOnAws(url: URL, bucket: string): string | null {
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  if (url.port !== "") return null;
  const host = url.hostname.toLowerCase();
  const bucketHost = `${bucket.toLowerCase()}.`;
  if (host.startsWith(bucketHost) && awsServiceHost.test(host.slice(bucketHost.length))) {
    return url.pathname.slice(1);
  }
  if (awsServiceHost.test(host)) {
    const base = `/${encodeURIComponent(bucket)}/`;
    return url.pathname.startsWith(base) ? url.pathname.slice(base.length) : null;
  }
  return null;
}

/** The fields of an AWS SDK error that say what went wrong. */
interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

const sdkError = (error: unknown): SdkError => (typeof error === "object" && error !== null ? error : {}) as SdkError;

/** Whether a failed upload may succeed when tried again: a network failure, throttling, a 5xx. */
function isTransient(error: unknown): boolean {
  const { name, $metadata } = sdkError(error);
  const status = $metadata?.httpStatusCode;
  if (name === "SlowDown" || name === "RequestTimeout" || name === "TimeoutError") return true;
  if (status !== undefined) return status === 429 || status >= 500;
  return name !== "CredentialsProviderError" && !messageOf(error).includes("Region is missing");
}

/** What went wrong in an S3 call, and what to check. */
function problemOf(error: unknown, operation: Operation, bucket: string, endpoint: Endpoint | null): string {
  const { name = "Error", code, $metadata } = sdkError(error);
  const status = $metadata?.httpStatusCode;
  const message = messageOf(error);
  const service = endpoint ? "S3_ENDPOINT" : "S3_REGION";
  switch (name) {
    case "NoSuchBucket":
      return `the bucket does not exist. Create it, or check the bucket name (S3_BUCKET), ${endpoint ? "the endpoint (S3_ENDPOINT)" : "the region (S3_REGION)"} and the credentials' account.`;
    case "NoSuchKey":
      return "there is no such file (it was deleted, or never uploaded).";
    case "AccessDenied":
    case "AllAccessDisabled":
    case "AccountProblem":
      return `access was denied (${name}). Check that the credentials are allowed ${permissionFor[operation]} on bucket "${bucket}" (IAM and bucket policies; for R2, the API token's permissions).`;
    case "InvalidAccessKeyId":
      return `the access key id was not recognised. Check AWS_ACCESS_KEY_ID, and that the key belongs to ${endpoint ? "this endpoint's" : "the bucket's"} account.`;
    case "SignatureDoesNotMatch":
      return "the request signature was refused. Check AWS_SECRET_ACCESS_KEY (it must match AWS_ACCESS_KEY_ID) and that this machine's clock is right.";
    case "RequestTimeTooSkewed":
      return "this machine's clock is too far from the service's. Synchronise the clock (NTP).";
    case "ExpiredToken":
    case "TokenRefreshRequired":
      return "the session token of the temporary credentials has expired. Refresh the credentials.";
    case "PermanentRedirect":
    case "AuthorizationHeaderMalformed":
    case "IllegalLocationConstraintException":
      return `the bucket is in another region (${name}). Set S3_REGION to the bucket's region.`;
    case "CredentialsProviderError":
      return "no credentials were found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or pass `credentials`), or run where the AWS SDK's default chain finds some (a profile, an instance or task role).";
  }
  if (message.includes("Region is missing")) {
    return "no region is set. Set S3_REGION (or AWS_REGION) to the bucket's region.";
  }
  if (status === 301) return `the bucket is in another region. Set S3_REGION to the bucket's region.`;
  if (status === 403) {
    return `access was denied (HTTP 403). Check the credentials and that they are allowed ${permissionFor[operation]} on bucket "${bucket}".`;
  }
  if (status === 404) return `the service answered 404 (${name}). Check the bucket name (S3_BUCKET) and ${service}.`;
  if (status === 429 || name === "SlowDown" || (status !== undefined && status >= 500)) {
    return `the storage service is busy or failing (${status === undefined ? name : `HTTP ${status}`}). Try again later.`;
  }
  if (status === undefined) {
    return `the service could not be reached (${code ?? name}: ${message}). Check ${endpoint ? "S3_ENDPOINT" : "S3_REGION"} and that this server can reach it.`;
  }
  return `${name} (HTTP ${status}): ${message}.`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(not a URL)";
  }
}
