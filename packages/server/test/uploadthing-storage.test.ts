import { createHmac } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { delay, HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createUploadThingStorage } from "../src/adapters/storage/uploadthing.js";
import type { Logger } from "../src/core/ports.js";
import { accepted, generateBody, ScriptedProvider, startTestServer } from "./helpers.js";

const apiKey = "sk_test_0123456789abcdef";
const appId = "openvtestapp";
const token = Buffer.from(JSON.stringify({ apiKey, appId, regions: ["sea1"] })).toString("base64");
const ingest = "https://sea1.ingest.uploadthing.com";
const api = "https://api.uploadthing.com";
const source = "https://cdn.provider.example/outputs/job-1.mp4";
const signedSource = `${source}?X-Amz-Signature=do-not-leak-this&X-Amz-Expires=3600`;

/** Bytes that differ from position to position, so a reordered or truncated copy shows. */
function patternBytes(length: number, seed = 7): Buffer {
  return Buffer.from(Array.from({ length }, (_, index) => (index * 31 + seed) % 256));
}

interface IngestRequest {
  method: string;
  url: URL;
  fileKey: string;
  headers: Headers;
  redirect: RequestRedirect;
  /** The multipart field `file`. */
  file: { bytes: Buffer; type: string };
}

interface ApiRequest {
  method: string;
  url: string;
  headers: Headers;
  body: unknown;
}

const uploads: IngestRequest[] = [];
const apiCalls: ApiRequest[] = [];

/** UploadThing as UTApi 7.7 talks to it: signed multipart PUTs to the ingest host, JSON POSTs to the API. */
function uploadThing(options: { ingestAnswer?: () => Response; deleteAnswer?: (body: unknown) => Response } = {}) {
  return [
    http.put(`${ingest}/:fileKey`, async ({ request, params }) => {
      const form = await request.formData();
      const file = form.get("file");
      if (!(file instanceof Blob)) return HttpResponse.json({ error: "no file" }, { status: 400 });
      uploads.push({
        method: request.method,
        url: new URL(request.url),
        fileKey: String(params.fileKey),
        headers: request.headers,
        redirect: request.redirect,
        file: { bytes: Buffer.from(await file.arrayBuffer()), type: file.type },
      });
      if (options.ingestAnswer) return options.ingestAnswer();
      const fileKey = String(params.fileKey);
      return HttpResponse.json({
        url: `https://utfs.io/f/${fileKey}`,
        appUrl: `https://utfs.io/a/${appId}/${fileKey}`,
        ufsUrl: `https://${appId}.ufs.sh/f/${fileKey}`,
        fileHash: "0f1e2d3c",
      });
    }),
    http.post(`${api}/v6/deleteFiles`, async ({ request }) => {
      const body: unknown = await request.json();
      apiCalls.push({ method: request.method, url: request.url, headers: request.headers, body });
      if (options.deleteAnswer) return options.deleteAnswer(body);
      return HttpResponse.json({ success: true, deletedCount: 0 });
    }),
  ];
}

const server = setupServer();
let tempRoot: string;
let copyTemp: string;
const originalTmpdir = process.env.TMPDIR;

beforeAll(() =>
  // The sweep test's own calls go to its test server on loopback; everything else must be mocked.
  server.listen({
    onUnhandledRequest: (request, print) => {
      if (new URL(request.url).hostname !== "127.0.0.1") print.error();
    },
  }),
);
afterAll(() => server.close());
beforeEach(async () => {
  // uploadthing 7.7.4 reads its own deprecated `url`/`appUrl` getters on every server upload and
  // warns about them (pingdotgg/uploadthing#1224); keep those out of the test output, nothing else.
  const warn = console.warn.bind(console);
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    if (!String(args[0]).startsWith("⚠️ [uploadthing][deprecated]")) warn(...args);
  });
  uploads.length = 0;
  apiCalls.length = 0;
  tempRoot = await mkdtemp(path.join(os.tmpdir(), "openv-ut-test-"));
  // copyFromUrl downloads into os.tmpdir(); a private one shows that nothing is left behind.
  copyTemp = path.join(tempRoot, "tmp");
  await mkdir(copyTemp);
  process.env.TMPDIR = copyTemp;
});
afterEach(async () => {
  vi.restoreAllMocks();
  server.resetHandlers();
  if (originalTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = originalTmpdir;
  await rm(tempRoot, { recursive: true, force: true });
});

function silentLogger() {
  return {
    info: vi.fn<Logger["info"]>(),
    warn: vi.fn<Logger["warn"]>(),
    error: vi.fn<Logger["error"]>(),
  } satisfies Logger;
}

async function videoFile(bytes: Buffer): Promise<string> {
  const file = path.join(tempRoot, "video.mp4");
  await writeFile(file, bytes);
  return file;
}

function expectValidSignature(url: URL) {
  const href = url.href;
  const signatureAt = href.indexOf("&signature=");
  expect(signatureAt).toBeGreaterThan(0);
  const expected = createHmac("sha256", apiKey).update(href.slice(0, signatureAt)).digest("hex");
  expect(url.searchParams.get("signature")).toBe(`hmac-sha256=${expected}`);
}

describe("createUploadThingStorage", () => {
  it("names the app and refuses tokens that are not UploadThing tokens, saying where to find one", () => {
    expect(createUploadThingStorage({ token }).name).toBe(`UploadThing (app ${appId})`);
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64");
    const bad = [
      "",
      apiKey,
      "definitely not base64 json",
      encode({ apiKey: "pk_wrong", appId, regions: ["sea1"] }),
      encode({ apiKey, regions: ["sea1"] }),
      encode({ apiKey, appId, regions: [] }),
    ];
    for (const badToken of bad) {
      expect(() => createUploadThingStorage({ token: badToken })).toThrow(/UploadThing dashboard → API Keys/);
      expect(() => createUploadThingStorage({ token: badToken })).toThrow(/UPLOADTHING_TOKEN/);
    }
    expect(() => createUploadThingStorage({ token: apiKey })).toThrow(/secret key, not a token/);
    // What the token holds never appears in the message.
    const leaky = encode({ apiKey: "pk_live_secret", appId, regions: ["sea1"] });
    expect(() => createUploadThingStorage({ token: leaky })).toThrow(/holds no sk_… API key/);
    expect(() => createUploadThingStorage({ token: leaky })).not.toThrow(/pk_live_secret/);
  });
});

describe("putFile", () => {
  it("uploads the file's bytes with customId = key and returns that key and its custom-id ufs URL", async () => {
    server.use(...uploadThing());
    const bytes = patternBytes(70_000);
    const storage = createUploadThingStorage({ token });

    const stored = await storage.putFile("video-1.mp4", await videoFile(bytes), "video/mp4");

    // First a delete by customId, so that a retried upload replaces the earlier one.
    expect(apiCalls).toHaveLength(1);
    expect(apiCalls[0]?.method).toBe("POST");
    expect(apiCalls[0]?.url).toBe(`${api}/v6/deleteFiles`);
    expect(apiCalls[0]?.headers.get("x-uploadthing-api-key")).toBe(apiKey);
    expect(apiCalls[0]?.headers.get("content-type")).toBe("application/json");
    expect(apiCalls[0]?.body).toEqual({ customIds: ["video-1.mp4"] });

    expect(uploads).toHaveLength(1);
    const upload = uploads[0] as IngestRequest;
    expect(upload.method).toBe("PUT");
    expect(upload.url.origin).toBe(ingest);
    expect(upload.headers.get("range")).toBe("bytes=0-");
    // What lets Node's fetch stream the file instead of keeping all of it in memory.
    expect(upload.redirect).toBe("error");
    expect(upload.headers.get("x-uploadthing-version")).toMatch(/^7\.7\./);
    expect(upload.headers.get("content-type")).toMatch(/^multipart\/form-data; boundary=/);
    // The ingest request is authorised by an HMAC of its URL, not by the API key itself.
    expect(upload.headers.get("x-uploadthing-api-key")).toBeNull();
    expectValidSignature(upload.url);
    const query = upload.url.searchParams;
    expect(query.get("x-ut-identifier")).toBe(appId);
    // UploadThing encodes these values twice: `video%252Fmp4` on the wire.
    expect(decodeURIComponent(query.get("x-ut-file-type") ?? "")).toBe("video/mp4");
    expect(decodeURIComponent(query.get("x-ut-custom-id") ?? "")).toBe("video-1.mp4");
    expect(query.get("x-ut-file-name")).toBe("video-1.mp4");
    expect(query.get("x-ut-file-size")).toBe(String(bytes.length));
    expect(query.get("x-ut-content-disposition")).toBe("inline");
    expect(Number(query.get("expires"))).toBeGreaterThan(Date.now());
    expect(upload.file.type).toBe("video/mp4");
    expect(upload.file.bytes.equals(bytes)).toBe(true);

    expect(stored).toEqual({ key: "video-1.mp4", url: `https://${appId}.ufs.sh/f/video-1.mp4` });
    expect(storage.keyForUrl(stored.url)).toBe(stored.key);
  });

  it("says when an earlier upload of the key was replaced", async () => {
    server.use(...uploadThing({ deleteAnswer: () => HttpResponse.json({ success: true, deletedCount: 1 }) }));
    const logger = silentLogger();
    const storage = createUploadThingStorage({ token, logger });
    await storage.putFile("video-1.mp4", await videoFile(patternBytes(10)), "video/mp4");
    expect(logger.info).toHaveBeenCalledWith({ key: "video-1.mp4" }, expect.stringMatching(/replacing an earlier/));
    expect(uploads).toHaveLength(1);
  });

  it("still uploads when the check for an earlier upload fails, and warns", async () => {
    server.use(...uploadThing({ deleteAnswer: () => HttpResponse.json({ error: "boom" }, { status: 500 }) }));
    const logger = silentLogger();
    const storage = createUploadThingStorage({ token, logger });
    const stored = await storage.putFile("video-1.mp4", await videoFile(patternBytes(10)), "video/mp4");
    expect(stored.key).toBe("video-1.mp4");
    expect(logger.warn).toHaveBeenCalledWith(
      { key: "video-1.mp4", problem: expect.stringMatching(/answered 500/) },
      expect.any(String),
    );
  });

  it("throws a helpful error when UploadThing refuses the upload", async () => {
    server.use(
      ...uploadThing({ ingestAnswer: () => HttpResponse.json({ error: "File size exceeds limit" }, { status: 413 }) }),
    );
    const storage = createUploadThingStorage({ token });
    const upload = storage.putFile("video-1.mp4", await videoFile(patternBytes(100)), "video/mp4");
    await expect(upload).rejects.toThrow(
      /^Could not upload "video-1\.mp4" to UploadThing: it answered 413 \(.*File size exceeds limit.*\)\. The file is larger than the app's UploadThing plan allows\.$/,
    );
  });

  it("points at the token when the ingest server answers 403", async () => {
    server.use(
      ...uploadThing({ ingestAnswer: () => HttpResponse.json({ error: "Invalid signature" }, { status: 403 }) }),
    );
    const storage = createUploadThingStorage({ token });
    const upload = storage.putFile("video-1.mp4", await videoFile(patternBytes(100)), "video/mp4");
    await expect(upload).rejects.toThrow(/it answered 403 .*Invalid signature.*UploadThing dashboard → API Keys/);
  });

  it("says so when UploadThing cannot be reached", async () => {
    server.use(
      http.put(`${ingest}/:fileKey`, () => HttpResponse.error()),
      ...uploadThing(),
    );
    const storage = createUploadThingStorage({ token });
    const upload = storage.putFile("video-1.mp4", await videoFile(patternBytes(100)), "video/mp4");
    await expect(upload).rejects.toThrow(/sea1\.ingest\.uploadthing\.com could not be reached.*can reach UploadThing/);
  });
});

describe("deleteFiles", () => {
  it("sends the file keys to UploadThing", async () => {
    server.use(...uploadThing({ deleteAnswer: () => HttpResponse.json({ success: true, deletedCount: 2 }) }));
    const storage = createUploadThingStorage({ token });
    await storage.deleteFiles(["fileKeyOne", "fileKeyTwo"]);
    expect(apiCalls).toHaveLength(1);
    expect(apiCalls[0]?.method).toBe("POST");
    expect(apiCalls[0]?.url).toBe(`${api}/v6/deleteFiles`);
    expect(apiCalls[0]?.headers.get("x-uploadthing-api-key")).toBe(apiKey);
    expect(apiCalls[0]?.headers.get("x-uploadthing-be-adapter")).toBe("server-sdk");
    expect(apiCalls[0]?.body).toEqual({ fileKeys: ["fileKeyOne", "fileKeyTwo"] });
  });

  it("does nothing for an empty list", async () => {
    server.use(...uploadThing());
    await createUploadThingStorage({ token }).deleteFiles([]);
    expect(apiCalls).toHaveLength(0);
  });

  it("treats keys UploadThing does not know as deleted", async () => {
    server.use(...uploadThing({ deleteAnswer: () => HttpResponse.json({ success: true, deletedCount: 0 }) }));
    await expect(createUploadThingStorage({ token }).deleteFiles(["gone"])).resolves.toBeUndefined();
    server.use(...uploadThing({ deleteAnswer: () => HttpResponse.json({ error: "Not found" }, { status: 404 }) }));
    await expect(createUploadThingStorage({ token }).deleteFiles(["gone"])).resolves.toBeUndefined();
  });

  it("throws, pointing at the token, when UploadThing refuses the API key", async () => {
    server.use(
      ...uploadThing({ deleteAnswer: () => HttpResponse.json({ error: "Invalid API key" }, { status: 401 }) }),
    );
    const deletion = createUploadThingStorage({ token }).deleteFiles(["fileKeyOne"]);
    await expect(deletion).rejects.toThrow(
      /^Could not delete 1 file\(s\) from UploadThing: it answered 401\. .*UploadThing dashboard → API Keys/,
    );
  });
});

describe("keyForUrl", () => {
  const storage = createUploadThingStorage({ token });

  it("accepts the URLs of this app's files", () => {
    expect(storage.keyForUrl(`https://${appId}.ufs.sh/f/AbC123xyz`)).toBe("AbC123xyz");
    expect(storage.keyForUrl(`https://utfs.io/a/${appId}/AbC123xyz`)).toBe("AbC123xyz");
    // Legacy URLs name no app; they are accepted (see the adapter).
    expect(storage.keyForUrl("https://utfs.io/f/2e0fdb64-9957-4262-8e45-f372ba903ac8_video.mp4")).toBe(
      "2e0fdb64-9957-4262-8e45-f372ba903ac8_video.mp4",
    );
  });

  it("rejects other apps' files, other hosts and malformed URLs", () => {
    for (const url of [
      "https://otherapp.ufs.sh/f/AbC123xyz",
      "https://utfs.io/a/otherapp/AbC123xyz",
      `https://${appId}.ufs.sh.evil.example/f/AbC123xyz`,
      `https://evil.example/${appId}.ufs.sh/f/AbC123xyz`,
      `https://cdn.provider.example/f/AbC123xyz`,
      `http://${appId}.ufs.sh/f/AbC123xyz`,
      `https://${appId}.ufs.sh/f/`,
      `https://${appId}.ufs.sh/f/AbC123xyz/extra`,
      `https://${appId}.ufs.sh/x/AbC123xyz`,
      `https://${appId}.ufs.sh/f/..%2Fsecret`,
      "https://utfs.io/a/AbC123xyz",
      "not a url",
      "",
    ]) {
      expect(storage.keyForUrl(url), url).toBeNull();
    }
  });
});

describe("copyFromUrl", () => {
  it("downloads a foreign URL and uploads exactly its bytes", async () => {
    const bytes = patternBytes(200_000, 3);
    server.use(
      ...uploadThing(),
      http.get(source, ({ request }) => {
        expect(new URL(request.url).searchParams.get("X-Amz-Signature")).toBe("do-not-leak-this");
        return new HttpResponse(bytes, {
          headers: { "content-type": "video/mp4", "content-length": String(bytes.length) },
        });
      }),
    );
    const logger = silentLogger();
    const storage = createUploadThingStorage({ token, logger });

    const stored = await storage.copyFromUrl("video-1.mp4", signedSource, "video/mp4");

    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.file.bytes.equals(bytes)).toBe(true);
    expect(decodeURIComponent(uploads[0]?.url.searchParams.get("x-ut-custom-id") ?? "")).toBe("video-1.mp4");
    expect(stored).toEqual({ key: "video-1.mp4", url: `https://${appId}.ufs.sh/f/video-1.mp4` });
    expect(logger.info).toHaveBeenCalledWith(
      { key: "video-1.mp4", fileKey: stored.key, bytes: bytes.length, from: source },
      expect.any(String),
    );
    expect(JSON.stringify(logger.info.mock.calls)).not.toContain("do-not-leak-this");
    expect(await readdir(copyTemp)).toEqual([]);
  });

  it("accepts the generic binary types object stores send", async () => {
    const bytes = patternBytes(1000);
    server.use(
      ...uploadThing(),
      http.get(source, () => new HttpResponse(bytes, { headers: { "content-type": "binary/octet-stream" } })),
    );
    await createUploadThingStorage({ token }).copyFromUrl("video-1.mp4", source, "video/mp4");
    expect(uploads[0]?.file.bytes.equals(bytes)).toBe(true);
  });

  const refusals: { name: string; answer: () => Response | Promise<Response>; message: RegExp; maxBytes?: number }[] = [
    {
      name: "a 403 (expired link)",
      answer: () => new HttpResponse("AccessDenied", { status: 403 }),
      message: /^Could not copy the video from cdn\.provider\.example: it answered 403\. The link may have expired/,
    },
    {
      name: "a 404",
      answer: () => new HttpResponse("NoSuchKey", { status: 404 }),
      message: /^Could not copy the video from cdn\.provider\.example: it answered 404\. The file is not there/,
    },
    {
      name: "an HTML page",
      answer: () => HttpResponse.html("<html><body>Sign in</body></html>"),
      message: /it sent text\/html instead of video\/\* \(video\/mp4\)\. The link probably leads to a web page/,
    },
    {
      name: "a file larger than the limit (announced)",
      answer: () =>
        new HttpResponse(patternBytes(5000), { headers: { "content-type": "video/mp4", "content-length": "5000" } }),
      message: /it is 4\.9 KiB, more than the 1000 bytes limit\. Raise the copy size limit/,
      maxBytes: 1000,
    },
    {
      name: "a file larger than the limit (streamed, no length)",
      answer: () =>
        new HttpResponse(
          new ReadableStream({
            start(controller) {
              for (let chunk = 0; chunk < 5; chunk += 1) controller.enqueue(patternBytes(600, chunk));
              controller.close();
            },
          }),
          { headers: { "content-type": "video/mp4" } },
        ),
      message: /it sent more than the 1000 bytes limit/,
      maxBytes: 1000,
    },
    {
      name: "an empty body",
      answer: () => new HttpResponse(new Uint8Array(0), { headers: { "content-type": "video/mp4" } }),
      message: /it sent an empty file/,
    },
  ];

  for (const refusal of refusals) {
    it(`throws and uploads nothing for ${refusal.name}`, async () => {
      server.use(...uploadThing(), http.get(source, refusal.answer));
      const storage = createUploadThingStorage({
        token,
        ...(refusal.maxBytes === undefined ? {} : { copy: { maxBytes: refusal.maxBytes } }),
      });
      const copy = storage.copyFromUrl("video-1.mp4", signedSource, "video/mp4");
      await expect(copy).rejects.toThrow(refusal.message);
      await expect(copy).rejects.not.toThrow(/do-not-leak-this|X-Amz/);
      expect(uploads).toHaveLength(0);
      expect(apiCalls).toHaveLength(0);
      expect(await readdir(copyTemp)).toEqual([]);
    });
  }

  it("gives up on a source slower than the timeout, saying no more than it would for a refused or closed host", async () => {
    server.use(
      ...uploadThing(),
      http.get(source, async () => {
        await delay(5000);
        return new HttpResponse(patternBytes(10), { headers: { "content-type": "video/mp4" } });
      }),
    );
    const storage = createUploadThingStorage({ token, copy: { timeoutMs: 50 } });
    await expect(storage.copyFromUrl("video-1.mp4", signedSource, "video/mp4")).rejects.toThrow(
      /^Could not copy the video from cdn\.provider\.example: the URL could not be fetched: its host is not reachable from this server, did not answer in time, or is not allowed/,
    );
    expect(uploads).toHaveLength(0);
  });
});

/** A file of the app as UploadThing's /v6/listFiles describes it. */
interface AppFile {
  id: string;
  customId: string | null;
  key: string;
  name: string;
  size: number;
  status: "Deletion Pending" | "Failed" | "Uploaded" | "Uploading";
  uploadedAt: number;
}

/**
 * An UploadThing app's file list behind the API as UTApi 7.7 calls it: POST /v6/listFiles with
 * `{limit, offset}` answering `{hasMore, files}`, and POST /v6/deleteFiles by custom id or file key
 * (deleted files leave the list). Pages hold at most `pageSize` files, fewer than asked for, so
 * that paging shows.
 */
function uploadThingApp(files: AppFile[], pageSize = 2) {
  return [
    http.post(`${api}/v6/listFiles`, async ({ request }) => {
      const body = (await request.json()) as { limit?: number; offset?: number };
      apiCalls.push({ method: request.method, url: request.url, headers: request.headers, body });
      if (request.headers.get("x-uploadthing-api-key") !== apiKey) {
        return HttpResponse.json({ error: "Invalid API key" }, { status: 401 });
      }
      const offset = body.offset ?? 0;
      const page = files.slice(offset, offset + Math.min(body.limit ?? 500, pageSize));
      return HttpResponse.json({ hasMore: offset + page.length < files.length, files: page });
    }),
    http.post(`${api}/v6/deleteFiles`, async ({ request }) => {
      const body = (await request.json()) as { customIds?: string[]; fileKeys?: string[] };
      apiCalls.push({ method: request.method, url: request.url, headers: request.headers, body });
      const before = files.length;
      for (let index = files.length - 1; index >= 0; index--) {
        const file = files[index] as AppFile;
        if (body.customIds?.includes(file.customId ?? "") || body.fileKeys?.includes(file.key)) files.splice(index, 1);
      }
      return HttpResponse.json({ success: true, deletedCount: before - files.length });
    }),
  ];
}

let fileNumber = 0;
function appFile(customId: string | null, uploadedAt: number, status: AppFile["status"] = "Uploaded"): AppFile {
  const id = `file${++fileNumber}`;
  const key = `${id}AbCdEfGhIjKlMnOpQrStUv`;
  return { id, customId, key, name: customId ?? "photo.jpg", size: 10, status, uploadedAt };
}

describe("listKeys", () => {
  it("pages through /v6/listFiles and lists only this server's files (custom ids it chose) uploaded before the cutoff; the next call goes on where the last stopped", async () => {
    const old = Date.now() - 3_600_000;
    const files = [
      appFile("vid_AAAAAAAAAAAAAAAA-0.mp4", old),
      appFile(null, old), // the app's other upload: UploadThing named it
      appFile("avatar-42", old), // another custom id, not one of ours
      appFile("upl_one.png", old),
      appFile("vid_BBBBBBBBBBBBBBBB-1.mp4", Date.now()), // too young
      appFile("vid_CCCCCCCCCCCCCCCC-0.mp4", old, "Deletion Pending"),
      appFile("vid_DDDDDDDDDDDDDDDD-2.mp4", old),
    ];
    server.use(...uploadThingApp(files));
    const storage = createUploadThingStorage({ token });
    const cutoff = new Date(Date.now() - 60_000);

    expect(await storage.listKeys?.({ olderThan: cutoff, limit: 1000 })).toEqual([
      "vid_AAAAAAAAAAAAAAAA-0.mp4",
      "upl_one.png",
      "vid_DDDDDDDDDDDDDDDD-2.mp4",
    ]);
    expect(apiCalls.map((call) => call.body)).toEqual([
      { limit: 500, offset: 0 },
      { limit: 500, offset: 2 },
      { limit: 500, offset: 4 },
      { limit: 500, offset: 6 },
    ]);
    expect(apiCalls.every((call) => call.url === `${api}/v6/listFiles`)).toBe(true);

    apiCalls.length = 0;
    expect(await storage.listKeys?.({ olderThan: cutoff, limit: 2 })).toEqual([
      "vid_AAAAAAAAAAAAAAAA-0.mp4",
      "upl_one.png",
    ]);
    expect(await storage.listKeys?.({ olderThan: cutoff, limit: 2 })).toEqual(["vid_DDDDDDDDDDDDDDDD-2.mp4"]);
    expect(await storage.listKeys?.({ olderThan: cutoff, limit: 2 })).toEqual([
      "vid_AAAAAAAAAAAAAAAA-0.mp4",
      "upl_one.png",
    ]);
  });

  it("points at the token when UploadThing refuses the API key", async () => {
    server.use(...uploadThingApp([]));
    const wrongKey = Buffer.from(JSON.stringify({ apiKey: "sk_test_other", appId, regions: ["sea1"] })).toString(
      "base64",
    );
    await expect(
      createUploadThingStorage({ token: wrongKey }).listKeys?.({ olderThan: new Date(), limit: 10 }),
    ).rejects.toThrow(/Could not list the files of UploadThing app openvtestapp: it answered 401\. Copy the token/);
  });
});

/** Item 11 of issue 16 on UploadThing: the reconciler's sweep lists the app and deletes what no record points at. */
describe("the orphan-file sweep on UploadThing storage", () => {
  it("deletes orphaned outputs and uploads by custom id, keeps every file a record points at and the app's other files", async () => {
    const old = Date.now() - 3_600_000;
    const files: AppFile[] = [];
    server.use(...uploadThingApp(files));
    const provider = new ScriptedProvider();
    const testServer = await startTestServer({ provider, config: { maxActiveJobs: 10 }, uploadthing: { token } });
    try {
      await accepted(testServer);
      const response = await testServer.api("/videos", { method: "POST", json: generateBody });
      expect(response.status).toBe(202);
      const { video } = (await response.json()) as { video: { id: string } };
      const kept = [
        appFile(`${video.id}-0.mp4`, old), // the running attempt's output
        appFile(null, old), // the app's own upload, named by UploadThing
        appFile("avatar-42", old), // another custom id of the app
      ];
      const orphans = [
        appFile("vid_AAAAAAAAAAAAAAAA-0.mp4", old), // a video that does not exist
        appFile(`${video.id}-7.mp4`, old), // an attempt the video never had
        appFile("upl_gone.png", old), // an upload whose record is gone
      ];
      files.push(
        kept[0] as AppFile,
        orphans[0] as AppFile,
        kept[1] as AppFile,
        ...orphans.slice(1),
        kept[2] as AppFile,
      );

      const deleted = await testServer.openv.reconciler.sweepFiles(new Date(Date.now() - 60_000));
      expect(deleted.sort()).toEqual(orphans.map((file) => file.customId).sort());
      expect(files.map((file) => file.id).sort()).toEqual(kept.map((file) => file.id).sort());
      expect(apiCalls.filter((call) => call.url.endsWith("/v6/deleteFiles")).map((call) => call.body)).toEqual([
        { customIds: orphans.map((file) => file.customId) },
      ]);
      // Nothing younger than the age limit is taken.
      files.push(appFile("vid_BBBBBBBBBBBBBBBB-0.mp4", Date.now()));
      expect(await testServer.openv.reconciler.sweepFiles(new Date(Date.now() - 60_000))).toEqual([]);
      expect(files.map((file) => file.customId)).toContain("vid_BBBBBBBBBBBBBBBB-0.mp4");
    } finally {
      await testServer.close();
    }
  });
});
