import type { RunPodJob, WorkerInput } from "@openv/protocol/worker";

// The services that render videos and rewrite prompts.

/** The input image of an image-to-video job, as the provider adapter may need it. */
export interface ProviderImage {
  /** The image's media type: `image/png`, `image/jpeg` or `image/webp`. */
  contentType: string;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /**
   * Where the storage serves it (a signed URL for private storage). It may be unreachable from the
   * provider (local files on 127.0.0.1): adapters that need the image itself use `read()`.
   */
  url: string;
  /** The image's bytes, for adapters that send it inline (a data URI). */
  read(): Promise<Uint8Array>;
}

/** One submission of a video to a provider. `attempt` is the video's retry count at submission. */
export interface ProviderSubmission {
  /** The video being rendered. */
  videoId: string;
  /** The video's retry count when submitted; 0 for the first attempt. */
  attempt: number;
  /** What the worker renders. */
  input: WorkerInput;
  /** Where the provider should report the job's progress and result. */
  webhookUrl: string;
  /**
   * The storage key this attempt's MP4 must be stored under, chosen by the server before submission
   * (a worker writing to our storage uses it; a provider that returns its own URL is copied there).
   * A completion pointing at any other key of our storage is refused.
   */
  outputKey: string;
  /** The provider's name for the model (the catalog's `providerModel`, else its id). */
  model: string;
  /** The video's length in seconds (`num_frames / fps` of the model). */
  durationSeconds: number;
  /** Frames per second of the model. */
  fps: number;
  /** The input image of an image-to-video request; else null. */
  image: ProviderImage | null;
}

/** The raw request of a provider's callback, for adapters that read and verify their own webhook format. */
export interface ProviderWebhookRequest {
  /** The body exactly as received (null when there is none). */
  body: Uint8Array | null;
  /** The request headers, keys lower-cased. */
  headers: Record<string, string | string[] | undefined>;
  /**
   * The provider job id the video's current attempt is waiting on, or null when none is recorded
   * yet (the callback came before the submission's answer was stored). Readers of callback formats
   * that do not carry the whole job id (fal.ai's request id without its app, a workflow's callback)
   * answer it as the update's `id`; the lifecycle ignores an update whose `id` is another job's.
   */
  jobId?: string | null;
}

/** The service that renders videos (RunPod, or the local preview). */
export interface Provider {
  /** A human-readable name for logs. */
  readonly name: string;
  /** Starts a job; throws when the provider refuses or cannot be reached. */
  submit(submission: ProviderSubmission): Promise<{
    /** The provider's id for the new job. */
    jobId: string;
  }>;
  /** The job as the provider sees it now, or null when the provider no longer knows it. */
  status(jobId: string): Promise<RunPodJob | null>;
  /** Cancels an unfinished job; a finished or unknown job is not an error. */
  cancel(jobId: string): Promise<void>;
  /**
   * Reads the provider's own callback format (fal.ai's webhook, a workflow's signed callback) into
   * the lifecycle's job update, after verifying any signature it carries. Absent: the callback body
   * is a RunPod job object. Throws `OpenVError` `unauthorized` (bad signature) or
   * `validation_failed` (not an update).
   */
  readWebhook?(request: ProviderWebhookRequest): Promise<RunPodJob>;
  /** Releases the provider's resources (timers, connections). */
  close?(): Promise<void>;
}

/** Rewrites a user's prompt into a richer one before it is rendered (optional step). */
export interface PromptEnhancer {
  /** A human-readable name for logs, e.g. `template` or `OpenAI gpt-4o-mini`. */
  readonly name: string;
  /**
   * The enhanced prompt. Throws when the enhancer cannot answer; the core then renders the
   * original prompt and logs why.
   */
  enhance(request: {
    /** What the user typed. */
    prompt: string;
    /** The catalog model it will render on. */
    model: string;
    /** Whether an input image animates (image-to-video). */
    hasImage: boolean;
  }): Promise<string>;
}
