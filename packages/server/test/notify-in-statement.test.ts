import type { Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VideoChangeEvent } from "../src/core/ports.js";
import { accepted, generateBody, ScriptedProvider, startTestServer, type TestServer } from "./helpers.js";

const adminUrl = process.env.OPENV_TEST_DATABASE_URL;

/**
 * Issue 17: a change's NOTIFY goes out from the statement that makes it (`openv_notify_video`,
 * migration 20261207120100_notify_in_statement), and the LISTEN side of the PostgreSQL events
 * adapter turns the notified row into the change subscribers get, reading the row back when it was
 * too large to travel in the notification.
 */
describe.skipIf(!adminUrl)("NOTIFY in the statement (PostgreSQL, LISTEN/NOTIFY events)", () => {
  const provider = new ScriptedProvider();
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      adminUrl: adminUrl as string,
      provider,
      config: { maxActiveJobs: 100, monthlyLimitSeconds: 100_000 },
    });
    expect((await accepted(server, "notified")).status).toBe(200);
  });

  afterAll(async () => {
    await server?.close();
  });

  const sql = <T>(text: string, ...params: unknown[]): Promise<T> =>
    (
      server.openv.adapters.store as unknown as {
        client: { $queryRawUnsafe<R>(t: string, ...p: unknown[]): Promise<R> };
      }
    ).client.$queryRawUnsafe<T>(text, ...params);

  async function generate(): Promise<Video> {
    const response = await server.api("/videos", { method: "POST", user: "notified", json: generateBody });
    expect(response.status).toBe(202);
    return ((await response.json()) as { video: Video }).video;
  }

  /**
   * Sets the video's error message to `message` (no change number, no NOTIFY): the changes notified
   * below carry it, which tells them from the notifications of the generate's own changes that may
   * still be on their way.
   */
  const marker = "notified-in-statement:";
  const mark = (videoId: string, message: string) =>
    sql(`UPDATE "Video" SET "errorCode" = 'provider_error', "errorMessage" = $2 WHERE "id" = $1`, videoId, message);

  /** Collects the user's live changes of the videos `ids`, marked (see `mark`), until `count` arrived. */
  function collect(
    ids: string[],
    count: number,
  ): { events: VideoChangeEvent[]; done: Promise<void>; stop: () => void } {
    const events: VideoChangeEvent[] = [];
    let finish = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const stop = server.openv.adapters.events.subscribe("notified", (event) => {
      const { change } = event;
      if (!ids.includes(change.id) || !("error" in change) || !change.error?.message.startsWith(marker)) return;
      events.push(event);
      if (events.length === count) finish();
    });
    return { events, done, stop };
  }

  it("is wired: the server's store notifies on the events adapter's channel", () => {
    const channel = server.openv.adapters.events.notifyChannel;
    expect(channel).toBe("openv_video_changes");
    expect((server.openv.adapters.store as unknown as { notifyChannel: string | null }).notifyChannel).toBe(channel);
  });

  it("delivers a notified row, and a row too large for NOTIFY by reference, in the order notified", {
    timeout: 30_000,
  }, async () => {
    const small = await generate();
    const large = await generate();
    const last = await generate();
    const longMessage = `${marker}${"é".repeat(6000)}`; // over 12,000 bytes: the row cannot travel inline
    await mark(small.id, `${marker} small`);
    await mark(large.id, longMessage);
    await mark(last.id, `${marker} last`);
    // One statement, three notifications: the large row between two small ones. (Three videos:
    // PostgreSQL sends identical notifications of one transaction once.)
    const seen = collect([small.id, large.id, last.id], 3);
    await sql(
      `SELECT openv_notify_video('openv_video_changes', v)::text FROM (
         SELECT * FROM "Video" WHERE "id" = $1
         UNION ALL SELECT * FROM "Video" WHERE "id" = $2
         UNION ALL SELECT * FROM "Video" WHERE "id" = $3
       ) v`,
      small.id,
      large.id,
      last.id,
    );
    await seen.done;
    seen.stop();
    expect(seen.events.map((event) => event.change.id)).toEqual([small.id, large.id, last.id]);
    const [first, second] = seen.events;
    expect(first?.change).toMatchObject({ id: small.id, status: "queued", prompt: generateBody.prompt });
    expect(first?.change).toMatchObject({ error: { message: `${marker} small` } });
    expect(second?.change).toMatchObject({ id: large.id, error: { message: longMessage } });
  });

  it("a null channel notifies nothing", async () => {
    const quiet = await generate();
    const heard = await generate();
    await mark(quiet.id, `${marker} quiet`);
    await mark(heard.id, `${marker} heard`);
    const live = collect([quiet.id, heard.id], 1);
    await sql(`SELECT openv_notify_video(NULL, v)::text FROM "Video" v WHERE "id" = $1`, quiet.id);
    await sql(`SELECT openv_notify_video('openv_video_changes', v)::text FROM "Video" v WHERE "id" = $1`, heard.id);
    await live.done;
    live.stop();
    // Notifications arrive in order: had the first been sent, it would have come first.
    expect(live.events.map((event) => event.change.id)).toEqual([heard.id]);
  });
});
