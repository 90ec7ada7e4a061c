import { z } from "zod";
import { OpenVError } from "../core/errors.js";
import type { Storage, Store } from "../core/ports.js";
import { WorkerUploads, workerUploadPath } from "../core/worker-upload.js";
import type { Route } from "./routes.js";

const ParamsSchema = z.object({
  video: z.string().min(1).max(200),
  attempt: z.coerce.number().int().min(0).max(1000),
});
const QuerySchema = z.object({
  expires: z.coerce.number().int().positive(),
  max: z.coerce.number().int().positive(),
  token: z.string().min(1).max(200),
});

/**
 * `PUT /worker-uploads/:video/:attempt?expires&max&token` — public; the signed query is the
 * capability (see `WorkerUploads`). Answers `{url, key}`: the stored file, which the worker returns
 * as its output and the completion then adopts at that key.
 */
export function workerUploadRoute(
  uploads: WorkerUploads,
  deps: { store: Pick<Store, "getVideoById">; storage: Storage },
): Route {
  return {
    method: "PUT",
    path: workerUploadPath,
    auth: false,
    maxBodyBytes: uploads.maxBytes,
    handle: async (context) => {
      const params = ParamsSchema.safeParse(context.params);
      const query = QuerySchema.safeParse(context.query());
      if (!params.success || !query.success) {
        throw new OpenVError({ code: "unauthorized", message: "The upload URL is not valid." });
      }
      const stored = await uploads.accept(
        deps,
        params.data.video,
        params.data.attempt,
        query.data,
        context.request.body,
      );
      return { status: 201, json: { url: stored.url, key: stored.key } };
    },
  };
}

/**
 * The upload URLs of a server whose RunPod worker delivers through them (`runpod.delivery`, default
 * `"upload-url"` unless the server stores on UploadThing), else null. The URLs' origin is the
 * configured public URL, never a request header.
 */
export function workerUploadsFor(
  options: { runpod?: { delivery?: "upload-url" | "worker" | undefined } | undefined; uploadthing?: unknown },
  settings: { secret: string; publicUrl: () => string; prefix: string },
): WorkerUploads | null {
  if (!options.runpod) return null;
  const delivery = options.runpod.delivery ?? (options.uploadthing ? "worker" : "upload-url");
  return delivery === "upload-url" ? new WorkerUploads(settings) : null;
}
