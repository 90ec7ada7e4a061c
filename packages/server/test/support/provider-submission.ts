import type { WorkerInput } from "@openv/protocol/worker";
import type { ProviderSubmission } from "../../src/core/ports.js";

/** The webhook URL the provider-adapter tests hand their adapters (the server signs real ones). */
export const testWebhookUrl = "https://openv.example/api/runpod/webhook?video=vid_1&attempt=0&token=t0k";

/** A first attempt of `vid_1` rendering `input` as Mochi would (31 frames at 30 fps), no image. */
export const providerSubmission = (
  input: WorkerInput,
  overrides: Partial<ProviderSubmission> = {},
): ProviderSubmission => ({
  videoId: "vid_1",
  attempt: 0,
  input,
  webhookUrl: testWebhookUrl,
  outputKey: "vid_1-0.mp4",
  model: "mochi-1",
  durationSeconds: 31 / 30,
  fps: 30,
  image: null,
  ...overrides,
});
