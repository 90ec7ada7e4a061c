import { randomBytes } from "node:crypto";
import type { UploadResponse } from "@openv/protocol";
import type { Access } from "./access.js";
import type { LifecycleContext } from "./context.js";
import { OpenVError } from "./errors.js";
import { checkUploadImage } from "./media.js";
import type { UploadRecord } from "./ports.js";
import { toUpload } from "./video-shape.js";

/** The file extension a stored upload gets, from its detected type. */
function extensionOf(contentType: string): string {
  return contentType === "image/jpeg" ? "jpg" : contentType === "image/webp" ? "webp" : "png";
}

/** Uploads: the input images of image-to-video requests, stored and looked up (never fetched). */
export class Uploads {
  readonly #ctx: LifecycleContext;
  readonly #access: Access;

  constructor(ctx: LifecycleContext, access: Access) {
    this.#ctx = ctx;
    this.#access = access;
  }

  /**
   * Stores an input image for image-to-video requests. The kind and size come from the bytes
   * (magic numbers and the image header), never from a file name or a content type.
   *
   * @throws `OpenVError` `access_restricted` for a restricted user of an invite-only server;
   * `validation_failed` or `payload_too_large` for anything but a PNG, JPEG or
   * WebP image of at most 10 MB with sides the checks accept.
   */
  async createUpload(userId: string, bytes: Uint8Array): Promise<UploadResponse> {
    const { store, storage, logger } = this.#ctx.deps;
    await this.#access.assertAdmitted(userId); // Invite-only access (access21)
    const image = await checkUploadImage(bytes);
    const id = `upl_${randomBytes(12).toString("base64url")}`;
    const stored = await storage.putBytes(`${id}.${extensionOf(image.contentType)}`, bytes, image.contentType);
    const record: UploadRecord = {
      id,
      userId,
      key: stored.key,
      url: stored.url,
      contentType: image.contentType,
      bytes: bytes.byteLength,
      width: image.width,
      height: image.height,
      createdAt: new Date(),
    };
    try {
      await store.insertUpload(record);
    } catch (error) {
      await this.#ctx.deleteFiles([stored.key]);
      throw error;
    }
    logger.info({ userId, uploadId: id, contentType: image.contentType, bytes: record.bytes }, "image uploaded");
    return { upload: toUpload(record, await this.#ctx.fileUrl(record.key, record.url)) };
  }

  /**
   * The user's upload that `reference` names: an upload id, or a URL our storage gave for one. It
   * is looked up, never fetched, so a client-supplied URL cannot make the server call anywhere.
   */
  async findImage(userId: string, reference: string): Promise<UploadRecord> {
    const { store, storage } = this.#ctx.deps;
    let upload: UploadRecord | null = null;
    if (/^upl_[A-Za-z0-9_-]{1,100}$/.test(reference)) {
      upload = await store.getUpload(userId, reference);
    } else {
      const key = storage.keyForUrl(reference);
      if (key !== null) upload = await store.findUploadByKey(userId, key);
    }
    if (!upload) {
      throw new OpenVError({
        code: "validation_failed",
        message:
          "The image is not one of your uploads. Upload it with POST /api/uploads and pass the upload's id; this server never downloads images from other URLs.",
        details: {
          issues: [{ path: ["image"], code: "unknown_image", message: "not an upload of yours on this server" }],
        },
      });
    }
    return upload;
  }
}
