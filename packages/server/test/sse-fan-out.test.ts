import type { Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryEvents } from "../src/adapters/events/memory.js";
import { createPostgresEvents } from "../src/adapters/events/postgres.js";
import type { Events, VideoChangeEvent } from "../src/core/ports.js";
import { EventStreams, type OpenEventStream } from "../src/http/event-streams.js";
import {
  accepted,
  bindingsOnBackends,
  createTestDatabase,
  generateBody,
  ScriptedProvider,
  startTestServer,
  type TestServer,
} from "./helpers.js";

/** Events that count the subscriptions open per user: what each open stream costs the adapter. */
function countingEvents(inner: Events) {
  const open = new Map<string, number>();
  const events: Events = {
    name: `counting ${inner.name}`,
    publish: (userId, event) => inner.publish(userId, event),
    subscribe(userId, listener, onMissed) {
      open.set(userId, (open.get(userId) ?? 0) + 1);
      const unsubscribe = inner.subscribe(userId, listener, onMissed);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        open.set(userId, (open.get(userId) ?? 0) - 1);
        unsubscribe();
      };
    },
    close: () => inner.close?.() ?? Promise.resolve(),
  };
  return { events, subscriptions: (userId: string) => open.get(userId) ?? 0 };
}

/** Reads an SSE response block by block (the text between blank lines), as far as asked. */
class SseReader {
  readonly blocks: string[] = [];
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";

  constructor(response: Response) {
    this.#reader = (response.body as ReadableStream<Uint8Array>).getReader();
  }

  /** Reads until `done` holds for the blocks so far; throws if the stream ends first. */
  async until(done: (blocks: string[]) => boolean): Promise<string[]> {
    while (!done(this.blocks)) {
      const chunk = await this.#reader.read();
      if (chunk.done) throw new Error(`the stream ended after ${JSON.stringify(this.blocks)}`);
      this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
      for (let end = this.#buffer.indexOf("\n\n"); end !== -1; end = this.#buffer.indexOf("\n\n")) {
        this.blocks.push(this.#buffer.slice(0, end));
        this.#buffer = this.#buffer.slice(end + 2);
      }
    }
    return this.blocks;
  }

  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

/** The `video` events among SSE blocks: their ids and data. */
function videoEvents(blocks: string[]): { id: string; data: Video }[] {
  return blocks.flatMap((block) => {
    const lines = block.split("\n");
    if (!lines.includes("event: video")) return [];
    const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? "";
    return [{ id: field("id"), data: JSON.parse(field("data")) as Video }];
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// More streams than the fan-out gives a change before yielding to the event loop (256).
const streamCount = 300;
const progressSteps = [0.25, 0.5, 0.75];

describe.each(bindingsOnBackends)(
  "SSE fan-out to many streams of one user ($binding binding, $name)",
  ({ binding, adminUrl }) => {
    let server: TestServer;
    let provider: ScriptedProvider;
    let counted: ReturnType<typeof countingEvents>;
    let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;

    beforeAll(async () => {
      database = adminUrl ? await createTestDatabase(adminUrl) : undefined;
      counted = countingEvents(
        database ? await createPostgresEvents({ connectionString: database.url }) : createMemoryEvents(),
      );
      provider = new ScriptedProvider();
      server = await startTestServer({
        binding,
        provider,
        events: counted.events,
        ...(database && { databaseUrl: database.url }),
        maxEventStreamsPerUser: streamCount + 10,
        config: { maxActiveJobs: 20 },
      });
    });
    afterAll(async () => {
      await server?.close();
      await database?.drop();
    });

    it("gives every stream every change once, in order, from one subscription that goes with the last stream", async () => {
      const user = "alice";
      await accepted(server, user);
      const created = await server.api("/videos", { method: "POST", user, json: generateBody });
      const video = ((await created.json()) as { video: Video }).video;

      const streams = await Promise.all(
        Array.from({ length: streamCount }, () => server.api("/videos/events", { user })),
      );
      for (const stream of streams) expect(stream.status).toBe(200);
      // A stream nobody reads: its frames pile up (as before) without holding up the others.
      const unread = await server.api("/videos/events", { user });
      expect(counted.subscriptions(user)).toBe(1);

      // A stream without a resume point streams the changes after the latest one when it opened,
      // and says which with an `id:` line: changes are sent once every stream has said it.
      const readers = streams.map((stream) => new SseReader(stream));
      await Promise.all(readers.map((reader) => reader.until((blocks) => blocks.some((b) => b.startsWith("id:")))));
      const last = progressSteps.at(-1);
      const received = readers.map((reader) =>
        reader.until((blocks) => videoEvents(blocks).some((event) => event.data.progress === last)),
      );
      for (const progress of progressSteps) {
        expect((await provider.send({ status: "IN_PROGRESS", output: { progress } })).status).toBe(200);
      }

      for (const blocks of await Promise.all(received)) {
        const changes = videoEvents(blocks);
        expect(changes.map((event) => event.data.id)).toEqual(progressSteps.map(() => video.id));
        expect(changes.map((event) => event.data.progress)).toEqual(progressSteps);
        const ids = changes.map((event) => Number(event.id));
        for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe((ids[i - 1] as number) + 1);
      }

      // Every stream closed, the unread one included: the user's subscription goes with the last.
      await Promise.all([...readers.map((reader) => reader.cancel()), unread.body?.cancel()]);
      await until("the user's subscription to go", () => counted.subscriptions(user) === 0);
    }, 120_000);
  },
);

/** A stream as the fan-out sees it, recording what it was given. */
function recordingStream(onDeliver?: (event: VideoChangeEvent) => void) {
  const seqs: number[] = [];
  const frames = new Set<Uint8Array>();
  let missed = 0;
  let closed = 0;
  const stream: OpenEventStream = {
    deliver(event, frame) {
      seqs.push(event.seq);
      frames.add(frame);
      onDeliver?.(event);
    },
    missed: () => {
      missed += 1;
    },
    close: () => {
      closed += 1;
    },
  };
  return { stream, seqs, frames, missed: () => missed, closed: () => closed };
}

function fakeSubscriber() {
  const listeners = new Map<string, { listener: (event: VideoChangeEvent) => void; onMissed: () => void }>();
  let subscribes = 0;
  return {
    subscribe(userId: string, listener: (event: VideoChangeEvent) => void, onMissed: () => void) {
      subscribes += 1;
      listeners.set(userId, { listener, onMissed });
      return () => listeners.delete(userId);
    },
    emit(userId: string, seq: number) {
      listeners
        .get(userId)
        ?.listener({ seq, change: { id: `vid_${seq}`, deleted: true, updatedAt: new Date(seq).toISOString() } });
    },
    missed: (userId: string) => listeners.get(userId)?.onMissed(),
    listening: (userId: string) => listeners.has(userId),
    subscribes: () => subscribes,
  };
}

describe("EventStreams fan-out", () => {
  it("gives changes that arrive mid fan-out to every stream in order, one frame each, and lets other work run", async () => {
    const source = fakeSubscriber();
    const streams = new EventStreams({ maxPerUser: 2_000, subscribe: source.subscribe });
    const recorded = Array.from({ length: 1_000 }, () => recordingStream());
    for (const { stream } of recorded) streams.add("alice", stream);
    expect(source.subscribes()).toBe(1);

    let otherWorkRanAt: number | undefined;
    setImmediate(() => {
      otherWorkRanAt = recorded.filter((entry) => entry.seqs.length > 0).length;
    });
    for (const seq of [1, 2, 3]) source.emit("alice", seq);
    await until("every stream to get every change", () => recorded.every((entry) => entry.seqs.length === 3));

    for (const entry of recorded) expect(entry.seqs).toEqual([1, 2, 3]);
    // One frame per change, the same buffer for every stream.
    expect(new Set(recorded.flatMap((entry) => [...entry.frames])).size).toBe(3);
    // The event loop ran other work after some streams had the first change and before the last did.
    expect(otherWorkRanAt).toBeGreaterThan(0);
    expect(otherWorkRanAt).toBeLessThan(recorded.length);
  });

  it("keeps going when a stream throws, passes on missed changes, and unsubscribes with the last stream", async () => {
    const source = fakeSubscriber();
    const streams = new EventStreams({ subscribe: source.subscribe });
    const throwing = recordingStream(() => {
      throw new Error("a broken stream");
    });
    const healthy = recordingStream();
    streams.add("alice", throwing.stream);
    streams.add("alice", healthy.stream);
    source.emit("alice", 1);
    await until("the healthy stream to get the change", () => healthy.seqs.length === 1);

    source.missed("alice");
    expect([throwing.missed(), healthy.missed()]).toEqual([1, 1]);

    streams.delete("alice", throwing.stream);
    expect(source.listening("alice")).toBe(true);
    streams.delete("alice", healthy.stream);
    expect(source.listening("alice")).toBe(false);
    expect(streams.subscribedUsers).toBe(0);

    streams.add("alice", healthy.stream);
    expect(source.subscribes()).toBe(2);
    streams.closeAll();
    expect(healthy.closed()).toBe(1);
  });
});
