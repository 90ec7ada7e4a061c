import type { Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryEvents } from "../src/adapters/events/memory.js";
import type { Events } from "../src/core/ports.js";
import {
  accepted,
  bindings,
  generateBody,
  readEvents,
  ScriptedProvider,
  startTestServer,
  type TestServer,
} from "./helpers.js";

/**
 * Events that can hold one publish back until the next one went out: as when two instances commit
 * a user's changes in order but the first one's NOTIFY leaves later.
 */
function reorderingEvents() {
  const inner = createMemoryEvents();
  let late: (() => Promise<void>) | null = null;
  const control = { holdNext: false };
  const events: Events = {
    name: "reordering test events",
    async publish(userId, event) {
      if (control.holdNext) {
        control.holdNext = false;
        late = () => inner.publish(userId, event);
        return;
      }
      await inner.publish(userId, event);
      const held = late;
      late = null;
      await held?.();
    },
    subscribe: (userId, listener, onMissed) => inner.subscribe(userId, listener, onMissed),
    close: () => inner.close?.() ?? Promise.resolve(),
  };
  return { events, control };
}

describe.each(bindings)("SSE ids stay in order when changes are published out of order (%s binding)", (binding) => {
  let server: TestServer;
  let provider: ScriptedProvider;
  const { events, control } = reorderingEvents();
  beforeAll(async () => {
    provider = new ScriptedProvider();
    server = await startTestServer({ binding, provider, events, config: { maxActiveJobs: 20 } });
  });
  afterAll(() => server?.close());

  it("a change that arrives after a later one is sent once, in order, and none is lost", async () => {
    const user = "alice";
    await accepted(server, user);
    const create = async () =>
      ((await (await server.api("/videos", { method: "POST", user, json: generateBody })).json()) as { video: Video })
        .video;
    const first = await create();
    const second = await create();
    const stream = await server.api("/videos/events", { user });
    const received = readEvents(stream, (seen) => seen.some((event) => (event.data as Video | null)?.progress === 0.5));

    control.holdNext = true;
    // The deletion commits first, but its event is held back until the progress update's went out.
    expect((await server.api(`/videos/${first.id}`, { method: "DELETE", user })).status).toBe(204);
    await provider.send({ status: "IN_PROGRESS", output: { progress: 0.25 } });
    await provider.send({ status: "IN_PROGRESS", output: { progress: 0.5 } });

    const seen = (await received).filter((event) => event.event === "video");
    const ids = seen.map((event) => Number(event.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1] as number);
    expect(seen.filter((event) => (event.data as { deleted?: boolean }).deleted)).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ id: first.id, deleted: true }) }),
    ]);
    expect(seen.at(-1)?.data).toMatchObject({ id: second.id, progress: 0.5 });
  });
});
