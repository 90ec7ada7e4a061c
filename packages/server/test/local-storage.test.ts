import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createLocalStorage } from "../src/adapters/storage/local.js";

const baseUrl = "http://127.0.0.1:3000/api/files";
const source = "https://cdn.provider.example/outputs/job-1.mp4";
const signedSource = `${source}?X-Amz-Signature=do-not-leak-this`;

function patternBytes(length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, index) => (index * 31 + 7) % 256));
}

const server = setupServer();
let root: string;
let directory: string;
let copyTemp: string;
const originalTmpdir = process.env.TMPDIR;

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "openv-local-test-"));
  directory = path.join(root, "files");
  // copyFromUrl downloads into os.tmpdir(); a private one shows that nothing is left behind.
  copyTemp = path.join(root, "tmp");
  await mkdir(copyTemp);
  process.env.TMPDIR = copyTemp;
});
afterEach(async () => {
  server.resetHandlers();
  if (originalTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = originalTmpdir;
  await rm(root, { recursive: true, force: true });
});

describe("local storage copyFromUrl", () => {
  it("stores the same bytes under the key, at a URL that maps back to the key", async () => {
    const bytes = patternBytes(150_000);
    server.use(
      http.get(source, () =>
        HttpResponse.arrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), {
          headers: { "content-type": "video/mp4" },
        }),
      ),
    );
    const storage = createLocalStorage({ directory, baseUrl: () => baseUrl });

    const stored = await storage.copyFromUrl("job-1.mp4", signedSource, "video/mp4");

    expect(stored).toEqual({ key: "job-1.mp4", url: `${baseUrl}/job-1.mp4` });
    expect(storage.keyForUrl(stored.url)).toBe("job-1.mp4");
    expect((await readFile(path.join(directory, "job-1.mp4"))).equals(bytes)).toBe(true);
    expect(await readdir(directory)).toEqual(["job-1.mp4"]);
    expect(await readdir(copyTemp)).toEqual([]);
  });

  it("replaces an earlier file under the same key", async () => {
    let answer = patternBytes(10);
    server.use(http.get(source, () => new HttpResponse(answer, { headers: { "content-type": "video/mp4" } })));
    const storage = createLocalStorage({ directory, baseUrl: () => baseUrl });
    await storage.copyFromUrl("job-1.mp4", source, "video/mp4");
    answer = Buffer.from("a second, different video");
    await storage.copyFromUrl("job-1.mp4", source, "video/mp4");
    expect(await readFile(path.join(directory, "job-1.mp4"), "utf8")).toBe("a second, different video");
  });

  it("throws and stores nothing when the source refuses, sends a web page, or is too large", async () => {
    const storage = createLocalStorage({ directory, baseUrl: () => baseUrl, copy: { maxBytes: 100 } });
    const cases: [Response, RegExp][] = [
      [new HttpResponse("expired", { status: 403 }), /it answered 403\. The link may have expired/],
      [new HttpResponse("gone", { status: 404 }), /it answered 404\. The file is not there/],
      [HttpResponse.html("<p>Sign in</p>"), /it sent text\/html instead of video\/\*/],
      [new HttpResponse(patternBytes(101), { headers: { "content-type": "video/mp4" } }), /more than the 100 bytes/],
    ];
    for (const [answer, message] of cases) {
      server.use(http.get(source, () => answer, { once: true }));
      const copy = storage.copyFromUrl("job-1.mp4", signedSource, "video/mp4");
      await expect(copy).rejects.toThrow(message);
      await expect(copy).rejects.toThrow(/^Could not copy the video from cdn\.provider\.example: /);
      await expect(copy).rejects.not.toThrow(/do-not-leak-this/);
    }
    await expect(readdir(directory)).rejects.toThrow(/ENOENT/);
    expect(await readdir(copyTemp)).toEqual([]);
  });

  it("refuses a bad key before downloading anything", async () => {
    const download = vi.fn(() => new HttpResponse(patternBytes(10), { headers: { "content-type": "video/mp4" } }));
    server.use(http.get(source, download));
    const storage = createLocalStorage({ directory, baseUrl: () => baseUrl });
    await expect(storage.copyFromUrl("../escape.mp4", source, "video/mp4")).rejects.toThrow(/Invalid storage key/);
    expect(download).not.toHaveBeenCalled();
  });

  it("refuses links that are not http(s)", async () => {
    const storage = createLocalStorage({ directory, baseUrl: () => baseUrl });
    await expect(storage.copyFromUrl("job-1.mp4", "file:///etc/passwd", "video/mp4")).rejects.toThrow(
      /only http and https links can be copied, not file: links/,
    );
    await expect(storage.copyFromUrl("job-1.mp4", "not a url", "video/mp4")).rejects.toThrow(/which is not a URL/);
  });
});

describe("local storage listKeys", () => {
  it("lists finished files older than the cutoff in name order; at its limit the next call goes on where the last stopped", async () => {
    const storage = createLocalStorage({ directory, baseUrl: () => baseUrl });
    for (const key of ["c.mp4", "a.mp4", "b.mp4", "d.mp4"]) await storage.putBytes(key, patternBytes(4), "video/mp4");
    await mkdir(path.join(directory, "folder"));
    const cutoff = new Date(Date.now() + 60_000);
    expect(await storage.listKeys?.({ olderThan: cutoff, limit: 1000 })).toEqual(["a.mp4", "b.mp4", "c.mp4", "d.mp4"]);
    expect(await storage.listKeys?.({ olderThan: new Date(Date.now() - 60_000), limit: 1000 })).toEqual([]);
    // A sweep of a folder of many referenced files is not stuck on its first `limit` of them.
    expect(await storage.listKeys?.({ olderThan: cutoff, limit: 3 })).toEqual(["a.mp4", "b.mp4", "c.mp4"]);
    expect(await storage.listKeys?.({ olderThan: cutoff, limit: 3 })).toEqual(["d.mp4"]);
    expect(await storage.listKeys?.({ olderThan: cutoff, limit: 3 })).toEqual(["a.mp4", "b.mp4", "c.mp4"]);
  });
});
