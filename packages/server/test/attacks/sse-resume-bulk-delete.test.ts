import type { Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accepted,
  backends,
  bindings,
  generateBody,
  readEvents,
  ScriptedProvider,
  startTestServer,
  type TestServer,
} from "../helpers.js";

type Received = Awaited<ReturnType<typeof readEvents>>;

const tombstones = (events: Received) =>
  events.filter((event) => event.event === "video" && (event.data as { deleted?: boolean }).deleted === true);

/**
 * Attack (issue 16, row 9): SSE ids were `updatedAt` in ms, so the tombstones of one bulk delete all
 * carried the same id. A client cut off after the first of them resumed with `Last-Event-ID` = that
 * id and got none of the rest: those videos stayed on its screen forever.
 */
describe.each(backends.flatMap((backend) => bindings.map((binding) => ({ ...backend, binding }))))(
  "SSE resume after a bulk delete ($name, $binding binding)",
  ({ adminUrl, binding }) => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({
        binding,
        adminUrl,
        provider: new ScriptedProvider(),
        config: { maxActiveJobs: 20, monthlyLimitSeconds: 1000 },
      });
    });
    afterAll(() => server?.close());

    async function createVideos(user: string, count: number): Promise<string[]> {
      await accepted(server, user);
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const response = await server.api("/videos", { method: "POST", user, json: generateBody });
        expect(response.status).toBe(202);
        ids.push(((await response.json()) as { video: Video }).video.id);
      }
      return ids;
    }

    it("a client cut off after the first tombstone of a bulk delete gets every other tombstone on resume", async () => {
      const user = "bulk-resume";
      const ids = await createVideos(user, 6);
      const live = await server.api("/videos/events", { user });
      expect(live.status).toBe(200);
      // The client reads until the first tombstone arrives; then its connection is cut.
      const firstSeen = readEvents(live, (events) => tombstones(events).length >= 1);
      const deleted = await server.api("/videos", { method: "DELETE", user, json: { ids } });
      expect(((await deleted.json()) as { deleted: string[] }).deleted.sort()).toEqual([...ids].sort());
      const [first] = tombstones(await firstSeen);
      if (!first?.id) throw new Error("no tombstone with an id arrived");
      expect(first.id).toMatch(/^\d+$/);
      const firstVideo = (first.data as { id: string }).id;

      const resumed = await server.api("/videos/events", { user, headers: { "last-event-id": first.id } });
      expect(resumed.status).toBe(200);
      const rest = tombstones(
        await readEvents(resumed, (events) => tombstones(events).length >= ids.length - 1, 8_000),
      );
      // Every other deleted video arrives, the one already seen does not come again.
      expect(rest.map((event) => (event.data as { id: string }).id).sort()).toEqual(
        ids.filter((id) => id !== firstVideo).sort(),
      );
    });

    it("every change has its own id, strictly increasing, and ?since= resumes exactly after it", async () => {
      const user = "bulk-ids";
      const ids = await createVideos(user, 4);
      await server.api("/videos", { method: "DELETE", user, json: { ids: ids.slice(0, 3) } });
      // Everything from the start: 4 creations collapse into 4 current states (3 tombstones, 1 video).
      const all = await readEvents(
        await server.api("/videos/events?since=0", { user }),
        (events) => events.length >= 4,
      );
      const eventIds = all.map((event) => Number(event.id));
      expect(eventIds.every((id) => Number.isSafeInteger(id))).toBe(true);
      for (let i = 1; i < eventIds.length; i++) expect(eventIds[i]).toBeGreaterThan(eventIds[i - 1] as number);

      // Resuming after the second of them replays exactly the ones after it.
      const after = all[1]?.id as string;
      const resumed = await readEvents(
        await server.api(`/videos/events?since=${after}`, { user }),
        (events) => events.length >= all.length - 2,
        8_000,
      );
      expect(resumed.map((event) => event.id)).toEqual(all.slice(2).map((event) => event.id));
    });
  },
);
