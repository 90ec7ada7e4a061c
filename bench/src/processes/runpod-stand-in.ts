// The RunPod-compatible stand-in of the server's own tests (RunPod REST v2 on loopback), in its
// own process so its work is not charged to the load generator. Its jobs never finish: the
// generate scenario measures admission and submission, and the webhook scenario sends the
// completions itself.
import type { WorkerOutput } from "@openv/protocol/worker";
import { RunPodStandIn } from "../../../packages/server/test/support/runpod-stand-in.js";

const standIn = await new RunPodStandIn({
  apiKey: process.env.STAND_IN_API_KEY ?? "bench-runpod-key",
  endpointId: process.env.STAND_IN_ENDPOINT_ID ?? "bench-endpoint",
  runner: () => new Promise<WorkerOutput>(() => {}),
}).start();
process.send?.({ type: "ready", url: standIn.baseUrl });

process.once("SIGTERM", () => {
  void standIn.close().then(() => process.exit(0));
});
