import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { HttpResponse, http } from "msw";

/** How the stand-in is reached: a custom endpoint in path style, or AWS's virtual-hosted form. */
export interface S3StandInOptions {
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * `path`: `{origin}/{bucket}/{key}` (MinIO, R2 with forcePathStyle); `virtual`:
   * `https://{bucket}.s3.{region}.amazonaws.com/{key}` (AWS).
   */
  style: "path" | "virtual";
  /** The endpoint of the path style, e.g. `https://s3.test.example`. */
  origin?: string;
}

/** One request the stand-in answered, after signature checks. */
export interface S3Request {
  method: string;
  url: URL;
  /** The object key (decoded), or null for a bucket-level request. */
  key: string | null;
  headers: Headers;
  body: Buffer;
  /** How it was authenticated. */
  auth: "header" | "query";
}

/** An answer to force for a request, instead of the stand-in's own. */
export type S3Override = (request: S3Request) => Response | undefined;

/**
 * An S3 bucket as msw handlers, speaking the REST API the AWS SDK uses (PUT, GET and POST ?delete
 * on objects, GET ?list-type=2 on the bucket) and checking every request's SigV4 signature, header or presigned query, against the
 * test credentials, with expiry checked against `Date.now()` (so fake timers move it).
 */
export class S3StandIn {
  readonly objects = new Map<string, { body: Buffer; contentType: string | null }>();
  /** When each object was last written (ListObjectsV2's LastModified); unset: when first listed. */
  readonly modified = new Map<string, Date>();
  /** The most keys one ListObjectsV2 page holds (S3's is 1000), lowered to make tests page. */
  listPageSize = 1000;
  readonly requests: S3Request[] = [];
  /** Requests refused for their signature or expiry, with the reason. */
  readonly refused: { url: string; reason: string }[] = [];
  /** Lets a test answer some requests itself (errors, delays). */
  override: S3Override | null = null;
  readonly #options: S3StandInOptions;

  constructor(options: S3StandInOptions) {
    this.#options = options;
  }

  /** Where the bucket's objects live: `{base}/{key}`. */
  get base(): string {
    const { style, bucket, region, origin } = this.#options;
    return style === "path" ? `${origin}/${bucket}` : `https://${bucket}.s3.${region}.amazonaws.com`;
  }

  handlers() {
    const { style, origin, bucket, region } = this.#options;
    const host = style === "path" ? `${origin}` : `https://${bucket}.s3.${region}.amazonaws.com`;
    return [
      http.all(`${host}/*`, ({ request }) => this.#answer(request)),
      http.all(host, ({ request }) => this.#answer(request)),
    ];
  }

  async #answer(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const body = Buffer.from(await request.arrayBuffer());
    const { style, bucket } = this.#options;
    let path = url.pathname;
    if (style === "path") {
      if (!path.startsWith(`/${bucket}`)) return s3Error(404, "NoSuchBucket", "The specified bucket does not exist");
      path = path.slice(bucket.length + 1);
    }
    const encodedKey = path.replace(/^\//, "");
    const key = encodedKey === "" ? null : encodedKey.split("/").map(decodeURIComponent).join("/");

    const check = this.#verify(request, url, body);
    if (check.problem !== null) {
      this.refused.push({ url: request.url, reason: check.problem });
      return s3Error(403, check.code, check.problem);
    }
    const recorded: S3Request = { method: request.method, url, key, headers: request.headers, body, auth: check.auth };
    this.requests.push(recorded);
    const forced = this.override?.(recorded);
    if (forced) return forced;

    if (request.method === "PUT" && key !== null) {
      this.objects.set(key, { body, contentType: request.headers.get("content-type") });
      this.modified.set(key, new Date());
      return new HttpResponse(null, {
        status: 200,
        headers: { etag: `"${createHash("md5").update(body).digest("hex")}"` },
      });
    }
    if (request.method === "GET" && key !== null) {
      const object = this.objects.get(key);
      if (!object) return s3Error(404, "NoSuchKey", "The specified key does not exist.");
      return new HttpResponse(new Uint8Array(object.body), {
        status: 200,
        headers: {
          "content-type": object.contentType ?? "binary/octet-stream",
          "content-length": String(object.body.length),
        },
      });
    }
    if (request.method === "GET" && key === null && url.searchParams.get("list-type") === "2") {
      return this.#list(url.searchParams);
    }
    if (request.method === "POST" && key === null && url.searchParams.has("delete")) {
      const xml = body.toString("utf8");
      const keys = [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => unescapeXml(match[1] ?? ""));
      const quiet = /<Quiet>true<\/Quiet>/.test(xml);
      for (const deleted of keys) {
        this.objects.delete(deleted);
        this.modified.delete(deleted);
      }
      return new HttpResponse(
        `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${
          quiet ? "" : keys.map((deleted) => `<Deleted><Key>${escapeXml(deleted)}</Key></Deleted>`).join("")
        }</DeleteResult>`,
        { status: 200, headers: { "content-type": "application/xml" } },
      );
    }
    return s3Error(
      400,
      "NotImplemented",
      `The stand-in does not handle ${request.method} ${url.pathname}${url.search}`,
    );
  }

  /**
   * ListObjectsV2 as S3 answers it: keys in UTF-8 binary order, `prefix`, `start-after`,
   * `max-keys` (at most `listPageSize`), and an opaque continuation token for the next page.
   */
  #list(query: URLSearchParams): Response {
    const prefix = query.get("prefix") ?? "";
    const token = query.get("continuation-token");
    const startAfter = token === null ? (query.get("start-after") ?? "") : Buffer.from(token, "base64url").toString();
    const maxKeys = Math.min(Number(query.get("max-keys") ?? 1000), this.listPageSize);
    const urlEncoded = query.get("encoding-type") === "url";
    const matching = [...this.objects.keys()]
      .filter((key) => key.startsWith(prefix) && Buffer.compare(Buffer.from(key), Buffer.from(startAfter)) > 0)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = matching.slice(0, maxKeys);
    const truncated = matching.length > page.length;
    const name = (value: string) => escapeXml(urlEncoded ? encodeURIComponent(value).replace(/%2F/g, "/") : value);
    const contents = page.map((key) => {
      const object = this.objects.get(key) as { body: Buffer };
      if (!this.modified.has(key)) this.modified.set(key, new Date());
      return `<Contents><Key>${name(key)}</Key><LastModified>${(this.modified.get(key) as Date).toISOString()}</LastModified><ETag>&quot;${createHash("md5").update(object.body).digest("hex")}&quot;</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    });
    const last = page.at(-1);
    return new HttpResponse(
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${this.#options.bucket}</Name><Prefix>${name(prefix)}</Prefix>${
        token === null ? "" : `<ContinuationToken>${token}</ContinuationToken>`
      }<KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>${urlEncoded ? "<EncodingType>url</EncodingType>" : ""}<IsTruncated>${truncated}</IsTruncated>${contents.join("")}${
        truncated && last !== undefined
          ? `<NextContinuationToken>${Buffer.from(last).toString("base64url")}</NextContinuationToken>`
          : ""
      }</ListBucketResult>`,
      { status: 200, headers: { "content-type": "application/xml" } },
    );
  }

  /** Checks a SigV4 signature (Authorization header or presigned query) as S3 does. */
  #verify(
    request: Request,
    url: URL,
    body: Buffer,
  ): { problem: null; auth: "header" | "query" } | { problem: string; code: string } {
    const query = url.searchParams;
    const fromQuery = query.has("X-Amz-Signature");
    let credential: string;
    let signedHeaders: string[];
    let signature: string;
    let amzDate: string;
    let payloadHash: string;
    if (fromQuery) {
      if (query.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256")
        return { problem: "bad algorithm", code: "AccessDenied" };
      credential = query.get("X-Amz-Credential") ?? "";
      signedHeaders = (query.get("X-Amz-SignedHeaders") ?? "").split(";");
      signature = query.get("X-Amz-Signature") ?? "";
      amzDate = query.get("X-Amz-Date") ?? "";
      payloadHash = "UNSIGNED-PAYLOAD";
      const expires = Number(query.get("X-Amz-Expires"));
      const signedAt = parseAmzDate(amzDate);
      if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) {
        return { problem: "X-Amz-Expires must be 1 to 604800", code: "AuthorizationQueryParametersError" };
      }
      if (Date.now() > signedAt + expires * 1000) return { problem: "Request has expired", code: "AccessDenied" };
      if (signedAt > Date.now() + 15 * 60_000) return { problem: "signed in the future", code: "AccessDenied" };
    } else {
      const authorization = request.headers.get("authorization") ?? "";
      const match = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(
        authorization,
      );
      if (!match) return { problem: "no or malformed Authorization", code: "AccessDenied" };
      [, credential = "", , signature = ""] = match;
      signedHeaders = (match[2] ?? "").split(";");
      amzDate = request.headers.get("x-amz-date") ?? "";
      payloadHash = request.headers.get("x-amz-content-sha256") ?? "";
      if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== createHash("sha256").update(body).digest("hex")) {
        return { problem: "the body does not match x-amz-content-sha256", code: "XAmzContentSHA256Mismatch" };
      }
      if (Math.abs(Date.now() - parseAmzDate(amzDate)) > 15 * 60_000) {
        return { problem: "request time too skewed", code: "RequestTimeTooSkewed" };
      }
    }
    const [accessKeyId, day, region, service, terminator] = credential.split("/");
    if (accessKeyId !== this.#options.accessKeyId) return { problem: "unknown access key", code: "InvalidAccessKeyId" };
    if (region !== this.#options.region || service !== "s3" || terminator !== "aws4_request" || !day) {
      return { problem: `bad credential scope ${credential}`, code: "AuthorizationHeaderMalformed" };
    }
    if (!amzDate.startsWith(day)) return { problem: "date and scope differ", code: "AccessDenied" };

    const canonicalQuery = [...query.entries()]
      .filter(([name]) => name !== "X-Amz-Signature")
      .map(([name, value]) => [strictEncode(name), strictEncode(value)] as const)
      .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
      .map(([name, value]) => `${name}=${value}`)
      .join("&");
    const headerValue = (name: string) =>
      name === "host" ? (request.headers.get("host") ?? url.host) : (request.headers.get(name) ?? "");
    const canonicalHeaders = signedHeaders
      .map((name) => `${name}:${headerValue(name).trim().replace(/\s+/g, " ")}\n`)
      .join("");
    const canonicalRequest = [
      request.method,
      url.pathname,
      canonicalQuery,
      canonicalHeaders,
      signedHeaders.join(";"),
      payloadHash,
    ].join("\n");
    const scope = `${day}/${region}/s3/aws4_request`;
    const stringToSign = [
      "AWS4-HMAC-SHA256",
      amzDate,
      scope,
      createHash("sha256").update(canonicalRequest).digest("hex"),
    ].join("\n");
    const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
    const signingKey = hmac(
      hmac(hmac(hmac(`AWS4${this.#options.secretAccessKey}`, day), region), "s3"),
      "aws4_request",
    );
    const expected = createHmac("sha256", signingKey).update(stringToSign).digest();
    const given = Buffer.from(signature, "hex");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { problem: "SignatureDoesNotMatch", code: "SignatureDoesNotMatch" };
    }
    return { problem: null, auth: fromQuery ? "query" : "header" };
  }
}

/** An S3 XML error answer. */
export function s3Error(status: number, code: string, message: string): Response {
  return new HttpResponse(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><RequestId>test</RequestId></Error>`,
    { status, headers: { "content-type": "application/xml" } },
  );
}

/** `20250102T030405Z` → ms. */
export function parseAmzDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

function strictEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function escapeXml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function unescapeXml(value: string): string {
  return value
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}
