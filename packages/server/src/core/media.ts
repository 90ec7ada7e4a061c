import { fileTypeFromBuffer } from "file-type";
import { imageSize } from "image-size";
import { OpenVError } from "./errors.js";

// What an uploaded file is, read from its bytes alone: the magic bytes (file-type) and the image
// header (image-size). The file name and the client's Content-Type are never trusted.

/** The image types an upload may be. */
export type ImageContentType = "image/png" | "image/jpeg" | "image/webp";

/** The image types an upload may be, in the order messages name them. */
export const acceptedImageTypes: readonly ImageContentType[] = ["image/png", "image/jpeg", "image/webp"];

/** A PNG, JPEG or WebP whose dimensions could be read. */
export interface ImageInspection {
  /** Always `"image"`. */
  kind: "image";
  /** The type the bytes are, whatever the file was called. */
  contentType: ImageContentType;
  /** Width in pixels, as stored (JPEG EXIF orientation is not applied). */
  width: number;
  /** Height in pixels, as stored (JPEG EXIF orientation is not applied). */
  height: number;
}

/** An MP4 video. */
export interface VideoInspection {
  /** Always `"video"`. */
  kind: "video";
  /** Always `"video/mp4"`. */
  contentType: "video/mp4";
}

/** Anything else: an unrecognised type, another format, or a PNG/JPEG/WebP whose header cannot be read. */
export interface UnknownInspection {
  /** Always `"unknown"`. */
  kind: "unknown";
  /** The media type the magic bytes show (e.g. `"application/pdf"`, `"image/gif"`); absent when unrecognised. */
  detected?: string;
  /** Why a recognised PNG, JPEG or WebP is not usable, e.g. that its header is truncated; else absent. */
  problem?: string;
}

/** What a file is, from its content: see {@link inspectMedia}. */
export type MediaInspection = ImageInspection | VideoInspection | UnknownInspection;

const imageSizeTypes: Record<ImageContentType, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
};

function isAcceptedImageType(mime: string): mime is ImageContentType {
  return (acceptedImageTypes as readonly string[]).includes(mime);
}

/**
 * What `bytes` are, from their content alone (magic bytes, then the image header for dimensions):
 * a PNG, JPEG or WebP image with its size, an MP4 video, or unknown. The file name and the
 * client's content type play no part.
 * @example
 * ```ts
 * const media = await inspectMedia(bytes);
 * if (media.kind === "image") console.log(media.contentType, media.width, media.height);
 * ```
 */
export async function inspectMedia(bytes: Uint8Array): Promise<MediaInspection> {
  const type = bytes.length === 0 ? undefined : await fileTypeFromBuffer(bytes);
  if (!type) return { kind: "unknown" };
  if (type.mime === "video/mp4") return { kind: "video", contentType: "video/mp4" };
  if (!isAcceptedImageType(type.mime)) return { kind: "unknown", detected: type.mime };
  const problem = `its header is truncated or corrupt, so its dimensions cannot be read`;
  let size: { width?: number; height?: number; type?: string };
  try {
    // image-size reads through `bytes.buffer` past the view's end, so a view into a larger buffer (a
    // pooled Buffer, a subarray) could lend a cut-off header the bytes that follow it: give it a copy.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    size = imageSize(whole ? bytes : bytes.slice());
  } catch {
    return { kind: "unknown", detected: type.mime, problem };
  }
  const { width, height } = size;
  if (
    size.type !== imageSizeTypes[type.mime] ||
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width === undefined ||
    height === undefined
  ) {
    return { kind: "unknown", detected: type.mime, problem };
  }
  return { kind: "image", contentType: type.mime, width, height };
}

/** Limits of an uploaded image; see {@link checkUploadImage}. */
export interface UploadImageLimits {
  /** Largest file in bytes (413 `payload_too_large` above it). Default: 10 MiB (10485760). */
  maxBytes?: number;
  /** Shortest side in pixels. Default: 64. */
  minSide?: number;
  /** Longest side in pixels. Default: 8192. */
  maxSide?: number;
  /**
   * Most pixels (width × height), against decompression bombs: a small file that declares, or
   * inflates to, a huge image the provider's decoder would have to allocate. Default: 40,000,000
   * (a 36-megapixel camera photo fits; an 8000×8000 bomb does not).
   */
  maxPixels?: number;
}

/**
 * The most pixels one byte of an accepted file may stand for. Deflate (PNG) and WebP cannot pack
 * more than about 1,000 bytes of raw data into one, and a 1-bit PNG holds 8 pixels a byte, so a real
 * image stays under ~8,000; a header that declares millions of pixels over a few dozen bytes lies.
 */
const maxPixelsPerByte = 20_000;

/** The limits {@link checkUploadImage} applies when given none. */
export const defaultUploadImageLimits = {
  /** 10 MiB. */
  maxBytes: 10 * 1024 * 1024,
  /** 64 pixels. */
  minSide: 64,
  /** 8192 pixels. */
  maxSide: 8192,
  /** 40 megapixels. */
  maxPixels: 40_000_000,
} as const;

const typeNames: Record<string, string> = {
  "image/png": "a PNG image",
  "image/jpeg": "a JPEG image",
  "image/webp": "a WebP image",
  "image/gif": "a GIF image",
  "image/apng": "an animated PNG",
  "image/avif": "an AVIF image",
  "image/heic": "a HEIC image",
  "image/heif": "a HEIF image",
  "image/bmp": "a BMP image",
  "image/tiff": "a TIFF image",
  "image/svg+xml": "an SVG image",
  "video/mp4": "an MP4 video",
  "video/quicktime": "a QuickTime video",
  "video/webm": "a WebM video",
  "application/pdf": "a PDF document",
  "application/zip": "a ZIP archive",
};

/** `1.5 MiB`, `64 KiB`, `512 bytes`. */
function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(2))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(2))} KiB`;
  return `${bytes} bytes`;
}

/**
 * Checks that `bytes` are an image OpenV accepts as the input of an image-to-video job and returns
 * what it is. The size is checked first, before anything is decoded. Throws `OpenVError`:
 * `payload_too_large` (413) above `maxBytes`; `unsupported_media_type` (415) for anything but a
 * still PNG, JPEG or WebP (an MP4, a GIF, an SVG, a PDF, unrecognised bytes), whatever the file is
 * called; `validation_failed` (400, `details.issues`) for an empty file, a header that cannot be
 * read, a file that ends early, or sides or a pixel count outside the limits. Every message says
 * what is accepted.
 * @example
 * ```ts
 * const image = await checkUploadImage(bytes, { maxBytes: 5 * 1024 * 1024 });
 * await storage.putBytes(key, bytes, image.contentType);
 * ```
 */
export async function checkUploadImage(bytes: Uint8Array, limits: UploadImageLimits = {}): Promise<ImageInspection> {
  const maxBytes = limits.maxBytes ?? defaultUploadImageLimits.maxBytes;
  const minSide = limits.minSide ?? defaultUploadImageLimits.minSide;
  const maxSide = limits.maxSide ?? defaultUploadImageLimits.maxSide;
  const maxPixels = limits.maxPixels ?? defaultUploadImageLimits.maxPixels;
  const accepted = `Upload a PNG, JPEG or WebP image of at most ${formatBytes(maxBytes)} with each side ${minSide}–${maxSide} pixels and at most ${maxPixels.toLocaleString("en-US")} pixels in all.`;

  if (bytes.length > maxBytes) {
    throw new OpenVError({
      code: "payload_too_large",
      message: `The image is ${formatBytes(bytes.length)}, over the ${formatBytes(maxBytes)} limit. ${accepted}`,
      details: { limitBytes: maxBytes, bytes: bytes.length },
    });
  }
  if (bytes.length === 0) throw invalid("The upload is empty (0 bytes).", accepted, [], "empty_file");

  const media = await inspectMedia(bytes);
  if (media.kind !== "image") {
    const detected = media.kind === "video" ? media.contentType : media.detected;
    if (media.kind === "unknown" && media.problem && detected) {
      throw invalid(
        `The file is ${typeNames[detected] ?? detected}, but ${media.problem}; re-save or re-export it.`,
        accepted,
        [],
        "unreadable_image",
      );
    }
    const what = detected
      ? `${typeNames[detected] ?? "a file"} (${detected})`
      : "of a type that could not be recognised";
    throw unsupported(`The file is ${what}, not an image OpenV accepts, whatever its name says.`, accepted, detected);
  }
  const name = typeNames[media.contentType] ?? media.contentType;
  if (isAnimatedWebP(bytes)) {
    throw unsupported(`The file is an animated WebP; only still images can be animated.`, accepted, "image/webp");
  }
  if (!isComplete(bytes, media.contentType)) {
    throw invalid(
      `The file is ${name}, but it ends early: the upload may have been cut off or the file is damaged; upload the complete file.`,
      accepted,
      [],
      "truncated_image",
    );
  }

  const { width, height } = media;
  const sides = `The image is ${width}×${height} pixels`;
  const issues: { path: string[]; message: string; code: string }[] = [];
  for (const [side, value] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (value < minSide)
      issues.push({ path: [side], message: `${side} ${value} is under ${minSide} pixels`, code: "too_small" });
    if (value > maxSide)
      issues.push({ path: [side], message: `${side} ${value} is over ${maxSide} pixels`, code: "too_big" });
  }
  if (width * height > maxPixels) {
    issues.push({
      path: [],
      message: `${(width * height).toLocaleString("en-US")} pixels is over ${maxPixels.toLocaleString("en-US")}`,
      code: "too_big",
    });
  } else if (width * height > bytes.length * maxPixelsPerByte) {
    issues.push({
      path: [],
      message: `${(width * height).toLocaleString("en-US")} pixels cannot fit in ${formatBytes(bytes.length)} (the header's size is not the image's)`,
      code: "implausible_size",
    });
  }
  if (issues.length > 0) {
    throw new OpenVError({
      code: "validation_failed",
      message: `${sides} (${issues.map((issue) => issue.message).join("; ")}). Resize it: ${accepted.charAt(0).toLowerCase()}${accepted.slice(1)}`,
      details: { issues, width, height, minSide, maxSide, maxPixels },
    });
  }
  return media;
}

function invalid(message: string, accepted: string, path: string[], code: string): OpenVError {
  return new OpenVError({
    code: "validation_failed",
    message: `${message} ${accepted}`,
    details: { issues: [{ path, message, code }] },
  });
}

function unsupported(message: string, accepted: string, detected: string | undefined): OpenVError {
  return new OpenVError({
    code: "unsupported_media_type",
    message: `${message} ${accepted}`,
    details: {
      detected: detected ?? null,
      accepted: [...acceptedImageTypes],
      issues: [{ path: [], message, code: "unsupported_media_type" }],
    },
  });
}

const ascii = (bytes: Uint8Array, start: number, length: number) =>
  String.fromCharCode(...bytes.subarray(start, start + length));

/** A WebP whose extended header (VP8X) sets the animation flag. */
function isAnimatedWebP(bytes: Uint8Array): boolean {
  return ascii(bytes, 8, 4) === "WEBP" && ascii(bytes, 12, 4) === "VP8X" && ((bytes[20] ?? 0) & 0x02) !== 0;
}

/**
 * Whether the file reaches its end marker: a PNG's IEND chunk, the length a WebP's RIFF header
 * declares, a JPEG's EOI marker after its first scan. A cut-off upload has a readable header but
 * fails here. Bytes after the end (some cameras append data) are allowed.
 */
function isComplete(bytes: Uint8Array, contentType: ImageContentType): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (contentType === "image/webp") return bytes.length >= 8 && view.getUint32(4, true) + 8 <= bytes.length;
  if (contentType === "image/png") {
    for (let offset = 8; offset + 8 <= bytes.length; ) {
      const length = view.getUint32(offset);
      if (ascii(bytes, offset + 4, 4) === "IEND") return true;
      offset += 12 + length;
    }
    return false;
  }
  // JPEG: walk the header segments (each states its length, so an EXIF thumbnail's own markers are
  // skipped) to the first start-of-scan, then look for end-of-image. In the scan data a 0xFF byte is
  // always followed by 0x00 or a restart marker, so 0xFF 0xD9 there can only be the end.
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return false;
    const marker = bytes[offset + 1] ?? 0;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0xd9) return true;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // a marker without a length
      continue;
    }
    const length = view.getUint16(offset + 2);
    offset += 2 + length;
    if (marker === 0xda) {
      for (let scan = offset; scan + 1 < bytes.length; scan++) {
        if (bytes[scan] === 0xff && bytes[scan + 1] === 0xd9) return true;
      }
      return false;
    }
  }
  return false;
}
