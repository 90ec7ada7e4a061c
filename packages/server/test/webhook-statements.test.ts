import type { Video } from "@openv/protocol";
import type { RunPodJob } from "@openv/protocol/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attemptOutputKey } from "../src/core/output-keys.js";
import type { ProviderWebhookRequest } from "../src/core/ports.js";
import { completedOutput, generateBody, ScriptedProvider, type TestServer } from "./helpers.js";
import { type CountedServer, startCountedServer } from "./support/counted-server.js";
import type { PgStatementCounter } from "./support/pg-statement-counter.js";
import { tinyMp4 } from "./support/tiny-mp4.js";

const adminUrl = process.env.OPENV_TEST_DATABASE_URL;

/** A provider with its own callback format (as fal.ai and workflows have): the body is read by `readWebhook`. */
class OwnFormatProvider extends ScriptedProvider {
  async readWebhook(request: ProviderWebhookRequest): Promise<RunPodJob> {
    return JSON.parse(Buffer.from(request.body ?? new Uint8Array()).toString("utf8")) as RunPodJob;
  }
}

/**
 * Issue 17: a webhook of a provider that reads its own callback format reads the video once (to
 * read the callback, and the transition decides from that same row), and its NOTIFY goes with the
 * update: 2 statements, as for RunPod's format (statement-count.test.ts). It was 4 (the video read
 * twice, the update, a separate `pg_notify`).
 */
describe.skipIf(!adminUrl)("statements per webhook of a provider with its own format (PostgreSQL)", () => {
  const provider = new OwnFormatProvider();
  let counted: CountedServer;
  let counter: PgStatementCounter;
  let server: TestServer;

  beforeAll(async () => {
    counted = await startCountedServer(adminUrl as string, provider, ["own-format"]);
    ({ counter, server } = counted);
  });

  afterAll(() => counted?.close());

  it("webhook COMPLETED: 2 statements, the video read once", async () => {
    const videos: Video[] = [];
    for (let index = 0; index < 3; index++) {
      const response = await server.api("/videos", { method: "POST", user: "own-format", json: generateBody });
      expect(response.status).toBe(202);
      videos.push(((await response.json()) as { video: Video }).video);
    }
    const first = provider.submissions.length - 3;
    // The fewest of 3 runs, as in statement-count.test.ts (work left running lands in its own window).
    const statements = await counter.fewestOf(async (run) => {
      const video = videos[run] as Video;
      const stored = await server.openv.adapters.storage.putBytes(
        attemptOutputKey(video.id, 0),
        await tinyMp4(),
        "video/mp4",
      );
      const output = { ...completedOutput(server, { videoId: video.id }), url: stored.url };
      expect((await provider.send({ status: "COMPLETED", output }, first + run)).status).toBe(200);
    });
    expect(statements.length, `statements per completion webhook:\n${statements.join("\n")}`).toBeLessThanOrEqual(2);
    expect(statements.filter((text) => text.startsWith(`SELECT * FROM "Video"`))).toHaveLength(1);
    const done = (await (await server.api(`/videos/${videos[0]?.id}`, { user: "own-format" })).json()) as {
      video: Video;
    };
    expect(done.video.status).toBe("completed");
  });
});
