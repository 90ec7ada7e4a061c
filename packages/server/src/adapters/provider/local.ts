import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type { RunPodJob, WorkerInput, WorkerOutput } from "@openv/protocol/worker";
import type { Logger, Provider, ProviderSubmission, Storage } from "../../core/ports.js";

/** Settings of `createLocalPreviewProvider`. */
export interface LocalPreviewProviderOptions {
  /** Where the rendered preview videos are stored. */
  storage: Storage;
  /** Where render failures are reported. */
  logger: Logger;
  /** The ffmpeg to run. Default: FFMPEG_PATH, else the binary shipped in @ffmpeg-installer/ffmpeg. */
  ffmpegPath?: string;
  /**
   * Milliseconds per simulated denoising step before encoding (at most 10 steps are shown), so a
   * person watching sees progress move as with a real GPU. Default 0.
   */
  stepDelayMs?: number;
  /** Delivers a webhook. Default: `fetch` POST with JSON, 3 tries 1 s apart (RunPod makes 3). */
  deliver?: (url: string, job: RunPodJob) => Promise<void>;
}

const fontCandidates = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/System/Library/Fonts/Supplemental/Arial.ttf",
];

export function resolveFfmpegPath(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.FFMPEG_PATH) return process.env.FFMPEG_PATH;
  const require = createRequire(import.meta.url);
  return (require("@ffmpeg-installer/ffmpeg") as { path: string }).path;
}

async function postJob(url: string, job: RunPodJob): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(job),
      });
      if (response.ok) return;
      lastError = new Error(`webhook answered ${response.status}`);
      if (response.status < 500) break;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw lastError;
}

interface LocalJob {
  job: RunPodJob;
  process: ChildProcess | null;
  cancelled: boolean;
}

/**
 * The local preview provider: renders a short real MP4 (the prompt over a moving test pattern, at
 * the requested size and frame count) with ffmpeg and reports through the same webhook route and
 * token check RunPod uses — IN_PROGRESS with progress, then COMPLETED with worker-mochi's output
 * shape — so the development path exercises the production path.
 */
export function createLocalPreviewProvider(options: LocalPreviewProviderOptions): Provider {
  const ffmpeg = resolveFfmpegPath(options.ffmpegPath);
  const font = fontCandidates.find((candidate) => existsSync(candidate));
  const deliver = options.deliver ?? postJob;
  const stepDelayMs = options.stepDelayMs ?? 0;
  const jobs = new Map<string, LocalJob>();

  async function report(entry: LocalJob, webhookUrl: string, update: Omit<RunPodJob, "id">) {
    entry.job = { id: entry.job.id, ...update };
    await deliver(webhookUrl, entry.job);
  }

  async function render(entry: LocalJob, submission: ProviderSubmission): Promise<void> {
    const { input, webhookUrl } = submission;
    const started = Date.now();
    const workDir = await mkdtemp(path.join(os.tmpdir(), "openv-preview-"));
    try {
      const steps = Math.min(input.steps, 10);
      for (let step = 1; step <= steps && stepDelayMs > 0; step++) {
        await new Promise((resolve) => setTimeout(resolve, stepDelayMs));
        if (entry.cancelled) return;
        await report(entry, webhookUrl, {
          status: "IN_PROGRESS",
          output: { progress: (0.8 * step) / steps, step, steps },
        });
      }
      const file = path.join(workDir, "video.mp4");
      await encode(entry, input, workDir, file, async (fraction) => {
        await report(entry, webhookUrl, { status: "IN_PROGRESS", output: { progress: 0.8 + 0.2 * fraction } });
      });
      if (entry.cancelled) return;
      // Stored where the server told this attempt to store it (the only place it adopts).
      const stored = await options.storage.putFile(submission.outputKey, file, "video/mp4");
      const output: WorkerOutput = {
        url: stored.url,
        key: stored.key,
        frames: input.num_frames,
        fps: 30,
        width: input.width,
        height: input.height,
        seconds: input.num_frames / 30,
      };
      await report(entry, webhookUrl, { status: "COMPLETED", output, executionTime: Date.now() - started });
    } catch (error) {
      if (entry.cancelled) return;
      const message = error instanceof Error ? error.message : String(error);
      options.logger.error({ jobId: entry.job.id, err: error }, "local preview render failed");
      await report(entry, webhookUrl, { status: "FAILED", error: `model_error: ${message}` }).catch(() => {});
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  async function encode(
    entry: LocalJob,
    input: WorkerInput,
    workDir: string,
    file: string,
    onProgress: (fraction: number) => Promise<void>,
  ): Promise<void> {
    const hue = [...input.positive_prompt].reduce((sum, char) => (sum * 31 + (char.codePointAt(0) ?? 0)) % 360, 7);
    const filters = [`hue=h=${hue}`];
    if (font) {
      const textFile = path.join(workDir, "prompt.txt");
      const wrapped = input.positive_prompt.replace(/(.{1,40})(\s+|$)/g, "$1\n").slice(0, 400);
      await writeFile(textFile, wrapped);
      const size = Math.max(12, Math.round(input.height / 18));
      filters.push(
        `drawtext=fontfile=${font}:textfile=${textFile}:fontcolor=white:fontsize=${size}:box=1:boxcolor=black@0.5:boxborderw=8:x=(w-text_w)/2:y=(h-text_h)/2`,
      );
    }
    const args = [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${input.width}x${input.height}:rate=30`,
      "-vf",
      filters.join(","),
      "-frames:v",
      String(input.num_frames),
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-pix_fmt",
      "yuv420p",
      "-movflags",
      "+faststart",
      "-progress",
      "pipe:1",
      "-y",
      file,
    ];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(ffmpeg, args, { stdio: ["ignore", "pipe", "pipe"] });
      entry.process = child;
      let stderr = "";
      let lastReport = 0;
      child.stderr.on("data", (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-2000);
      });
      child.stdout.on("data", (chunk: Buffer) => {
        const frame = /frame=(\d+)/.exec(chunk.toString());
        if (frame?.[1] && Date.now() - lastReport > 250) {
          lastReport = Date.now();
          void onProgress(Math.min(1, Number(frame[1]) / input.num_frames)).catch(() => {});
        }
      });
      child.on("error", (error) => reject(new Error(`could not run ffmpeg at ${ffmpeg}: ${error.message}`)));
      child.on("close", (code, signal) => {
        entry.process = null;
        if (code === 0) resolve();
        else reject(new Error(`ffmpeg exited with ${signal ?? code}: ${stderr.trim()}`));
      });
    });
  }

  return {
    name: `local preview (ffmpeg at ${ffmpeg}${font ? "" : ", no font found: pattern only"})`,
    async submit(submission: ProviderSubmission) {
      const id = `local-${randomUUID()}`;
      const entry: LocalJob = { job: { id, status: "IN_QUEUE" }, process: null, cancelled: false };
      jobs.set(id, entry);
      setImmediate(() => {
        void render(entry, submission);
      });
      return { jobId: id };
    },
    async status(jobId: string) {
      return jobs.get(jobId)?.job ?? null;
    },
    async cancel(jobId: string) {
      const entry = jobs.get(jobId);
      if (!entry || entry.job.status === "COMPLETED" || entry.job.status === "FAILED") return;
      entry.cancelled = true;
      entry.process?.kill("SIGKILL");
      entry.job = { id: jobId, status: "CANCELLED" };
    },
    async close() {
      for (const entry of jobs.values()) {
        entry.cancelled = true;
        entry.process?.kill("SIGKILL");
      }
    },
  };
}
