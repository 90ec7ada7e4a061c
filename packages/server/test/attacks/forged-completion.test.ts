import type { UploadResponse, Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accepted, bindings, generateBody, ScriptedProvider, startTestServer, type TestServer } from "../helpers.js";
import { makePng } from "./support.js";

/**
 * Row 2: a COMPLETED whose `output.url` is another user's file in our storage was adopted as "already
 * ours", so the forger's video showed the victim's file and deleting it deleted the victim's file;
 * a token of a deleted video still drove this.
 */
describe.each(bindings)("attack: a forged completion adopts another user's file (%s binding)", (binding) => {
  let server: TestServer;
  let provider: ScriptedProvider;
  const victimBytes = makePng(96, 64);
  let victimUrl: string;

  beforeAll(async () => {
    provider = new ScriptedProvider();
    server = await startTestServer({ binding, provider, config: { maxActiveJobs: 10, maxRetries: 0 } });
    await accepted(server, "mallory");
    const uploaded = await server.api("/uploads", {
      method: "POST",
      user: "victim",
      headers: { "content-type": "image/png" },
      body: victimBytes,
    });
    expect(uploaded.status).toBe(201);
    victimUrl = ((await uploaded.json()) as UploadResponse).upload.url;
  });
  afterAll(() => server.close());

  const victimFileIntact = async () => {
    const served = await fetch(victimUrl);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(victimBytes)).toBe(true);
  };
  const read = async (id: string) =>
    ((await (await server.api(`/videos/${id}`, { user: "mallory" })).json()) as { video: Video }).video;
  const forgedOutput = () => ({
    url: victimUrl,
    key: "x",
    frames: 7,
    fps: 30,
    width: 256,
    height: 256,
    seconds: 0.233,
  });

  it("a completion naming another user's stored file is never adopted, and deleting the video keeps that file", async () => {
    const created = await server.api("/videos", { method: "POST", user: "mallory", json: generateBody });
    const { video } = (await created.json()) as { video: Video };
    const answer = await provider.send({ status: "COMPLETED", output: forgedOutput() });
    expect(answer.status).toBeLessThan(300);
    const after = await read(video.id);
    expect(after.url).not.toBe(victimUrl);
    expect(after.status).not.toBe("completed");
    expect((await server.api(`/videos/${video.id}`, { method: "DELETE", user: "mallory" })).status).toBe(204);
    await victimFileIntact();
  });

  it("the token of a deleted video changes nothing: answered 2xx, storage untouched", async () => {
    const created = await server.api("/videos", { method: "POST", user: "mallory", json: generateBody });
    const { video } = (await created.json()) as { video: Video };
    expect((await server.api(`/videos/${video.id}`, { method: "DELETE", user: "mallory" })).status).toBe(204);
    const late = await provider.send({ status: "COMPLETED", output: forgedOutput() });
    expect(late.status).toBeLessThan(300);
    await victimFileIntact();
    expect((await server.api(`/videos/${video.id}`, { user: "mallory" })).status).toBe(404);
  });
});
