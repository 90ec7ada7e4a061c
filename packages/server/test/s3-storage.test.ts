import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { GenerateResponseSchema, type Video } from "@openv/protocol";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { resolveAdapters } from "../src/adapters/defaults.js";
import { createMemoryEvents } from "../src/adapters/events/memory.js";
import { createS3Storage, type S3StorageOptions } from "../src/adapters/storage/s3.js";
import type { Logger, Store } from "../src/core/ports.js";
import {
  accepted,
  backends,
  generateBody,
  readEvents,
  ScriptedProvider,
  startTestServer,
  type TestServer,
} from "./helpers.js";
import { parseAmzDate, S3StandIn, s3Error } from "./support/s3-stand-in.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/** The outbound webhooks' signing secret in these tests (24 random-looking bytes, base64). */
const signingSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const credentials = { accessKeyId: "AKIAOPENVTEST0000001", secretAccessKey: "openv/test+secret/key/0123456789abcdef" };
const bucket = "openv-videos";
const endpoint = "https://s3.test.example";
const region = "eu-west-1";

/** A custom endpoint in path style (MinIO, R2 with forcePathStyle). */
const pathStyle = new S3StandIn({ bucket, region, ...credentials, style: "path", origin: endpoint });
/** AWS itself: virtual-hosted `https://{bucket}.s3.{region}.amazonaws.com`. */
const aws = new S3StandIn({ bucket, region, ...credentials, style: "virtual" });
const foreignVideo = "https://cdn.provider.example/outputs/job-1.mp4";

// Kept before msw patches fetch: msw holds back the chunks of a streamed answer it passes through,
// so the event streams of the end-to-end tests are read with Node's own fetch.
const unpatchedFetch = globalThis.fetch;
const network = setupServer();
beforeAll(() =>
  // The end-to-end tests' own calls go to the test server on loopback; everything else must be mocked.
  network.listen({
    onUnhandledRequest: (request, print) => {
      if (new URL(request.url).hostname !== "127.0.0.1") print.error();
    },
  }),
);
afterAll(() => network.close());

let tempRoot: string;
const originalTmpdir = process.env.TMPDIR;
beforeEach(async () => {
  for (const standIn of [pathStyle, aws]) {
    standIn.objects.clear();
    standIn.requests.length = 0;
    standIn.refused.length = 0;
    standIn.override = null;
    standIn.modified.clear();
    standIn.listPageSize = 1000;
  }
  network.use(...pathStyle.handlers(), ...aws.handlers());
  tempRoot = await mkdtemp(path.join(os.tmpdir(), "openv-s3-test-"));
  // copyFromUrl downloads into os.tmpdir(); a private one shows that nothing is left behind.
  await mkdir(path.join(tempRoot, "tmp"));
  process.env.TMPDIR = path.join(tempRoot, "tmp");
});
afterEach(async () => {
  vi.useRealTimers();
  network.resetHandlers();
  if (originalTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = originalTmpdir;
  await rm(tempRoot, { recursive: true, force: true });
});

const onEndpoint = (options: Partial<S3StorageOptions> = {}) =>
  createS3Storage({ bucket, region, endpoint, forcePathStyle: true, credentials, ...options });
const onAws = (options: Partial<S3StorageOptions> = {}) => createS3Storage({ bucket, region, credentials, ...options });

function recordingLogger() {
  return {
    info: vi.fn<Logger["info"]>(),
    warn: vi.fn<Logger["warn"]>(),
    error: vi.fn<Logger["error"]>(),
  } satisfies Logger;
}

/** Bytes that differ from position to position, so a reordered or truncated upload shows. */
function patternBytes(length: number, seed = 7): Buffer {
  return Buffer.from(Array.from({ length }, (_, index) => (index * 31 + seed) % 256));
}

async function fileWith(bytes: Buffer): Promise<string> {
  const file = path.join(tempRoot, `upload-${Math.random().toString(36).slice(2)}.mp4`);
  await writeFile(file, bytes);
  return file;
}

const amzDate = (at: Date) =>
  at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

describe("createS3Storage", () => {
  it("putFile on a custom endpoint: one signed PUT /bucket/prefix+key with the file, its length and type; the stored URL is the plain object URL", async () => {
    const storage = onEndpoint({ prefix: "openv/" });
    const bytes = patternBytes(200_000);
    const stored = await storage.putFile("vid_1-0.mp4", await fileWith(bytes), "video/mp4");

    expect(stored).toEqual({ key: "vid_1-0.mp4", url: `${endpoint}/${bucket}/openv/vid_1-0.mp4` });
    expect(pathStyle.requests).toHaveLength(1);
    const [put] = pathStyle.requests;
    expect(put?.method).toBe("PUT");
    expect(put?.url.pathname).toBe(`/${bucket}/openv/vid_1-0.mp4`);
    expect(put?.auth).toBe("header");
    expect(put?.headers.get("content-type")).toBe("video/mp4");
    expect(put?.headers.get("content-length")).toBe(String(bytes.length));
    // No CRC32 trailers (aws-chunked): S3-compatible services often refuse them.
    expect(put?.headers.get("content-encoding")).toBeNull();
    expect(put?.body.equals(bytes)).toBe(true);
    expect(pathStyle.objects.get("openv/vid_1-0.mp4")?.body.equals(bytes)).toBe(true);
    expect(pathStyle.refused).toEqual([]);
  });

  it("on AWS: virtual-hosted URLs in the bucket's region; putBytes and readBytes round-trip, keys with spaces and + included", async () => {
    const storage = onAws();
    const bytes = patternBytes(3000, 3);
    const stored = await storage.putBytes("uploads/a b+c.png", bytes, "image/png");
    expect(stored).toEqual({
      key: "uploads/a b+c.png",
      url: `https://${bucket}.s3.${region}.amazonaws.com/uploads/a%20b%2Bc.png`,
    });
    expect(aws.objects.get("uploads/a b+c.png")).toEqual({ body: bytes, contentType: "image/png" });
    expect(Buffer.from(await storage.readBytes("uploads/a b+c.png")).equals(bytes)).toBe(true);
    expect(aws.requests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual([
      "PUT /uploads/a%20b%2Bc.png",
      "GET /uploads/a%20b%2Bc.png",
    ]);
    expect(aws.refused).toEqual([]);
  });

  it("signedUrl: a presigned GET with credential scope, date, TTL and signature that S3 accepts until the TTL passes", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-03-04T05:06:07Z") });
    const storage = onEndpoint({ signedUrlTtlSeconds: 900 });
    const bytes = patternBytes(5000);
    await storage.putBytes("vid_2-0.mp4", bytes, "video/mp4");

    const signed = new URL((await storage.signedUrl?.("vid_2-0.mp4")) ?? "");
    expect(`${signed.origin}${signed.pathname}`).toBe(`${endpoint}/${bucket}/vid_2-0.mp4`);
    const query = signed.searchParams;
    expect(query.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(query.get("X-Amz-Credential")).toBe(`${credentials.accessKeyId}/20260304/${region}/s3/aws4_request`);
    expect(query.get("X-Amz-Date")).toBe("20260304T050607Z");
    expect(query.get("X-Amz-Expires")).toBe("900");
    expect(query.get("X-Amz-SignedHeaders")).toBe("host");
    expect(query.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);

    const download = await fetch(signed);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    expect(pathStyle.requests.at(-1)?.auth).toBe("query");

    // The signature covers the key: the same query on another key is refused.
    const otherKey = new URL(signed);
    otherKey.pathname = `/${bucket}/vid_3-0.mp4`;
    expect((await fetch(otherKey)).status).toBe(403);

    vi.setSystemTime(new Date("2026-03-04T05:20:06Z")); // 899 s later: still valid
    expect((await fetch(signed)).status).toBe(200);
    vi.setSystemTime(new Date("2026-03-04T05:21:08Z")); // 901 s later: expired
    const expired = await fetch(signed);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain("Request has expired");

    // A new one is signed now, so it works again.
    const fresh = new URL((await storage.signedUrl?.("vid_2-0.mp4")) ?? "");
    expect(fresh.searchParams.get("X-Amz-Date")).toBe("20260304T052108Z");
    expect(fresh.searchParams.get("X-Amz-Signature")).not.toBe(query.get("X-Amz-Signature"));
    expect((await fetch(fresh)).status).toBe(200);
  });

  it("signedUrl on AWS: the virtual-hosted object URL, signed for the bucket's region, default TTL one hour", async () => {
    const storage = onAws();
    await storage.putBytes("vid_4-0.mp4", patternBytes(100), "video/mp4");
    const signed = new URL((await storage.signedUrl?.("vid_4-0.mp4")) ?? "");
    expect(`${signed.origin}${signed.pathname}`).toBe(`https://${bucket}.s3.${region}.amazonaws.com/vid_4-0.mp4`);
    expect(signed.searchParams.get("X-Amz-Expires")).toBe("3600");
    expect(signed.searchParams.get("X-Amz-Credential")).toMatch(new RegExp(`/${region}/s3/aws4_request$`));
    expect(Math.abs(parseAmzDate(signed.searchParams.get("X-Amz-Date") ?? "") - Date.now())).toBeLessThan(5000);
    expect((await fetch(signed)).status).toBe(200);
  });

  it("keyForUrl on a custom endpoint: path-style and virtual-hosted URLs of this bucket and prefix, signed or not; anything else is foreign", async () => {
    const storage = onEndpoint({ prefix: "openv/" });
    const stored = await storage.putBytes("dir/a b+c.mp4", patternBytes(10), "video/mp4");
    const signed = (await storage.signedUrl?.("dir/a b+c.mp4")) ?? "";
    expect(storage.keyForUrl(stored.url)).toBe("dir/a b+c.mp4");
    expect(storage.keyForUrl(signed)).toBe("dir/a b+c.mp4");
    expect(storage.keyForUrl(`${endpoint}/${bucket}/openv/v.mp4`)).toBe("v.mp4");
    expect(storage.keyForUrl(`https://${bucket}.s3.test.example/openv/v.mp4?X-Amz-Signature=abc`)).toBe("v.mp4");

    for (const foreign of [
      `${endpoint}/other-bucket/openv/v.mp4`, // another bucket
      `${endpoint}/${bucket}/v.mp4`, // outside the prefix
      `${endpoint}/${bucket}/openv/`, // the prefix itself
      `http://s3.test.example/${bucket}/openv/v.mp4`, // another scheme
      `https://s3.test.example.evil.example/${bucket}/openv/v.mp4`,
      `https://${bucket}.s3.${region}.amazonaws.com/openv/v.mp4`, // AWS, not this endpoint
      foreignVideo,
      `${endpoint}/${bucket}/openv/%E0%A4%A.mp4`, // not decodable
      "not a url",
    ]) {
      expect(storage.keyForUrl(foreign), foreign).toBeNull();
    }
  });

  it("keyForUrl on AWS: virtual-hosted and path-style, any region, legacy and dual-stack hosts; other buckets and look-alike hosts are foreign", () => {
    const storage = onAws();
    for (const url of [
      `https://${bucket}.s3.${region}.amazonaws.com/v.mp4`,
      `https://${bucket}.s3.amazonaws.com/v.mp4`,
      `https://${bucket}.s3-${region}.amazonaws.com/v.mp4`,
      `https://${bucket}.s3.dualstack.us-east-2.amazonaws.com/v.mp4`,
      `https://s3.${region}.amazonaws.com/${bucket}/v.mp4`,
      `https://s3.amazonaws.com/${bucket}/v.mp4?X-Amz-Signature=abc&X-Amz-Expires=60`,
    ]) {
      expect(storage.keyForUrl(url), url).toBe("v.mp4");
    }
    for (const foreign of [
      `https://other.s3.${region}.amazonaws.com/v.mp4`,
      `https://s3.${region}.amazonaws.com/other/v.mp4`,
      `https://${bucket}.s3.${region}.amazonaws.com.evil.example/v.mp4`,
      `https://evil-${bucket}.s3.amazonaws.com/v.mp4`,
      `https://${bucket}.s3.${region}.amazonaws.com:8443/v.mp4`,
      `https://${bucket}.s3.test.example/v.mp4`,
      foreignVideo,
    ]) {
      expect(storage.keyForUrl(foreign), foreign).toBeNull();
    }
  });

  it("deleteFiles: POST ?delete with the keys in S3's XML, at most 1000 per call; missing keys are fine", async () => {
    const storage = onEndpoint({ prefix: "openv/" });
    await storage.putBytes("keep.mp4", patternBytes(10), "video/mp4");
    await storage.putBytes("gone.mp4", patternBytes(10), "video/mp4");
    pathStyle.requests.length = 0;

    const keys = ["gone.mp4", ...Array.from({ length: 2499 }, (_, index) => `missing-${index}.mp4`)];
    await storage.deleteFiles(keys);

    expect(
      pathStyle.requests.map((request) => `${request.method} ${request.url.pathname}${request.url.search}`),
    ).toEqual(Array(3).fill(`POST /${bucket}/?delete=`));
    const batches = pathStyle.requests.map((request) => request.body.toString("utf8"));
    expect(batches.map((xml) => xml.match(/<Key>/g)?.length)).toEqual([1000, 1000, 500]);
    expect(batches[0]).toContain("<Object><Key>openv/gone.mp4</Key></Object>");
    expect(batches.every((xml) => xml.includes("<Quiet>true</Quiet>"))).toBe(true);
    // DeleteObjects needs a checksum of its body; the SDK sends one.
    expect(
      pathStyle.requests.every((request) =>
        [...request.headers.keys()].some((name) => name === "content-md5" || name.startsWith("x-amz-checksum-")),
      ),
    ).toBe(true);
    expect([...pathStyle.objects.keys()]).toEqual(["openv/keep.mp4"]);

    pathStyle.requests.length = 0;
    await storage.deleteFiles([]);
    expect(pathStyle.requests).toEqual([]);
  });

  it("listKeys: ListObjectsV2 under the prefix, page by page, only files older than the cutoff and not in folders below it; the next call goes on where the last stopped", async () => {
    const storage = onEndpoint({ prefix: "openv/" });
    pathStyle.listPageSize = 2;
    const old = new Date(Date.now() - 3_600_000);
    for (const key of ["a.mp4", "b.mp4", "c.mp4", "d.mp4", "e.mp4", "young.mp4", "sub/nested.mp4"]) {
      await storage.putBytes(key, patternBytes(4), "video/mp4");
      if (key !== "young.mp4") pathStyle.modified.set(`openv/${key}`, old);
    }
    await onEndpoint().putBytes("elsewhere.mp4", patternBytes(4), "video/mp4");
    pathStyle.modified.set("elsewhere.mp4", old);
    pathStyle.requests.length = 0;

    const cutoff = new Date(Date.now() - 60_000);
    expect(await storage.listKeys?.({ olderThan: cutoff, limit: 1000 })).toEqual([
      "a.mp4",
      "b.mp4",
      "c.mp4",
      "d.mp4",
      "e.mp4",
    ]);
    // Four pages of two (the last holds young.mp4 alone), each signed, each asking for the prefix.
    expect(pathStyle.requests.map((request) => request.url.searchParams.get("prefix"))).toEqual(
      Array(4).fill("openv/"),
    );
    expect(pathStyle.requests.map((request) => request.url.searchParams.has("continuation-token"))).toEqual([
      false,
      true,
      true,
      true,
    ]);
    expect(pathStyle.refused).toEqual([]);

    // At its limit it stops, and the next call starts after the last key it returned, so a sweep of
    // a large bucket is not stuck on its first thousand files; after the end it starts over.
    expect(await storage.listKeys?.({ olderThan: cutoff, limit: 3 })).toEqual(["a.mp4", "b.mp4", "c.mp4"]);
    expect(await storage.listKeys?.({ olderThan: cutoff, limit: 3 })).toEqual(["d.mp4", "e.mp4"]);
    expect(await storage.listKeys?.({ olderThan: cutoff, limit: 3 })).toEqual(["a.mp4", "b.mp4", "c.mp4"]);
  });

  it("listKeys says which permission to check when listing is denied", async () => {
    pathStyle.override = (request) =>
      request.url.searchParams.get("list-type") === "2" ? s3Error(403, "AccessDenied", "Access Denied") : undefined;
    await expect(onEndpoint().listKeys?.({ olderThan: new Date(), limit: 10 })).rejects.toThrow(
      /Could not list the files in S3 bucket "openv-videos".*s3:ListBucket/,
    );
  });

  it("deleteFiles reports keys the service refused to delete, and which permission to check", async () => {
    const storage = onEndpoint();
    pathStyle.override = () =>
      new HttpResponse(
        `<?xml version="1.0" encoding="UTF-8"?><DeleteResult><Error><Key>a.mp4</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error><Error><Key>b.mp4</Key><Code>NoSuchKey</Code><Message>gone</Message></Error></DeleteResult>`,
        { status: 200, headers: { "content-type": "application/xml" } },
      );
    await expect(storage.deleteFiles(["a.mp4", "b.mp4", "c.mp4"])).rejects.toThrow(
      /Could not delete 1 of 3 file\(s\) in S3 bucket "openv-videos" at https:\/\/s3\.test\.example: "a\.mp4" was refused with AccessDenied \(Access Denied\)\. Check that the credentials are allowed s3:DeleteObject/,
    );
  });

  it("errors say what to check: a missing bucket, denied access, unknown key id, wrong secret, an unreachable endpoint, a missing file", async () => {
    const file = await fileWith(patternBytes(100));
    pathStyle.override = () => s3Error(404, "NoSuchBucket", "The specified bucket does not exist");
    await expect(onEndpoint().putFile("v.mp4", file, "video/mp4")).rejects.toThrow(
      /Could not upload "v\.mp4" to S3 bucket "openv-videos" at https:\/\/s3\.test\.example: the bucket does not exist\. Create it, or check the bucket name \(S3_BUCKET\), the endpoint \(S3_ENDPOINT\)/,
    );
    pathStyle.override = () => s3Error(403, "AccessDenied", "Access Denied");
    await expect(onEndpoint().putFile("v.mp4", file, "video/mp4")).rejects.toThrow(
      /access was denied \(AccessDenied\)\. Check that the credentials are allowed s3:PutObject on bucket "openv-videos"/,
    );
    await expect(onEndpoint().readBytes("v.mp4")).rejects.toThrow(/allowed s3:GetObject/);
    pathStyle.override = null;

    const unknownKey = onEndpoint({ credentials: { ...credentials, accessKeyId: "AKIAUNKNOWN000000000" } });
    await expect(unknownKey.putFile("v.mp4", file, "video/mp4")).rejects.toThrow(/Check AWS_ACCESS_KEY_ID/);
    const wrongSecret = onEndpoint({ credentials: { ...credentials, secretAccessKey: "not the secret" } });
    await expect(wrongSecret.putFile("v.mp4", file, "video/mp4")).rejects.toThrow(/Check AWS_SECRET_ACCESS_KEY/);
    expect(pathStyle.refused.map((refusal) => refusal.reason)).toEqual(["unknown access key", "SignatureDoesNotMatch"]);

    await expect(onEndpoint().readBytes("nothing-here.mp4")).rejects.toThrow(
      /Could not read "nothing-here\.mp4" in S3 bucket "openv-videos" .*: there is no such file/,
    );

    network.use(http.all("https://unreachable.test.example/*", () => HttpResponse.error()));
    const unreachable = onEndpoint({ endpoint: "https://unreachable.test.example" });
    await expect(unreachable.readBytes("v.mp4")).rejects.toThrow(
      /the service could not be reached .*Check S3_ENDPOINT and that this server can reach it/,
    );
  });

  it("putFile tries a failed upload again with the whole file, but not one the service refused", async () => {
    const logger = recordingLogger();
    const storage = onEndpoint({ logger });
    const bytes = patternBytes(50_000);
    let failures = 1;
    pathStyle.override = () =>
      failures-- > 0 ? s3Error(503, "SlowDown", "Please reduce your request rate.") : undefined;
    await storage.putFile("v.mp4", await fileWith(bytes), "video/mp4");
    expect(pathStyle.requests).toHaveLength(2);
    expect(pathStyle.requests.every((request) => request.body.equals(bytes))).toBe(true);
    expect(pathStyle.objects.get("v.mp4")?.body.equals(bytes)).toBe(true);
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ key: "v.mp4", attempt: 1 }), expect.any(String));

    pathStyle.requests.length = 0;
    pathStyle.override = () => s3Error(403, "AccessDenied", "Access Denied");
    await expect(storage.putFile("w.mp4", await fileWith(bytes), "video/mp4")).rejects.toThrow(/s3:PutObject/);
    expect(pathStyle.requests).toHaveLength(1);
  });

  it("copyFromUrl downloads a provider's file and uploads it under the key, leaving no temporary file", async () => {
    const bytes = patternBytes(40_000, 11);
    network.use(
      http.get(foreignVideo, () =>
        HttpResponse.arrayBuffer(new Uint8Array(bytes).buffer, { headers: { "content-type": "video/mp4" } }),
      ),
    );
    const logger = recordingLogger();
    const stored = await onEndpoint({ logger }).copyFromUrl("vid_5-0.mp4", `${foreignVideo}?token=secret`, "video/mp4");
    expect(stored).toEqual({ key: "vid_5-0.mp4", url: `${endpoint}/${bucket}/vid_5-0.mp4` });
    expect(pathStyle.objects.get("vid_5-0.mp4")).toEqual({ body: bytes, contentType: "video/mp4" });
    expect(await readdir(path.join(tempRoot, "tmp"))).toEqual([]);
    expect(JSON.stringify(logger.info.mock.calls)).not.toContain("secret");
  });

  it("checks its settings when created, saying which one to fix", () => {
    expect(() => createS3Storage({ bucket: " " })).toThrow(/set S3_BUCKET/);
    expect(() => onEndpoint({ signedUrlTtlSeconds: 0 })).toThrow(/S3_SIGNED_URL_TTL_SECONDS/);
    expect(() => onEndpoint({ signedUrlTtlSeconds: 604_801 })).toThrow(/1 to 604800 \(7 days/);
    expect(() => onEndpoint({ endpoint: "s3.test.example" })).toThrow(/Set S3_ENDPOINT to the service's address/);
    expect(() => onEndpoint({ credentials: { accessKeyId: "AKIA", secretAccessKey: "" } })).toThrow(
      /set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
    expect(() => onEndpoint({ prefix: "/videos/" })).toThrow(/drop the leading slash/);
    expect(onEndpoint().name).toBe(`S3 bucket "${bucket}" at ${endpoint}`);
    expect(onAws().name).toBe(`S3 bucket "${bucket}"`);
  });
});

describe("choosing S3 storage from the service options", () => {
  it("`s3` replaces local files (no /files route); UploadThing wins when both are configured, with a warning naming what to unset", async () => {
    const server = await startTestServer({
      adminUrl: backends.at(-1)?.adminUrl ?? null,
      s3: { bucket, region, endpoint, forcePathStyle: true, credentials },
    });
    try {
      expect(server.openv.adapters.storage.name).toBe(`S3 bucket "${bucket}" at ${endpoint}`);
      const document = (await (await server.api("/openapi.json")).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(document.paths)).not.toContain("/files/{key}");
      expect(Object.keys(document.paths)).toContain("/videos/{id}");
    } finally {
      await server.close();
    }

    const logger = recordingLogger();
    const token = Buffer.from(
      JSON.stringify({ apiKey: "sk_test_1", appId: "openvtestapp", regions: ["sea1"] }),
    ).toString("base64");
    const options = {
      dataDir: null,
      filesDir: tempRoot,
      filesBaseUrl: () => "http://127.0.0.1:1/api/files",
      logger,
      s3: { bucket, region },
    };
    // Given store, events and auth: only the storage is chosen here (and no dev-auth warning).
    const auth = { name: "test auth", authenticate: async () => ({ userId: "alice" }) };
    const given = { store: {} as Store, events: createMemoryEvents(), auth };
    expect((await resolveAdapters(given, options)).storage.name).toBe(`S3 bucket "${bucket}"`);
    expect(logger.warn).not.toHaveBeenCalled();
    const both = await resolveAdapters(given, { ...options, uploadthing: { token } });
    expect(both.storage.name).toBe("UploadThing (app openvtestapp)");
    expect(logger.warn).toHaveBeenCalledWith(
      { bucket },
      expect.stringContaining("videos go to UploadThing; unset UPLOADTHING_TOKEN to use S3"),
    );
  });
});

/**
 * The server on S3 storage: the local preview provider renders a real MP4 and uploads it with
 * `putFile`; every read (GET one, the lists, the events) hands out a URL signed at that read, while
 * the database keeps the plain object URL.
 */
describe.each(backends)("the server on S3 storage ($name)", ({ adminUrl }) => {
  let server: TestServer | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await server?.close();
    server = undefined;
  });

  const openEvents = (running: TestServer, query = "") =>
    unpatchedFetch(`${running.origin}/api/videos/events${query}`, { headers: { "x-openv-user": "alice" } });
  const read = async (running: TestServer, id: string) =>
    ((await (await running.api(`/videos/${id}`)).json()) as { video: Video }).video;

  async function completedVideo(running: TestServer): Promise<Video> {
    const response = await running.api("/videos", { method: "POST", json: generateBody });
    expect(response.status).toBe(202);
    const { video } = GenerateResponseSchema.parse(await response.json());
    expect(video.url).toBeNull();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const current = await read(running, video.id);
      if (current.status === "completed") return current;
      expect(current.status).not.toBe("failed");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("the preview video did not complete");
  }

  it("each read of a completed video gets a freshly signed URL that S3 accepts; the database keeps the plain URL", async () => {
    const ttl = 120;
    server = await startTestServer({ adminUrl, storage: onEndpoint({ signedUrlTtlSeconds: ttl, prefix: "openv/" }) });
    await accepted(server);
    const events = await openEvents(server);
    const completion = readEvents(events, (seen) =>
      seen.some((event) => (event.data as Video | null)?.status === "completed"),
    );
    const video = await completedVideo(server);

    // The preview provider uploaded one real MP4 (at the key the server chose for the attempt) through the adapter.
    const key = `${video.id}-0.mp4`;
    expect([...pathStyle.objects.keys()]).toEqual([`openv/${key}`]);
    const object = pathStyle.objects.get(`openv/${key}`);
    expect(object?.contentType).toBe("video/mp4");
    expect(object?.body.subarray(4, 8).toString("latin1")).toBe("ftyp");
    const stored = await server.openv.adapters.store.getVideo("alice", video.id);
    expect(stored).toMatchObject({ url: `${endpoint}/${bucket}/openv/${key}`, storageKey: key });

    // The live event was signed when it was sent.
    const live = (await completion).map((event) => event.data as Video).find((change) => change.status === "completed");
    expect(live?.url).toMatch(/[?&]X-Amz-Signature=[0-9a-f]{64}(&|$)/);
    expect((await fetch(live?.url ?? "")).status).toBe(200);

    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const first = new URL((await read(server, video.id)).url ?? "");
    expect(`${first.origin}${first.pathname}`).toBe(stored?.url);
    expect(first.searchParams.get("X-Amz-Expires")).toBe(String(ttl));
    const firstDownload = await fetch(first);
    expect(firstDownload.status).toBe(200);
    expect(Buffer.from(await firstDownload.arrayBuffer()).equals(object?.body ?? Buffer.alloc(0))).toBe(true);

    // Past the first URL's lifetime: it no longer works, and the next read hands out one that does.
    vi.setSystemTime(Date.now() + (ttl + 30) * 1000);
    expect((await fetch(first)).status).toBe(403);
    const second = new URL((await read(server, video.id)).url ?? "");
    expect(second.searchParams.get("X-Amz-Date")).toBe(amzDate(new Date()));
    expect(second.searchParams.get("X-Amz-Signature")).not.toBe(first.searchParams.get("X-Amz-Signature"));
    expect((await fetch(second)).status).toBe(200);

    // Lists, incremental lists and the replay of the event stream sign too, at the time of reading.
    const list = (await (await server.api("/videos")).json()) as { videos: Video[] };
    const changes = (await (await server.api("/videos?updatedSince=0")).json()) as { videos: Video[] };
    const replay = await readEvents(await openEvents(server, "?since=0"), (seen) =>
      seen.some((event) => (event.data as Video | null)?.status === "completed"),
    );
    const replayed = replay.map((event) => event.data as Video).find((change) => change.status === "completed");
    for (const url of [list.videos[0]?.url, changes.videos[0]?.url, replayed?.url]) {
      const signed = new URL(url ?? "");
      expect(`${signed.origin}${signed.pathname}`).toBe(stored?.url);
      expect(signed.searchParams.get("X-Amz-Date")).toBe(amzDate(new Date()));
      expect((await fetch(signed)).status).toBe(200);
    }

    // The database still holds the plain URL, never a signed one.
    expect((await server.openv.adapters.store.getVideo("alice", video.id))?.url).toBe(stored?.url);
    expect(pathStyle.refused.filter((refusal) => refusal.reason !== "Request has expired")).toEqual([]);

    // Deleting the video deletes its object.
    expect((await server.api(`/videos/${video.id}`, { method: "DELETE" })).status).toBe(204);
    expect(pathStyle.objects.has(`openv/${key}`)).toBe(false);
  });
  it("an outbound video.completed webhook carries a URL signed when it is sent; the outbox keeps the plain one", async () => {
    const receiver = await new WebhookReceiver(signingSecret).start();
    try {
      server = await startTestServer({
        adminUrl,
        storage: onEndpoint({ signedUrlTtlSeconds: 120 }),
        outboundWebhooks: { url: receiver.url, secret: signingSecret },
      });
      await accepted(server);
      const video = await completedVideo(server);
      await server.openv.outbox?.runOnce();
      const delivered = receiver.delivered.find(
        (entry) => (entry.verified as { type: string }).type === "video.completed",
      );
      expect(delivered).toBeDefined();
      const sent = (delivered?.verified as { data: Video } | undefined)?.data as Video;
      expect(sent.id).toBe(video.id);
      const signed = new URL(sent.url ?? "");
      expect(signed.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
      expect((await fetch(signed)).status).toBe(200);
      const stored = await server.openv.adapters.store.getVideo("alice", video.id);
      expect(`${signed.origin}${signed.pathname}`).toBe(stored?.url);
      const store = server.openv.adapters.store as unknown as {
        client: { outboxMessage: { findMany(): Promise<{ payload: { data: Video } }[]> } };
      };
      const [queued] = await store.client.outboxMessage.findMany();
      expect(queued?.payload.data.url).toBe(stored?.url);
    } finally {
      await receiver.stop();
    }
  });
});

/** Item 11 of issue 16 on S3: the reconciler's sweep lists the bucket and deletes what no record points at. */
describe("the orphan-file sweep on S3 storage", () => {
  it("deletes orphaned outputs and uploads under the prefix, keeps every file a record points at, files of other names and files elsewhere in the bucket", async () => {
    pathStyle.listPageSize = 2; // the bucket is read in several pages
    const provider = new ScriptedProvider();
    const server = await startTestServer({
      provider,
      config: { maxActiveJobs: 10 },
      s3: { bucket, region, endpoint, forcePathStyle: true, credentials, prefix: "openv/" },
    });
    try {
      await accepted(server);
      const response = await server.api("/videos", { method: "POST", json: generateBody });
      expect(response.status).toBe(202);
      const { video } = GenerateResponseSchema.parse(await response.json());
      const storage = server.openv.adapters.storage;
      const put = (key: string) => storage.putBytes(key, patternBytes(8), "video/mp4");
      const kept = [`${video.id}-0.mp4`, "notes.txt"]; // the running attempt's output; not our name
      const orphans = ["vid_AAAAAAAAAAAAAAAA-0.mp4", `${video.id}-7.mp4`, "upl_gone.png"];
      for (const key of [...kept, ...orphans]) await put(key);
      // Another application's file beside the prefix, with an orphan's name: not ours to sweep.
      await onEndpoint().putBytes("vid_AAAAAAAAAAAAAAAA-0.mp4", patternBytes(8), "video/mp4");

      const deleted = await server.openv.reconciler.sweepFiles(new Date(Date.now() + 1000));
      expect(deleted.sort()).toEqual([...orphans].sort());
      expect([...pathStyle.objects.keys()].sort()).toEqual(
        ["vid_AAAAAAAAAAAAAAAA-0.mp4", ...kept.map((key) => `openv/${key}`)].sort(),
      );
      // Nothing younger than the age limit is taken.
      await put("vid_BBBBBBBBBBBBBBBB-0.mp4");
      expect(await server.openv.reconciler.sweepFiles(new Date(Date.now() - 60_000))).toEqual([]);
      expect(pathStyle.objects.has("openv/vid_BBBBBBBBBBBBBBBB-0.mp4")).toBe(true);
    } finally {
      await server.close();
    }
  });
});
