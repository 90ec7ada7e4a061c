import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { resolveFfmpegPath } from "../../src/adapters/provider/local.js";

let rendered: Promise<Buffer> | null = null;

/**
 * A real, tiny H.264 MP4 (7 frames of 64×64 test pattern), rendered once per test file with the
 * same ffmpeg the local preview provider uses: what a fake provider CDN serves as a finished video.
 */
export function tinyMp4(): Promise<Buffer> {
  rendered ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "openv-tiny-mp4-"));
    try {
      const file = path.join(dir, "tiny.mp4");
      await promisify(execFile)(resolveFfmpegPath(), [
        ...["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=30"],
        ...["-frames:v", "7", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-y", file],
      ]);
      return await readFile(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return rendered;
}
