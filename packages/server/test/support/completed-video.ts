import type { Video } from "@openv/protocol";
import { attemptOutputKey } from "../../src/core/output-keys.js";
import { completedOutput, type ScriptedProvider, type TestServer } from "../helpers.js";
import { tinyMp4 } from "./tiny-mp4.js";

/**
 * Generates a video as `user` and completes it through the provider's real webhook, its MP4 (a
 * real tiny H.264 file) in the server's storage at the key the server chose: a finished video to
 * remix or share. The user must have accepted the terms.
 */
export async function completedVideo(
  server: TestServer,
  provider: ScriptedProvider,
  body: object,
  user = "alice",
): Promise<Video> {
  const response = await server.api("/videos", { method: "POST", user, json: body });
  if (response.status !== 202) throw new Error(`generate answered ${response.status}: ${await response.text()}`);
  const { video } = (await response.json()) as { video: Video };
  const stored = await server.openv.adapters.storage.putBytes(
    attemptOutputKey(video.id, 0),
    await tinyMp4(),
    "video/mp4",
  );
  const output = { ...completedOutput(server, { videoId: video.id }), url: stored.url };
  const update = await provider.send({ status: "COMPLETED", output });
  if (update.status !== 200) throw new Error(`webhook answered ${update.status}`);
  const done = (await (await server.api(`/videos/${video.id}`, { user })).json()) as { video: Video };
  if (done.video.status !== "completed") throw new Error(`video is ${done.video.status}`);
  return done.video;
}
