// Type tests (vitest typecheck): the overloads, unions and option shapes that inference makes tricky.
import { describe, expectTypeOf, it } from "vitest";
import {
  type APIPromise,
  createClient,
  type GenerateResponse,
  type OpenVClient,
  type RequestOptions,
  type Tombstone,
  type Upload,
  type Video,
  type VideoOrTombstone,
  type VideoPage,
  type VideoWatcher,
  type WatchSnapshot,
  type WithResponse,
} from "../src/index.js";

declare const client: OpenVClient;

describe("the SDK's public types", () => {
  it("createClient returns the client", () => {
    expectTypeOf(createClient({ baseUrl: "/api" })).toEqualTypeOf<OpenVClient>();
  });

  it("list(): live videos without updatedSince, videos or tombstones with it", async () => {
    expectTypeOf(await client.videos.list()).toEqualTypeOf<VideoPage<Video>>();
    expectTypeOf(await client.videos.list({ limit: 10 })).toEqualTypeOf<VideoPage<Video>>();
    expectTypeOf(await client.videos.list({ updatedSince: 0 })).toEqualTypeOf<VideoPage<VideoOrTombstone>>();
    for await (const video of client.videos.list()) expectTypeOf(video).toEqualTypeOf<Video>();
    for await (const change of client.videos.list({ updatedSince: 0 })) {
      expectTypeOf(change).toEqualTypeOf<VideoOrTombstone>();
      if ("deleted" in change) expectTypeOf(change).toEqualTypeOf<Tombstone>();
    }
  });

  it("every call returns an APIPromise whose withResponse() carries the response", () => {
    expectTypeOf(client.videos.get("v")).toEqualTypeOf<APIPromise<Video>>();
    expectTypeOf(client.videos.create({ prompt: "x" })).toEqualTypeOf<APIPromise<GenerateResponse>>();
    expectTypeOf(client.videos.get("v").withResponse()).resolves.toEqualTypeOf<WithResponse<Video>>();
    expectTypeOf(client.uploads.create(new Uint8Array())).resolves.toEqualTypeOf<Upload>();
    expectTypeOf(client.videos.createAndWait({ prompt: "x" })).resolves.toEqualTypeOf<Video>();
  });

  it("options accept undefined for every field (exactOptionalPropertyTypes)", () => {
    const maybeSignal: AbortSignal | undefined = undefined;
    const options: RequestOptions = { signal: maybeSignal, timeoutMs: undefined, maxRetries: undefined };
    expectTypeOf(client.videos.get).toBeCallableWith("v", options);
    expectTypeOf(client.videos.createAndWait).toBeCallableWith(
      { prompt: "x" },
      { signal: maybeSignal, onProgress: undefined, timeoutMs: undefined },
    );
  });

  it("videos.create takes an upload id or a Blob/File for image, nothing else", () => {
    expectTypeOf(client.videos.create).toBeCallableWith({ prompt: "x", image: "upl_1" });
    expectTypeOf(client.videos.create).toBeCallableWith({ prompt: "x", image: new Blob([]) });
    // @ts-expect-error an image is a string id or a Blob
    client.videos.create({ prompt: "x", image: 42 });
    // @ts-expect-error unknown request fields are refused
    client.videos.create({ prompt: "x", colour: "red" });
  });

  it("the flat names stay callable (deprecated)", () => {
    expectTypeOf(client.usage).toBeCallableWith();
    expectTypeOf(client.models).toBeCallableWith({ signal: undefined });
    expectTypeOf(client.usage.get).returns.resolves.toHaveProperty("usedSeconds");
  });

  it("the watcher: subscribe returns the unsubscribe, iterates snapshots, exposes no emitter", () => {
    const watcher = client.watch();
    expectTypeOf(watcher).toEqualTypeOf<VideoWatcher>();
    expectTypeOf(watcher.subscribe(() => {})).toEqualTypeOf<() => void>();
    expectTypeOf(watcher).toMatchTypeOf<AsyncIterable<WatchSnapshot>>();
    expectTypeOf(
      watcher.on("video", (video, previous) => {
        expectTypeOf(video).toEqualTypeOf<Video>();
        expectTypeOf(previous).toEqualTypeOf<Video | undefined>();
      }),
    ).toEqualTypeOf<() => void>();
    expectTypeOf(watcher).not.toHaveProperty("emit");
    expectTypeOf(watcher).not.toHaveProperty("removeAllListeners");
  });
});
