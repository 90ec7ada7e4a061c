import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveFfmpegPath } from "../src/adapters/provider/local.js";
import { isOpenVError, type OpenVError } from "../src/core/errors.js";
import { checkUploadImage, inspectMedia } from "../src/core/media.js";

// Real files, made by ffmpeg at the start: PNG, JPEG, WebP, MP4, GIF and an animated WebP.
let dir: string;
const files: Record<string, Uint8Array> = {};

async function ffmpeg(output: string, ...args: string[]): Promise<void> {
  await promisify(execFile)(resolveFfmpegPath(), ["-hide_banner", "-loglevel", "error", "-y", ...args, output]);
}

/** Writes `bytes` under a misleading name and reads them back, as an upload handler would get them. */
async function named(fileName: string, bytes: Uint8Array): Promise<Uint8Array> {
  await writeFile(path.join(dir, fileName), bytes);
  return new Uint8Array(await readFile(path.join(dir, fileName)));
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "openv-media-"));
  const still = (size: string) => ["-f", "lavfi", "-i", `testsrc=size=${size}:rate=1`, "-frames:v", "1"];
  const made: [string, string[]][] = [
    ["image.png", still("320x240")],
    ["image.jpg", [...still("200x100"), "-c:v", "mjpeg", "-pix_fmt", "yuvj420p"]],
    ["image.webp", [...still("128x96"), "-c:v", "libwebp"]],
    // This ffmpeg's colour source cannot start at 1×1: scale a 2×2 one down.
    ["tiny.png", ["-f", "lavfi", "-i", "color=c=red:size=2x2", "-frames:v", "1", "-vf", "scale=1:1"]],
    ["wide.png", still("9000x64")],
    ["image.gif", still("64x64")],
    [
      "animated.webp",
      ["-f", "lavfi", "-i", "testsrc=size=96x96:rate=5", "-frames:v", "3", "-c:v", "libwebp", "-loop", "0"],
    ],
    [
      "video.mp4",
      ["-f", "lavfi", "-i", "testsrc=size=128x128:rate=10", "-frames:v", "5", "-c:v", "libx264", "-pix_fmt", "yuv420p"],
    ],
  ];
  await Promise.all(made.map(([name, args]) => ffmpeg(path.join(dir, name), ...args)));
  for (const [name] of made) files[name] = new Uint8Array(await readFile(path.join(dir, name)));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = (name: string): Uint8Array => {
  const bytes = files[name];
  if (!bytes) throw new Error(`no test file ${name}`);
  return bytes;
};

/** The `OpenVError` that `checkUploadImage` throws for `bytes`. */
async function refusal(bytes: Uint8Array, limits?: Parameters<typeof checkUploadImage>[1]): Promise<OpenVError> {
  try {
    await checkUploadImage(bytes, limits);
  } catch (error) {
    if (isOpenVError(error)) return error;
    throw error;
  }
  throw new Error("checkUploadImage accepted the file");
}

const acceptedSentence =
  /Upload a PNG, JPEG or WebP image of at most 10 MiB with each side 64–8192 pixels and at most 40,000,000 pixels in all\./;

describe("inspectMedia reads the type from the bytes, never the name", () => {
  it("classifies a PNG named .mp4 as image/png with its dimensions", async () => {
    const bytes = await named("holiday.mp4", file("image.png"));
    expect(await inspectMedia(bytes)).toEqual({ kind: "image", contentType: "image/png", width: 320, height: 240 });
  });

  it("classifies an MP4 named .png as video/mp4", async () => {
    const bytes = await named("avatar.png", file("video.mp4"));
    expect(await inspectMedia(bytes)).toEqual({ kind: "video", contentType: "video/mp4" });
  });

  it("reads JPEG and WebP dimensions", async () => {
    expect(await inspectMedia(file("image.jpg"))).toEqual({
      kind: "image",
      contentType: "image/jpeg",
      width: 200,
      height: 100,
    });
    expect(await inspectMedia(file("image.webp"))).toEqual({
      kind: "image",
      contentType: "image/webp",
      width: 128,
      height: 96,
    });
  });

  it("reports other formats as unknown with what they are, and unrecognised bytes as unknown", async () => {
    expect(await inspectMedia(file("image.gif"))).toEqual({ kind: "unknown", detected: "image/gif" });
    expect(await inspectMedia(new TextEncoder().encode("%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n"))).toEqual({
      kind: "unknown",
      detected: "application/pdf",
    });
    expect(await inspectMedia(new Uint8Array(0))).toEqual({ kind: "unknown" });
  });

  it("reports a PNG whose header is cut short as unknown, with the problem", async () => {
    // A view into the whole file: the bytes after the cut are in the same buffer, and must not be read.
    const media = await inspectMedia(file("image.png").subarray(0, 20));
    expect(media).toMatchObject({ kind: "unknown", detected: "image/png" });
    expect(media.kind === "unknown" && media.problem).toMatch(/truncated or corrupt/);
  });
});

describe("checkUploadImage accepts PNG, JPEG and WebP within the limits", () => {
  it("accepts JPEG, WebP and PNG (whatever the name) and returns type and dimensions", async () => {
    expect(await checkUploadImage(file("image.jpg"))).toEqual({
      kind: "image",
      contentType: "image/jpeg",
      width: 200,
      height: 100,
    });
    expect(await checkUploadImage(file("image.webp"))).toEqual({
      kind: "image",
      contentType: "image/webp",
      width: 128,
      height: 96,
    });
    expect(await checkUploadImage(await named("not-a-video.mp4", file("image.png")))).toMatchObject({
      contentType: "image/png",
      width: 320,
      height: 240,
    });
  });

  it("refuses an MP4 named .png with unsupported_media_type (415), saying what it is and what is accepted", async () => {
    const error = await refusal(await named("avatar.png", file("video.mp4")));
    expect(error.code).toBe("unsupported_media_type");
    expect(error.status).toBe(415);
    expect(error.message).toMatch(/^The file is an MP4 video \(video\/mp4\), not an image/);
    expect(error.message).toMatch(acceptedSentence);
    expect(error.details).toMatchObject({ detected: "video/mp4", accepted: ["image/png", "image/jpeg", "image/webp"] });
  });

  it("refuses a GIF, an animated WebP, a PDF, an SVG and random bytes as unsupported", async () => {
    const svg = new TextEncoder().encode(
      '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100"/></svg>',
    );
    const pdf = new TextEncoder().encode("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n");
    let seed = 7;
    const random = Uint8Array.from({ length: 4096 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed >> 16;
    });
    const cases: [Uint8Array, string | null, RegExp][] = [
      [file("image.gif"), "image/gif", /a GIF image/],
      [file("animated.webp"), "image/webp", /an animated WebP/],
      [pdf, "application/pdf", /a PDF document/],
      [svg, null, /could not be recognised/],
      [random, null, /could not be recognised/],
    ];
    for (const [bytes, detected, message] of cases) {
      const error = await refusal(bytes);
      expect(error.code).toBe("unsupported_media_type");
      expect(error.details?.detected).toBe(detected);
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(acceptedSentence);
    }
  });

  it("refuses 10 MiB + 1 byte with payload_too_large before looking inside; exactly 10 MiB passes", async () => {
    const limit = 10 * 1024 * 1024;
    // A valid PNG padded past its end: only the size can be the reason.
    const padded = new Uint8Array(limit + 1);
    padded.set(file("image.png"));
    const error = await refusal(padded);
    expect(error.code).toBe("payload_too_large");
    expect(error.status).toBe(413);
    expect(error.details).toEqual({ limitBytes: limit, bytes: limit + 1 });
    expect(error.message).toMatch(/^The image is 10 MiB, over the 10 MiB limit\./);
    expect(error.message).toMatch(acceptedSentence);
    // Bytes that are not an image at all get the same answer: nothing was decoded.
    expect((await refusal(new Uint8Array(limit + 1).fill(0x42))).code).toBe("payload_too_large");

    expect(await checkUploadImage(padded.subarray(0, limit))).toMatchObject({ contentType: "image/png" });
    expect((await refusal(file("image.png"), { maxBytes: 1000 })).code).toBe("payload_too_large");
  });

  it("refuses a 1×1 image and a side over 8192 with validation_failed naming each side", async () => {
    const tiny = await refusal(file("tiny.png"));
    expect(tiny.code).toBe("validation_failed");
    expect(tiny.status).toBe(400);
    expect(tiny.message).toMatch(
      /^The image is 1×1 pixels \(width 1 is under 64 pixels; height 1 is under 64 pixels\)\./,
    );
    expect(tiny.message).toMatch(/Resize it: upload a PNG, JPEG or WebP image/);
    expect(tiny.details?.issues).toEqual([
      { path: ["width"], message: "width 1 is under 64 pixels", code: "too_small" },
      { path: ["height"], message: "height 1 is under 64 pixels", code: "too_small" },
    ]);

    const wide = await refusal(file("wide.png"));
    expect(wide.code).toBe("validation_failed");
    expect(wide.details?.issues).toEqual([
      { path: ["width"], message: "width 9000 is over 8192 pixels", code: "too_big" },
    ]);
    expect(await checkUploadImage(file("wide.png"), { maxSide: 9000 })).toMatchObject({ width: 9000, height: 64 });
  });

  it("applies custom side and pixel limits", async () => {
    const error = await refusal(file("image.png"), { maxPixels: 50_000 });
    expect(error.code).toBe("validation_failed");
    expect(error.details?.issues).toEqual([{ path: [], message: "76,800 pixels is over 50,000", code: "too_big" }]);
    expect(error.message).toMatch(/and at most 50,000 pixels in all\./);
    expect((await refusal(file("image.jpg"), { minSide: 150 })).details?.issues).toEqual([
      { path: ["height"], message: "height 100 is under 150 pixels", code: "too_small" },
    ]);
  });

  it("refuses a truncated or corrupt header, and an image cut off mid-file, with validation_failed", async () => {
    const header = await refusal(file("image.png").subarray(0, 20));
    expect(header.code).toBe("validation_failed");
    expect(header.message).toMatch(/^The file is a PNG image, but its header is truncated or corrupt/);
    expect(header.message).toMatch(acceptedSentence);
    expect(header.details?.issues).toMatchObject([{ code: "unreadable_image" }]);

    // A JPEG cut before its frame header: recognisably a JPEG, but no dimensions to read.
    const jpegHeader = await refusal(file("image.jpg").subarray(0, 40));
    expect(jpegHeader.message).toMatch(/^The file is a JPEG image, but its header is truncated or corrupt/);
    expect(jpegHeader.details?.issues).toMatchObject([{ code: "unreadable_image" }]);

    // A PNG whose first chunk is not IHDR is not recognised as a PNG at all.
    const corrupt = Uint8Array.from(file("image.png"));
    corrupt.set(new TextEncoder().encode("XXXX"), 12);
    const unrecognised = await refusal(corrupt);
    expect(unrecognised.code).toBe("unsupported_media_type");
    expect(unrecognised.message).toMatch(acceptedSentence);

    for (const name of ["image.png", "image.jpg", "image.webp"]) {
      const whole = file(name);
      const cut = await refusal(whole.subarray(0, Math.floor(whole.length * 0.6)));
      expect(cut.code).toBe("validation_failed");
      expect(cut.message).toMatch(/ends early.*upload the complete file/);
      expect(cut.details?.issues).toMatchObject([{ code: "truncated_image" }]);
    }
  });

  it("refuses an empty upload", async () => {
    const error = await refusal(new Uint8Array(0));
    expect(error.code).toBe("validation_failed");
    expect(error.message).toMatch(/^The upload is empty \(0 bytes\)\./);
  });
});
