import type { RunPodJob } from "@openv/protocol";
import { type LifecycleConfig, openv, type Provider, type ProviderSubmission } from "@openv/server";
import Fastify, { type FastifyInstance } from "fastify";

export interface RealServer {
  app: FastifyInstance;
  /** The SDK's `baseUrl`: http://127.0.0.1:PORT/api */
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * The OpenV plugin in a real Fastify app on a random loopback port: everything in memory
 * (`dataDir: null`), no rate limit, no background reconciler. Without a `provider` it runs the
 * local preview provider (ffmpeg renders a real MP4, with a visible progress step every
 * `previewStepDelayMs`).
 */
export async function startServer(
  options: { provider?: Provider; config?: Partial<LifecycleConfig>; previewStepDelayMs?: number } = {},
): Promise<RealServer> {
  const app = Fastify({ logger: false, pluginTimeout: 120_000 });
  await app.register(openv, {
    dataDir: null,
    generateRateLimit: false,
    reconciler: false,
    previewStepDelayMs: options.previewStepDelayMs ?? 0,
    ...(options.provider && { provider: options.provider }),
    ...(options.config && { config: options.config }),
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as { port: number };
  return { app, baseUrl: `http://127.0.0.1:${port}/api`, close: () => app.close() };
}

/**
 * A provider the test drives, as RunPod would: it records each submission and posts the job
 * updates the test asks for to that submission's real webhook URL.
 */
export class ScriptedProvider implements Provider {
  readonly name = "scripted test provider";
  readonly #submissions = new Map<string, ProviderSubmission & { jobId: string }>();
  #next = 0;

  async submit(submission: ProviderSubmission): Promise<{ jobId: string }> {
    const jobId = `job-${++this.#next}`;
    this.#submissions.set(submission.videoId, { ...submission, jobId });
    return { jobId };
  }

  async status(): Promise<RunPodJob | null> {
    return null;
  }

  async cancel(): Promise<void> {}

  /** Posts a job update for the video to its webhook; throws unless the server took it. */
  async send(videoId: string, update: Omit<RunPodJob, "id">): Promise<void> {
    const submission = this.#submissions.get(videoId);
    if (!submission) throw new Error(`no submission for video ${videoId}`);
    const response = await fetch(submission.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: submission.jobId, ...update }),
    });
    if (!response.ok) throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
  }

  /** A worker-mochi output for a 7-frame 256×256 video whose URL the server takes as its own file. */
  completedOutput(baseUrl: string) {
    return {
      url: `${baseUrl}/files/v.mp4`,
      key: "v.mp4",
      frames: 7,
      fps: 30,
      width: 256,
      height: 256,
      seconds: 7 / 30,
    };
  }
}
