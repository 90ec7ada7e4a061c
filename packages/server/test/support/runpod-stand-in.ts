import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { RunPodJob, RunPodJobStatus, WorkerInput, WorkerOutput } from "@openv/protocol/worker";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { resolveFfmpegPath } from "../../src/adapters/provider/local.js";

/** What one job's run does: report progress, then return the output or throw (→ FAILED). */
export type StandInRunner = (job: {
  id: string;
  input: WorkerInput;
  /** Sets the job's IN_PROGRESS output, as worker-mochi's `progress_update` does. */
  progress(update: { stage: string; progress: number; step?: number; steps?: number }): void;
  /** Serves `bytes` from the stand-in and returns the URL (a file outside the server's storage). */
  serve(name: string, bytes: Buffer, contentType: string): string;
  isCancelled(): boolean;
}) => Promise<WorkerOutput>;

export interface RunPodStandInOptions {
  apiKey: string;
  endpointId: string;
  runner?: StandInRunner;
  /** Webhook deliveries per job and the pause between them (RunPod: 3, 10 s). */
  webhookAttempts?: number;
  webhookRetryDelayMs?: number;
  /** Return true to drop a job's webhook entirely (a lost delivery). */
  dropWebhook?: (jobId: string) => boolean;
  /** How long `/status` keeps a finished job (RunPod: 30 minutes). */
  resultRetentionMs?: number;
  /** How long jobs wait in the queue before a worker picks them up. Default 0. */
  queueDelayMs?: number;
  /** How long each `/status` answer takes (to make overlapping calls visible). Default 0. */
  statusDelayMs?: number;
}

interface StandInJob {
  id: string;
  status: RunPodJobStatus;
  input: WorkerInput;
  webhook: string | null;
  policy: { executionTimeout?: number; ttl?: number };
  submittedAt: number;
  finishedAt: number | null;
  output?: unknown;
  error?: string;
  executionTime?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: unknown;
}

/**
 * A RunPod-compatible serverless endpoint on loopback, speaking RunPod's REST API v2 (`/run`,
 * `/status`, `/cancel`, bearer auth) with RunPod's documented behaviour: unsigned webhooks delivered
 * at most `webhookAttempts` times, results kept `resultRetentionMs` after the job ends, jobs deleted
 * `policy.ttl` after submission (status 404). Its clock can be moved forward to reach those limits.
 * The default runner renders a real 256×256 MP4 with ffmpeg and serves it from the stand-in, so the
 * server has to copy it into its own storage.
 */
export class RunPodStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly webhookDeliveries: { jobId: string; status: number | "error" }[] = [];
  /**
   * While true, `/run` requests are held open and create no job (a provider that has not answered
   * yet); a held request whose client goes away is dropped, as if it never arrived.
   */
  holdRuns = false;
  /** While true, requests for served files are held open (a slow download). */
  holdFiles = false;
  /** Requests being held right now. */
  held = { runs: 0, files: 0 };
  /** When each `/status` call started and answered (performance.now()). */
  readonly statusCalls: { jobId: string; start: number; end: number }[] = [];
  readonly #jobs = new Map<string, StandInJob>();
  readonly #files = new Map<string, { bytes: Buffer; contentType: string }>();
  readonly #options: Required<Omit<RunPodStandInOptions, "dropWebhook">> & Pick<RunPodStandInOptions, "dropWebhook">;
  readonly #app: FastifyInstance;
  #offsetMs = 0;
  #origin = "";
  readonly #pending = new Set<Promise<unknown>>();

  constructor(options: RunPodStandInOptions) {
    this.#options = {
      runner: renderWithFfmpeg,
      webhookAttempts: 3,
      webhookRetryDelayMs: 10_000,
      resultRetentionMs: 30 * 60_000,
      queueDelayMs: 0,
      statusDelayMs: 0,
      ...options,
    };
    this.#app = Fastify({ logger: false });
    this.#routes();
  }

  /**
   * The stand-in's `host:port` (e.g. 127.0.0.1:41234), for `outputAllowedHosts` /
   * OPENV_OUTPUT_ALLOWED_HOSTS: it serves the finished files from loopback, which the server's
   * guarded fetcher refuses unless allowed (as a self-hosted worker on a LAN would be).
   */
  get host(): string {
    return new URL(this.#origin).host;
  }

  /** The base URL to give as RUNPOD_BASE_URL, e.g. http://127.0.0.1:41234/v2 */
  get baseUrl(): string {
    return `${this.#origin}/v2`;
  }

  async start(): Promise<this> {
    await this.#app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = this.#app.server.address() as { port: number };
    this.#origin = `http://127.0.0.1:${port}`;
    return this;
  }

  /** Cancels unfinished jobs, waits for runners that honour cancellation, and stops. */
  async close(): Promise<void> {
    for (const job of this.#jobs.values()) {
      if (job.status === "IN_QUEUE" || job.status === "IN_PROGRESS") job.status = "CANCELLED";
    }
    await Promise.race([Promise.allSettled([...this.#pending]), sleep(2000)]);
    await this.#app.close();
  }

  /** Moves the stand-in's clock forward (ttl and result retention are measured on it). */
  advance(ms: number): void {
    this.#offsetMs += ms;
  }

  job(id: string): RunPodJob | null {
    const job = this.#visible(id);
    return job ? this.#view(job) : null;
  }

  /** Jobs submitted so far, oldest first. */
  get submitted(): { id: string; input: WorkerInput; webhook: string | null }[] {
    return [...this.#jobs.values()].map(({ id, input, webhook }) => ({ id, input, webhook }));
  }

  /** Waits until every job has ended and its webhook deliveries are done. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #now(): number {
    return Date.now() + this.#offsetMs;
  }

  #visible(id: string): StandInJob | null {
    const job = this.#jobs.get(id);
    if (!job) return null;
    const now = this.#now();
    const ttl = job.policy.ttl ?? 24 * 60 * 60_000;
    if (now - job.submittedAt > ttl) return null;
    if (job.finishedAt !== null && now - job.finishedAt > this.#options.resultRetentionMs) return null;
    return job;
  }

  #view(job: StandInJob): RunPodJob {
    return {
      id: job.id,
      status: job.status,
      ...(job.output !== undefined && { output: job.output }),
      ...(job.error !== undefined && { error: job.error }),
      ...(job.executionTime !== undefined && { executionTime: job.executionTime, delayTime: 0 }),
    };
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    void promise.finally(() => this.#pending.delete(promise)).catch(() => {});
    return promise;
  }

  #routes(): void {
    const app = this.#app;
    const { apiKey, endpointId } = this.#options;
    app.addHook("onRequest", async (request, reply) => {
      if (request.url.startsWith("/files/")) return;
      this.requests.push({
        method: request.method,
        url: request.url,
        authorization: request.headers.authorization,
        body: undefined,
      });
      if (request.headers.authorization !== `Bearer ${apiKey}`) {
        return reply.status(401).send({ error: "Unauthorized" });
      }
    });
    app.addHook("preHandler", async (request) => {
      const last = this.requests.at(-1);
      if (last && last.url === request.url) last.body = request.body;
    });
    const endpoint = (params: unknown) => (params as { endpoint: string }).endpoint === endpointId;

    /** Holds a request until `released()` or its client disconnects; true when the client is gone. */
    const hold = async (request: FastifyRequest, kind: "runs" | "files", released: () => boolean) => {
      this.held[kind] += 1;
      // The socket, not the request: a request "closes" once its body is read.
      const socket = request.raw.socket;
      let gone = socket.destroyed;
      socket.once("close", () => {
        gone = true;
      });
      while (!gone && !released()) await sleep(20);
      this.held[kind] -= 1;
      return gone;
    };

    app.post("/v2/:endpoint/run", async (request, reply) => {
      if (!endpoint(request.params)) return reply.status(404).send({ error: "endpoint not found" });
      if (this.holdRuns && (await hold(request, "runs", () => !this.holdRuns))) return reply;
      const body = request.body as { input?: WorkerInput; webhook?: string; policy?: StandInJob["policy"] };
      if (!body?.input) return reply.status(400).send({ error: "input is required" });
      const job: StandInJob = {
        id: `sync-${randomUUID()}`,
        status: "IN_QUEUE",
        input: body.input,
        webhook: body.webhook ?? null,
        policy: body.policy ?? {},
        submittedAt: this.#now(),
        finishedAt: null,
      };
      this.#jobs.set(job.id, job);
      this.#track(this.#execute(job));
      return { id: job.id, status: job.status };
    });

    app.get("/v2/:endpoint/status/:id", async (request, reply) => {
      if (!endpoint(request.params)) return reply.status(404).send({ error: "endpoint not found" });
      const jobId = (request.params as { id: string }).id;
      const start = performance.now();
      if (this.#options.statusDelayMs > 0) await sleep(this.#options.statusDelayMs);
      const job = this.#visible(jobId);
      this.statusCalls.push({ jobId, start, end: performance.now() });
      if (!job) return reply.status(404).send({ error: "job not found" });
      return this.#view(job);
    });

    app.post("/v2/:endpoint/cancel/:id", async (request, reply) => {
      if (!endpoint(request.params)) return reply.status(404).send({ error: "endpoint not found" });
      const job = this.#visible((request.params as { id: string }).id);
      if (!job) return reply.status(404).send({ error: "job not found" });
      if (job.status === "IN_QUEUE" || job.status === "IN_PROGRESS") {
        job.status = "CANCELLED";
        job.finishedAt = this.#now();
        delete job.output;
      }
      return { id: job.id, status: job.status };
    });

    app.get("/files/:name", async (request, reply) => {
      if (this.holdFiles && (await hold(request, "files", () => !this.holdFiles))) return reply;
      const file = this.#files.get((request.params as { name: string }).name);
      if (!file) return reply.status(404).send({ error: "no such file" });
      return reply.type(file.contentType).send(file.bytes);
    });
  }

  async #execute(job: StandInJob): Promise<void> {
    if (this.#options.queueDelayMs > 0) await sleep(this.#options.queueDelayMs);
    if (job.status !== "IN_QUEUE") return;
    job.status = "IN_PROGRESS";
    const started = Date.now();
    try {
      const output = await this.#options.runner({
        id: job.id,
        input: job.input,
        progress: (update) => {
          if (job.status === "IN_PROGRESS") job.output = update;
        },
        serve: (name, bytes, contentType) => {
          this.#files.set(name, { bytes, contentType });
          return `${this.#origin}/files/${encodeURIComponent(name)}`;
        },
        isCancelled: () => job.status === "CANCELLED",
      });
      if (job.status !== "IN_PROGRESS") return;
      job.status = "COMPLETED";
      job.output = output;
    } catch (error) {
      if (job.status !== "IN_PROGRESS") return;
      job.status = "FAILED";
      delete job.output;
      job.error = error instanceof Error ? error.message : String(error);
    }
    job.executionTime = Date.now() - started;
    job.finishedAt = this.#now();
    await this.#deliver(job);
  }

  async #deliver(job: StandInJob): Promise<void> {
    if (!job.webhook || this.#options.dropWebhook?.(job.id)) return;
    for (let attempt = 1; attempt <= this.#options.webhookAttempts; attempt++) {
      try {
        const response = await fetch(job.webhook, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(this.#view(job)),
        });
        this.webhookDeliveries.push({ jobId: job.id, status: response.status });
        if (response.ok) return;
      } catch {
        this.webhookDeliveries.push({ jobId: job.id, status: "error" });
      }
      if (attempt < this.#options.webhookAttempts) await sleep(this.#options.webhookRetryDelayMs);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A runner for jobs that never finish on their own: it reports a little progress and waits to be cancelled. */
export const runUntilCancelled: StandInRunner = async ({ progress, isCancelled }) => {
  progress({ stage: "denoising", progress: 0.1, step: 1, steps: 10 });
  while (!isCancelled()) await sleep(50);
  throw new Error("cancelled");
};

/** The default runner: a few progress steps, then a real H.264 MP4 rendered by ffmpeg. */
export const renderWithFfmpeg: StandInRunner = async ({ id, input, progress, serve, isCancelled }) => {
  const steps = Math.min(input.steps, 4);
  for (let step = 1; step <= steps; step++) {
    progress({ stage: "denoising", progress: (0.8 * step) / steps, step, steps });
    await sleep(150);
    if (isCancelled()) throw new Error("cancelled");
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "openv-stand-in-"));
  try {
    const file = path.join(dir, "out.mp4");
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        resolveFfmpegPath(),
        [
          ...["-hide_banner", "-loglevel", "error", "-f", "lavfi"],
          ...["-i", `testsrc2=size=${input.width}x${input.height}:rate=30`],
          ...["-frames:v", String(input.num_frames), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-y", file],
        ],
        { stdio: "ignore" },
      );
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}`))));
    });
    const url = serve(`${id}.mp4`, await readFile(file), "video/mp4");
    return {
      url,
      key: `${id}.mp4`,
      frames: input.num_frames,
      fps: 30,
      width: input.width,
      height: input.height,
      seconds: input.num_frames / 30,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
