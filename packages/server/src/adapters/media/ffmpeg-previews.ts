import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { imageSize } from "image-size";
import type { DerivedPreviews, PreviewExtractor, PreviewSource } from "../../core/ports.js";
import type { PreviewOptions } from "../../core/previews.js";
import { resolveFfmpegPath } from "../provider/local.js";

// posters21: posters and scrub sprites with ffmpeg (the binary the local preview provider runs).

/** Settings of `createFfmpegPreviewExtractor`. */
export interface FfmpegPreviewOptions {
  /** The ffmpeg to run. Default: FFMPEG_PATH, else the binary shipped in @ffmpeg-installer/ffmpeg. */
  ffmpegPath?: string | undefined;
  /** ffmpeg is killed (SIGKILL) after this long and the derivation fails. Default 30 000 ms. */
  timeoutMs?: number | undefined;
  /** Reading the video from storage into a temporary file may take this long. Default 120 000 ms. */
  readTimeoutMs?: number | undefined;
  /** Widest poster in pixels (a narrower video keeps its width). Default 640. */
  posterMaxWidth?: number | undefined;
  /** Width of one sprite frame at most, in pixels. Default 160. */
  frameMaxWidth?: number | undefined;
  /** Most frames on the sprite sheet. Default 50. */
  maxSpriteFrames?: number | undefined;
  /** Frames per sprite row at most. Default 10. */
  spriteColumns?: number | undefined;
  /** Where each derivation's temporary folder is made (and removed). Default the OS temp dir. */
  tempDir?: string | undefined;
}

/** Largest image read back (a 640-px JPEG is ~50 KB, a 1600×450 sheet ~150 KB). */
const maxImageBytes = 8 * 1024 * 1024;

const even = (value: number) => Math.max(2, 2 * Math.round(value / 2));

/** The sizes and layout derived for a video of `width × height` and `frames` frames. */
export function previewLayout(
  source: Pick<PreviewSource, "width" | "height" | "frames" | "fps">,
  limits: { posterMaxWidth: number; frameMaxWidth: number; maxSpriteFrames: number; spriteColumns: number },
) {
  const scaled = (maxWidth: number) => {
    const width = even(Math.min(maxWidth, source.width));
    return { width, height: even((source.height * width) / source.width) };
  };
  const frames = Math.max(1, source.frames);
  const step = Math.max(1, Math.ceil(frames / limits.maxSpriteFrames));
  const count = Math.ceil(frames / step);
  const columns = Math.min(limits.spriteColumns, count);
  return {
    poster: scaled(limits.posterMaxWidth),
    frame: scaled(limits.frameMaxWidth),
    /** The poster is the middle frame (a first frame is often a fade from black). */
    posterFrame: Math.floor((frames - 1) / 2),
    step,
    columns,
    rows: Math.ceil(count / columns),
    interval: step / source.fps,
  };
}

/**
 * A `PreviewExtractor` running ffmpeg once per video: one decode pass split into the poster (the
 * middle frame, the video's size or at most `posterMaxWidth` wide) and a sprite sheet (every
 * `step`-th frame, at most `maxSpriteFrames`, `frameMaxWidth` wide, `spriteColumns` a row), both
 * JPEG. Bounded: the storage read within `readTimeoutMs`, ffmpeg on one thread and killed after
 * `timeoutMs`, outputs read back only up to 8 MiB; the video is streamed to a temporary file, never
 * held in memory.
 */
export function createFfmpegPreviewExtractor(options: FfmpegPreviewOptions = {}): PreviewExtractor {
  const ffmpeg = resolveFfmpegPath(options.ffmpegPath);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const readTimeoutMs = options.readTimeoutMs ?? 120_000;
  const limits = {
    posterMaxWidth: options.posterMaxWidth ?? 640,
    frameMaxWidth: options.frameMaxWidth ?? 160,
    maxSpriteFrames: options.maxSpriteFrames ?? 50,
    spriteColumns: options.spriteColumns ?? 10,
  };

  return {
    name: `ffmpeg at ${ffmpeg}`,
    async extract(source: PreviewSource): Promise<DerivedPreviews> {
      const layout = previewLayout(source, limits);
      const folder = await mkdtemp(path.join(options.tempDir ?? os.tmpdir(), "openv-previews-"));
      try {
        const input = path.join(folder, "video.mp4");
        const posterFile = path.join(folder, "poster.jpg");
        const spriteFile = path.join(folder, "sprite.jpg");
        await withinTime(source.writeTo(input), readTimeoutMs, "reading the video from storage");
        const filter = [
          "[0:v]split=2[forPoster][forSprite]",
          `[forPoster]select='gte(n\\,${layout.posterFrame})',scale=${layout.poster.width}:${layout.poster.height}[poster]`,
          `[forSprite]select='not(mod(n\\,${layout.step}))',scale=${layout.frame.width}:${layout.frame.height},tile=${layout.columns}x${layout.rows}[sprite]`,
        ].join(";");
        await run(
          ffmpeg,
          [
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-threads",
            "1",
            "-i",
            input,
            "-an",
            "-filter_complex",
            filter,
            "-map",
            "[poster]",
            "-frames:v",
            "1",
            "-q:v",
            "3",
            "-y",
            posterFile,
            "-map",
            "[sprite]",
            "-frames:v",
            "1",
            "-q:v",
            "4",
            "-y",
            spriteFile,
          ],
          timeoutMs,
        );
        const [poster, sprite] = await Promise.all([readJpeg(posterFile), readJpeg(spriteFile)]);
        return {
          poster,
          sprite: {
            ...sprite,
            columns: layout.columns,
            rows: layout.rows,
            frameWidth: layout.frame.width,
            frameHeight: layout.frame.height,
            interval: layout.interval,
          },
        };
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    },
  };
}

/** `work`, or a rejection naming `what` once `ms` have passed (a stalled storage read frees its slot). */
async function withinTime<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** An ffmpeg output: at most `maxImageBytes`, and a JPEG whose size can be read. */
async function readJpeg(file: string): Promise<DerivedPreviews["poster"]> {
  const info = await stat(file).catch(() => null);
  if (!info || info.size === 0)
    throw new Error(`ffmpeg wrote no ${path.basename(file)} (the video has too few frames?)`);
  if (info.size > maxImageBytes) throw new Error(`ffmpeg wrote a ${path.basename(file)} over ${maxImageBytes} bytes`);
  const bytes = new Uint8Array(await readFile(file));
  const size = imageSize(bytes);
  if (size.type !== "jpg" || !size.width || !size.height) throw new Error(`${path.basename(file)} is not a JPEG`);
  return { bytes, contentType: "image/jpeg", width: size.width, height: size.height };
}

/** Runs ffmpeg, killing it after `timeoutMs`; rejects with its last lines of stderr. */
function run(ffmpeg: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-1000);
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ffmpeg at ${ffmpeg}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`ffmpeg took longer than ${timeoutMs} ms and was stopped`));
      else if (code === 0) resolve();
      else
        reject(new Error(`ffmpeg exited with ${signal ?? code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`));
    });
  });
}

/** The `previews` option of the server: the ffmpeg extractor's limits, or another extractor, and the retry timing. */
export interface PreviewSettings extends FfmpegPreviewOptions, Omit<PreviewOptions, "extractor"> {
  /** Derives the images instead of ffmpeg (e.g. a hosted image service). */
  extractor?: PreviewExtractor | undefined;
}

/**
 * What the `previews` option asks for: no extractor for `false`, else the given one or ffmpeg with
 * the given limits (the default), with the retry timing given.
 */
export function previewSettingsFor(option: boolean | PreviewSettings | undefined): PreviewOptions {
  if (option === false) return { extractor: null };
  if (option === true || option === undefined) return { extractor: createFfmpegPreviewExtractor() };
  const { extractor, retryAfterMs, maxAttempts, concurrency, ...ffmpeg } = option;
  return {
    extractor: extractor ?? createFfmpegPreviewExtractor(ffmpeg),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(maxAttempts !== undefined && { maxAttempts }),
    ...(concurrency !== undefined && { concurrency }),
  };
}
