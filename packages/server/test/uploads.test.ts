import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { UploadResponse, Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveFfmpegPath } from "../src/adapters/provider/local.js";
import { mochiModel } from "../src/core/catalog.js";
import { accepted, bindings, generateBody, ScriptedProvider, startTestServer, type TestServer } from "./helpers.js";

/** An image-to-video model on the scripted provider. */
const animate = {
  ...mochiModel,
  id: "animate-1",
  name: "Animate",
  description: "Animates an uploaded image.",
  image: "required" as const,
};

/** Real files made by ffmpeg: what a user's browser would send. */
function makeFixtures() {
  const ffmpeg = resolveFfmpegPath();
  const dir = mkdtempSync(path.join(os.tmpdir(), "openv-upload-fixtures-"));
  const make = (name: string, args: string[]) => {
    const file = path.join(dir, name);
    execFileSync(ffmpeg, ["-loglevel", "error", "-y", ...args, file]);
    return new Uint8Array(readFileSync(file));
  };
  const still = ["-f", "lavfi", "-i", "color=c=orange:s=320x240", "-frames:v", "1"];
  const fixtures = {
    png: make("still.png", still),
    jpeg: make("still.jpg", still),
    webp: make("still.webp", still),
    mp4: make("clip.mp4", [
      "-f",
      "lavfi",
      "-i",
      "color=c=blue:s=64x64:d=0.2",
      "-c:v",
      "libx264",
      "-pix_fmt",
      "yuv420p",
    ]),
  };
  rmSync(dir, { recursive: true, force: true });
  return fixtures;
}

describe.each(bindings)("image uploads and image-to-video (%s binding)", (binding) => {
  let server: TestServer;
  let provider: ScriptedProvider;
  let fixtures: ReturnType<typeof makeFixtures>;
  /** A listener on loopback that must never be called: it counts what reaches it. */
  let trap: Server;
  let trapHits = 0;
  let trapUrl: string;

  beforeAll(async () => {
    fixtures = makeFixtures();
    provider = new ScriptedProvider();
    server = await startTestServer({ binding, provider, models: [mochiModel, animate], config: { maxActiveJobs: 50 } });
    await accepted(server);
    await accepted(server, "bob");
    trap = createServer((_request, response) => {
      trapHits += 1;
      response.writeHead(200, { "content-type": "image/png" }).end(fixtures.png);
    });
    await new Promise<void>((resolve) => trap.listen(0, "127.0.0.1", resolve));
    trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/cat.png`;
  });
  afterAll(async () => {
    await server.close();
    await new Promise((resolve) => trap.close(resolve));
  });

  const upload = (bytes: Uint8Array<ArrayBuffer>, claimed: { type: string; name: string }, user = "alice") =>
    server.api("/uploads", {
      method: "POST",
      user,
      headers: { "content-type": claimed.type, "content-disposition": `attachment; filename="${claimed.name}"` },
      body: bytes,
    });

  it("classifies by content: a PNG named .mp4 is stored as a PNG with its real size", async () => {
    const answer = await upload(fixtures.png, { type: "video/mp4", name: "dance.mp4" });
    expect(answer.status).toBe(201);
    const { upload: stored } = (await answer.json()) as UploadResponse;
    expect(stored).toMatchObject({ contentType: "image/png", width: 320, height: 240, bytes: fixtures.png.byteLength });
    expect(stored.id).toMatch(/^upl_/);
    // The stored file is the uploaded bytes, served as what they are.
    const served = await fetch(stored.url);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(fixtures.png);
  });

  it("accepts JPEG and WebP by their bytes", async () => {
    for (const [bytes, type] of [
      [fixtures.jpeg, "image/jpeg"],
      [fixtures.webp, "image/webp"],
    ] as const) {
      const answer = await upload(bytes, { type: "application/octet-stream", name: "photo" });
      expect(answer.status).toBe(201);
      expect((await answer.json()).upload).toMatchObject({ contentType: type, width: 320, height: 240 });
    }
  });

  it("refuses an MP4 named .png, and an image over 10 MB, storing nothing", async () => {
    const before = await server.tableCounts();
    const video = await upload(fixtures.mp4, { type: "image/png", name: "cat.png" });
    expect(video.status).toBe(415);
    const refused = await video.json();
    expect(refused.error.code).toBe("unsupported_media_type");
    expect(refused.error.message).toMatch(/PNG, JPEG or WebP/);
    expect(refused.error.message).toMatch(/video\/mp4|MP4/i);

    const huge = new Uint8Array(10 * 1024 * 1024 + 1);
    huge.set(fixtures.png);
    const tooBig = await upload(huge, { type: "image/png", name: "big.png" });
    expect(tooBig.status).toBe(413);
    expect((await tooBig.json()).error.code).toBe("payload_too_large");
    expect(await server.tableCounts()).toEqual(before);
  });

  it("an image-to-video request hands the provider the uploaded image, by id or by the URL we gave", async () => {
    const { upload: stored } = (await (
      await upload(fixtures.jpeg, { type: "image/jpeg", name: "pet.jpg" })
    ).json()) as UploadResponse;
    for (const reference of [stored.id, stored.url]) {
      const answer = await server.api("/videos", {
        method: "POST",
        json: { ...generateBody, model: "animate-1", image: reference },
      });
      expect(answer.status).toBe(202);
      const { video } = (await answer.json()) as { video: Video };
      expect(video).toMatchObject({ model: "animate-1", imageId: stored.id });
      const submission = provider.submissions.find((entry) => entry.videoId === video.id);
      expect(submission?.image).toMatchObject({ contentType: "image/jpeg", width: 320, height: 240 });
      expect(await submission?.image?.read()).toEqual(fixtures.jpeg);
    }
  });

  it("never fetches a client's URL: loopback, link-local metadata and foreign URLs are refused", async () => {
    const before = await server.tableCounts();
    const submitted = provider.submissions.length;
    for (const image of [
      trapUrl,
      "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
      "http://[::1]:80/x.png",
      "http://localhost/x.png",
      "file:///etc/passwd",
      "https://example.com/cat.png",
      `${server.origin}/api/files/not-an-upload.png`,
    ]) {
      const answer = await server.api("/videos", {
        method: "POST",
        json: { ...generateBody, model: "animate-1", image },
      });
      expect(answer.status, image).toBe(400);
      const body = await answer.json();
      expect(body.error.code).toBe("validation_failed");
      expect(body.error.details.issues[0]).toMatchObject({ path: ["image"], code: "unknown_image" });
      expect(body.error.message).toMatch(/POST \/api\/uploads/);
    }
    expect(trapHits).toBe(0);
    expect(provider.submissions.length).toBe(submitted);
    expect(await server.tableCounts()).toEqual(before);
  });

  it("another user's upload is not yours to animate", async () => {
    const { upload: hers } = (await (
      await upload(fixtures.png, { type: "image/png", name: "a.png" }, "alice")
    ).json()) as UploadResponse;
    const answer = await server.api("/videos", {
      method: "POST",
      user: "bob",
      json: { ...generateBody, model: "animate-1", image: hers.id },
    });
    expect(answer.status).toBe(400);
    expect((await answer.json()).error.details.issues[0].path).toEqual(["image"]);
  });

  it("checks the model's image rule: required for image-to-video, refused for text-only", async () => {
    const missing = await server.api("/videos", { method: "POST", json: { ...generateBody, model: "animate-1" } });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.details.issues).toContainEqual(
      expect.objectContaining({ path: ["image"], code: "image_required" }),
    );
    const { upload: stored } = (await (
      await upload(fixtures.png, { type: "image/png", name: "a.png" })
    ).json()) as UploadResponse;
    const extra = await server.api("/videos", { method: "POST", json: { ...generateBody, image: stored.id } });
    expect(extra.status).toBe(400);
    expect((await extra.json()).error.details.issues).toContainEqual(
      expect.objectContaining({ path: ["image"], code: "image_not_supported" }),
    );
  });
});
