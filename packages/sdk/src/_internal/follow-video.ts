import { isTombstone, type Video } from "@openv/protocol";
import { AbortError, NotFoundError, type OpenVClientError, TimeoutError, VideoFailedError } from "../errors.js";
import { abortErrorFrom, linkSignals, sleep } from "./abort.js";
import { supersedes } from "./order.js";
import { readEventStream, videoEventData } from "./sse.js";

/** What following one video needs from the client. */
export interface FollowHost {
  get(id: string, signal: AbortSignal): Promise<Video>;
  openStream(signal: AbortSignal): Promise<ReadableStream<Uint8Array>>;
}

export interface FollowOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  onProgress?: ((video: Video) => void) | undefined;
  pollIntervalMs?: number | undefined;
}

const timedOut = Symbol("timeout");
const finished = Symbol("finished");

/**
 * Follows one video until it is terminal: the user's event stream (only this video's events are
 * read) with one `GET /videos/:id` to catch up after it opens, or, when the stream cannot be
 * opened or drops, `GET /videos/:id` every `pollIntervalMs`. Never lists the library.
 */
export function followVideo(host: FollowHost, first: Video, options: FollowOptions): Promise<Video> {
  const link = linkSignals(options.signal);
  const { signal } = link;
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => link.abort(timedOut), options.timeoutMs);
  let current = first;

  return new Promise<Video>((resolve, reject) => {
    const stop = (error: OpenVClientError | null, video?: Video) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      link.abort(finished);
      if (error) reject(error);
      else resolve(video as Video);
    };
    const onAbort = () => {
      if (signal.reason === finished) return;
      stop(
        signal.reason === timedOut
          ? new TimeoutError({
              code: "timeout",
              message: `Video ${first.id} did not finish within ${options.timeoutMs} ms.`,
            })
          : abortErrorFrom(options.signal),
      );
    };
    const see = (video: Video) => {
      if (signal.aborted || (video !== first && !supersedes(current, video))) return;
      current = video;
      try {
        options.onProgress?.(video);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
      if (video.status === "completed") stop(null, video);
      else if (video.status === "failed") stop(new VideoFailedError(video));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    see(first);
    // Finished already (the server held the answer for it): nothing to follow.
    if (signal.aborted) return;
    void (async () => {
      try {
        await streamVideo(host, first.id, signal, see);
      } catch (error) {
        // A deleted video, or a catch-up GET that says it does not exist, ends the wait.
        if (error instanceof NotFoundError) return stop(error);
      }
      try {
        for (;;) {
          if (signal.aborted) return;
          try {
            see(await host.get(first.id, signal));
          } catch (error) {
            if (error instanceof NotFoundError || error instanceof AbortError) return stop(error);
          }
          await sleep(options.pollIntervalMs ?? 1000, signal);
        }
      } catch {
        // Aborted: onAbort settled it.
      }
    })();
  });
}

/** Reads the event stream for one video's changes; returns when the stream ends. */
async function streamVideo(host: FollowHost, id: string, signal: AbortSignal, see: (video: Video) => void) {
  let body: ReadableStream<Uint8Array>;
  try {
    body = await host.openStream(signal);
  } catch {
    // No stream (no route, a proxy that buffers, a network error): polling takes over.
    return;
  }
  try {
    // Whatever changed between the submit and the stream opening.
    see(await host.get(id, signal));
  } catch (error) {
    void body.cancel().catch(() => {});
    throw error;
  }
  await readEventStream(body, signal, (message) => {
    const change = videoEventData(message);
    if (change?.id !== id) return;
    if (isTombstone(change))
      throw new NotFoundError({ code: "not_found", status: 404, message: `Video ${id} was deleted.` });
    see(change);
  });
}
