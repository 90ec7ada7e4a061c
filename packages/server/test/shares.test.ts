import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { CreatedShare, ListSharesResponse, Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalStorage } from "../src/adapters/storage/local.js";
import { redactUrl } from "../src/http/redact.js";
import {
  accepted,
  bindingsOnBackends,
  generateBody,
  ScriptedProvider,
  startTestServer,
  type TestServer,
} from "./helpers.js";
import { completedVideo } from "./support/completed-video.js";
import { tinyMp4 } from "./support/tiny-mp4.js";

// Share links (issue 21): the owner's routes, and the public page and MP4 a link opens, on both bindings.
describe.each(bindingsOnBackends)("share links on the $binding binding ($name)", ({ binding, adminUrl }) => {
  let server: TestServer;
  const provider = new ScriptedProvider();
  const logLines: string[] = [];
  let now = Date.now();

  beforeAll(async () => {
    server = await startTestServer({
      binding,
      adminUrl,
      provider,
      config: { maxActiveJobs: 50 },
      shares: { now: () => now },
      onLog: (line) => logLines.push(JSON.stringify(line)),
    });
    await accepted(server);
    await accepted(server, "bob");
  });
  afterAll(() => server.close());

  const share = async (videoId: string, json?: unknown, user = "alice") => {
    const response = await server.api(`/videos/${videoId}/shares`, { method: "POST", user, json });
    return { status: response.status, body: (await response.json()) as CreatedShare & { error?: { code: string } } };
  };
  /** Fetches a link's URL the way a stranger does: no cookie, no auth header. */
  const open = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });

  it("makes a link whose page plays the video without an account, with Open Graph tags and a strict CSP", async () => {
    const video = await completedVideo(server, provider, {
      ...generateBody,
      prompt: 'a fox <script>alert("x")</script> & co',
    });
    const created = await share(video.id);
    expect(created.status).toBe(201);
    const { url, id, expiresAt } = created.body;
    expect(id).toMatch(/^shr_/);
    expect(url).toMatch(new RegExp(`^${server.origin}/api/share/[A-Za-z0-9_-]{43}$`));
    expect(new Date(expiresAt).getTime() - now).toBe(7 * 24 * 3600 * 1000);

    const page = await open(url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'none'; media-src 'self'/);
    const html = await page.text();
    expect(html).toContain(`<meta property="og:video" content="${url}/video.mp4">`);
    expect(html).toContain(`<meta property="og:url" content="${url}">`);
    expect(html).toContain('<meta name="twitter:card" content="player">');
    expect(html).toContain("a fox &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; co");
    expect(html).not.toContain("<script");
    // The storage's own URL for the file is not handed out.
    expect(html).not.toContain("/api/files/");

    const mp4 = await open(`${url}/video.mp4`);
    expect(mp4.status).toBe(200);
    expect(mp4.headers.get("content-type")).toBe("video/mp4");
    expect(mp4.headers.get("cache-control")).toBe("no-store");
    expect(Buffer.from(await mp4.arrayBuffer()).equals(await tinyMp4())).toBe(true);
  });

  it("serves byte ranges (206) so players can seek", async () => {
    const video = await completedVideo(server, provider, generateBody);
    const { url } = (await share(video.id)).body;
    const size = (await tinyMp4()).byteLength;
    const ranged = await open(`${url}/video.mp4`, { range: "bytes=10-19" });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe(`bytes 10-19/${size}`);
    expect(ranged.headers.get("accept-ranges")).toBe("bytes");
    expect(Buffer.from(await ranged.arrayBuffer()).equals((await tinyMp4()).subarray(10, 20))).toBe(true);
    expect((await open(`${url}/video.mp4`, { range: `bytes=${size + 5}-` })).status).toBe(416);
  });

  it("lists live links (without their URLs) and revoking one ends it at once", async () => {
    const video = await completedVideo(server, provider, generateBody);
    const first = (await share(video.id)).body;
    const second = (await share(video.id, { expiresInSeconds: 3600 })).body;
    const listed = (await (await server.api(`/videos/${video.id}/shares`)).json()) as ListSharesResponse;
    expect(listed.shares.map((entry) => entry.id).sort()).toEqual([first.id, second.id].sort());
    expect(JSON.stringify(listed)).not.toContain("/share/");

    expect((await server.api(`/videos/${video.id}/shares/${first.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await open(first.url)).status).toBe(404);
    expect((await open(`${first.url}/video.mp4`)).status).toBe(404);
    expect((await open(second.url)).status).toBe(200);
    const after = (await (await server.api(`/videos/${video.id}/shares`)).json()) as ListSharesResponse;
    expect(after.shares.map((entry) => entry.id)).toEqual([second.id]);
    expect((await server.api(`/videos/${video.id}/shares/shr_nope`, { method: "DELETE" })).status).toBe(404);
  });

  it("ends at its expiry, by the server's clock", async () => {
    const video = await completedVideo(server, provider, generateBody);
    const { url } = (await share(video.id, { expiresInSeconds: 60 })).body;
    expect((await open(url)).status).toBe(200);
    now += 59_000;
    expect((await open(`${url}/video.mp4`)).status).toBe(200);
    now += 1_000;
    expect((await open(url)).status).toBe(404);
    expect((await open(`${url}/video.mp4`)).status).toBe(404);
    expect(((await (await server.api(`/videos/${video.id}/shares`)).json()) as ListSharesResponse).shares).toEqual([]);
    expect((await share(video.id, { expiresInSeconds: 59 })).status).toBe(400);
  });

  it("ends when the video is deleted", async () => {
    const video = await completedVideo(server, provider, generateBody);
    const { url } = (await share(video.id)).body;
    expect((await server.api(`/videos/${video.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await open(url)).status).toBe(404);
    expect((await open(`${url}/video.mp4`)).status).toBe(404);
    expect((await share(video.id)).status).toBe(404);
  });

  it("cannot share, list or revoke another user's video (404), nor an unfinished one (409)", async () => {
    const video = await completedVideo(server, provider, generateBody);
    const { id } = (await share(video.id)).body;
    expect((await share(video.id, undefined, "bob")).body.error?.code).toBe("not_found");
    expect((await server.api(`/videos/${video.id}/shares`, { user: "bob" })).status).toBe(404);
    expect((await server.api(`/videos/${video.id}/shares/${id}`, { method: "DELETE", user: "bob" })).status).toBe(404);
    const queued = (await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as {
      video: Video;
    };
    const refused = await share(queued.video.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe("video_not_completed");
    expect((await open(`${server.origin}/api/share/not-a-token`)).status).toBe(404);
  });

  it("keeps every token out of the log", async () => {
    const video = await completedVideo(server, provider, generateBody);
    const { url } = (await share(video.id)).body;
    const token = url.split("/").at(-1) as string;
    await (await open(url)).text();
    await (await open(`${url}/video.mp4`, { range: "bytes=0-1" })).arrayBuffer();
    await server.api(`/videos/${video.id}/shares`);
    const log = logLines.join("\n");
    expect(log).toContain(video.id);
    expect(log).not.toContain(token);
    if (binding === "fastify") expect(log).toContain("/api/share/[redacted]/video.mp4");
  });
});

describe("share links over storage the server does not serve itself", () => {
  let server: TestServer;
  let directory: string;
  const provider = new ScriptedProvider();

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), "openv-share-storage-"));
    // Given as an adapter, so the server has no /files route: the link proxies the storage's bytes.
    const storage = createLocalStorage({ directory, baseUrl: () => "https://cdn.example.test/files" });
    server = await startTestServer({ binding: "fetch", provider, storage });
    await accepted(server);
  });
  afterAll(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("proxies the MP4 with Range, ending with the link", async () => {
    const video = await completedVideo(server, provider, generateBody);
    const created = (await (await server.api(`/videos/${video.id}/shares`, { method: "POST" })).json()) as CreatedShare;
    const ranged = await fetch(`${created.url}/video.mp4`, { headers: { range: "bytes=0-99" } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals((await tinyMp4()).subarray(0, 100))).toBe(true);
    expect(ranged.headers.get("cache-control")).toBe("no-store");
    const html = await (await fetch(created.url)).text();
    expect(html).not.toContain("cdn.example.test");
    await server.api(`/videos/${video.id}/shares/${created.id}`, { method: "DELETE" });
    expect((await fetch(`${created.url}/video.mp4`)).status).toBe(404);
  });
});

describe("redactUrl", () => {
  it("hides a share link's token in the path, query parameters as before", () => {
    expect(redactUrl("/api/share/abcDEF123_-/video.mp4?token=x&a=1")).toBe(
      "/api/share/[redacted]/video.mp4?token=[redacted]&a=1",
    );
    expect(redactUrl("https://v.example.com/api/share/abc")).toBe("https://v.example.com/api/share/[redacted]");
    expect(redactUrl("/api/videos/vid_1/shares/shr_1")).toBe("/api/videos/vid_1/shares/shr_1");
  });
});
