import type { Video } from "@openv/protocol";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { accepted, generateBody, ScriptedProvider, startTestServer, type TestServer } from "./helpers.js";

const appId = "openvtestapp";
const token = Buffer.from(JSON.stringify({ apiKey: "sk_live_test", appId, regions: ["sea1"] })).toString("base64");
const ingest = "https://sea1.ingest.uploadthing.com";
const workerBytes = Buffer.from("\x00\x00\x00\x18ftypmp42 the worker's video", "latin1");

/**
 * The server with UploadThing storage: UploadThing (ingest and API) and another provider's file
 * host are intercepted with msw at their real addresses; the tests' own calls reach the server.
 */
describe("the server on UploadThing storage", () => {
  const network = setupServer();
  const uploads: { fileKey: string; customId: string | null; bytes: Buffer }[] = [];
  const deletions: unknown[] = [];
  let server: TestServer;
  let provider: ScriptedProvider;

  beforeAll(async () => {
    // uploadthing 7.7 warns about its own deprecated fields on every upload (pingdotgg/uploadthing#1224).
    vi.spyOn(console, "warn").mockImplementation(() => {});
    network.listen({ onUnhandledRequest: "bypass" });
    network.use(
      http.put(`${ingest}/:fileKey`, async ({ request, params }) => {
        const file = (await request.formData()).get("file") as Blob;
        const fileKey = String(params.fileKey);
        uploads.push({
          fileKey,
          customId: new URL(request.url).searchParams.get("x-ut-custom-id"),
          bytes: Buffer.from(await file.arrayBuffer()),
        });
        return HttpResponse.json({
          url: `https://utfs.io/f/${fileKey}`,
          appUrl: `https://utfs.io/a/${appId}/${fileKey}`,
          ufsUrl: `https://${appId}.ufs.sh/f/${fileKey}`,
          fileHash: "abc",
        });
      }),
      http.post("https://api.uploadthing.com/v6/deleteFiles", async ({ request }) => {
        deletions.push(await request.json());
        return HttpResponse.json({ success: true, deletedCount: 1 });
      }),
      http.get("https://other-bucket.example/:name", () =>
        HttpResponse.arrayBuffer(new Uint8Array(workerBytes).buffer, { headers: { "content-type": "video/mp4" } }),
      ),
    );
    provider = new ScriptedProvider();
    server = await startTestServer({ provider, uploadthing: { token } });
    await accepted(server);
  });
  afterAll(async () => {
    await server.close();
    network.close();
    vi.restoreAllMocks();
  });

  const create = async () =>
    ((await (await server.api("/videos", { method: "POST", json: generateBody })).json()) as { video: Video }).video;
  const read = async (id: string) => ((await (await server.api(`/videos/${id}`)).json()) as { video: Video }).video;
  const output = (url: string, key: string) => ({
    url,
    key,
    frames: 7,
    fps: 30,
    width: 256,
    height: 256,
    seconds: 0.233,
  });

  it("names UploadThing as its storage and serves no local files", async () => {
    expect(server.openv.adapters.storage.name).toContain(appId);
    expect((await server.api("/files/anything.mp4")).status).toBe(404);
  });

  it("a worker's file on our UploadThing app is used as is at its attempt's custom id, and refused at any other", async () => {
    const video = await create();
    // worker-mochi uploads with custom id = the attempt's key and reports the custom-id URL.
    const url = `https://${appId}.ufs.sh/f/${video.id}-0.mp4`;
    await provider.send({ status: "COMPLETED", output: output(url, `${video.id}-0.mp4`) });
    expect(await read(video.id)).toMatchObject({ status: "completed", url });
    expect(uploads).toHaveLength(0);

    const other = await create();
    const foreignKey = `https://${appId}.ufs.sh/f/someoneElsesFileKey`;
    await provider.send({ status: "COMPLETED", output: output(foreignKey, "someoneElsesFileKey") });
    expect(await read(other.id)).toMatchObject({ status: "failed", url: null, error: { code: "invalid_output" } });
    expect(uploads).toHaveLength(0);
  });

  it("a file elsewhere is copied into UploadThing before the video completes", async () => {
    const video = await create();
    const answer = await provider.send({
      status: "COMPLETED",
      output: output("https://other-bucket.example/out.mp4?X-Amz-Signature=secret", "out.mp4"),
    });
    expect(answer.status).toBe(200);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.bytes.equals(workerBytes)).toBe(true);
    expect(uploads[0]?.customId).toBe(`${video.id}-0.mp4`);
    expect(await read(video.id)).toMatchObject({
      status: "completed",
      url: `https://${appId}.ufs.sh/f/${video.id}-0.mp4`,
    });
  });

  it("deleting videos deletes their UploadThing files", async () => {
    const list = ((await (await server.api("/videos")).json()) as { videos: Video[] }).videos;
    const before = deletions.length;
    const response = await server.api("/videos", { method: "DELETE", json: { ids: list.map((video) => video.id) } });
    expect(response.status).toBe(200);
    // Every attempt's custom id of every video (files the server chose keys for), none by file key.
    const sent = deletions.slice(before) as { fileKeys?: string[]; customIds?: string[] }[];
    const customIds = sent.flatMap((body) => body.customIds ?? []);
    for (const video of list) expect(customIds).toContain(`${video.id}-0.mp4`);
    expect(sent.flatMap((body) => body.fileKeys ?? [])).toEqual([]);
  });
});
