import type { RunPodJob } from "@openv/protocol/worker";
import { type LifecycleConfig, type OpenVOptions, openv, type Provider, type ProviderSubmission } from "@openv/server";
import Fastify, { type FastifyInstance } from "fastify";

export interface RealServer {
  app: FastifyInstance;
  /** The SDK's `baseUrl`: http://127.0.0.1:PORT/api */
  baseUrl: string;
  close(): Promise<void>;
}

export interface RealServerOptions {
  provider?: Provider;
  config?: Partial<LifecycleConfig>;
  /** The model catalog. Default: the server's (Mochi 1 only). */
  models?: OpenVOptions["models"];
  /** The local preview provider's delay per simulated step (used when no `provider` is given). */
  previewStepDelayMs?: number;
  /** Called the moment a provider webhook reaches the server, with the video id. */
  onWebhook?: (videoId: string, atMs: number) => void;
}

/**
 * The OpenV plugin in a real Fastify app on a random loopback port, everything in memory
 * (`dataDir: null`), no rate limit and no background reconciler.
 */
export async function startRealServer(options: RealServerOptions = {}): Promise<RealServer> {
  const app = Fastify({ logger: false, pluginTimeout: 120_000, forceCloseConnections: true });
  const { onWebhook } = options;
  if (onWebhook) {
    app.addHook("onRequest", async (request) => {
      if (!request.url.startsWith("/api/runpod/webhook")) return;
      const video = new URL(request.url, "http://x").searchParams.get("video");
      if (video) onWebhook(video, performance.now());
    });
  }
  await app.register(openv, {
    dataDir: null,
    generateRateLimit: false,
    reconciler: false,
    // posters21: no posters or sprites (an extra change after each completion) in these suites.
    previews: false,
    previewStepDelayMs: options.previewStepDelayMs ?? 5,
    ...(options.provider && { provider: options.provider }),
    ...(options.config && { config: options.config }),
    ...(options.models && { models: options.models }),
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as { port: number };
  return { app, baseUrl: `http://127.0.0.1:${port}/api`, close: () => app.close() };
}

/**
 * A provider the test drives: it records each submission and posts the job updates the test asks
 * for to that submission's real webhook URL, as RunPod would.
 */
export class ScriptedProvider implements Provider {
  readonly name = "scripted provider";
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

  /** Posts a job update for the video's latest submission to its webhook. */
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

  /**
   * A worker-mochi output whose file URL the server accepts as its own local file: stored at the key
   * the server chose for the video's first attempt.
   */
  completedOutput(baseUrl: string, videoId: string) {
    const key = `${videoId}-0.mp4`;
    return { url: `${baseUrl}/files/${key}`, key, frames: 7, fps: 30, width: 256, height: 256, seconds: 0.233 };
  }
}

/** The smallest valid Mochi request: 7 frames at 256×256. */
export const smallVideo = { prompt: "a red fox running through snow", frames: 7, width: 256, height: 256 };
