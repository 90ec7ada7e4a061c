import { AbortError } from "../errors.js";

/** The error an aborted operation rejects with: the signal's reason when it is already ours. */
export function abortErrorFrom(signal: AbortSignal | undefined): AbortError {
  const reason: unknown = signal?.reason;
  if (reason instanceof AbortError) return reason;
  return new AbortError({ code: "aborted", message: "The operation was aborted.", cause: reason });
}

/**
 * A signal that aborts when any of `signals` does. `dispose()` detaches it from them, so a
 * long-lived signal (a watcher's) does not collect one listener per request.
 * (`AbortSignal.any` would do, but it is missing from the browsers and Node versions we support.)
 */
export function linkSignals(...signals: (AbortSignal | undefined)[]): {
  signal: AbortSignal;
  abort: (reason?: unknown) => void;
  dispose: () => void;
} {
  const controller = new AbortController();
  const detach: (() => void)[] = [];
  const dispose = () => {
    for (const remove of detach.splice(0)) remove();
  };
  const abort = (reason?: unknown) => {
    dispose();
    controller.abort(reason);
  };
  for (const signal of signals) {
    if (!signal) continue;
    if (signal.aborted) {
      abort(signal.reason);
      break;
    }
    const onAbort = () => abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    detach.push(() => signal.removeEventListener("abort", onAbort));
  }
  return { signal: controller.signal, abort, dispose };
}

/**
 * Waits `ms` (`Infinity`: until woken), or less when the function handed to `onWake` is called.
 * Rejects with an AbortError the moment `signal` aborts, and leaves no timer behind either way.
 */
export function sleep(ms: number, signal?: AbortSignal, onWake?: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortErrorFrom(signal));
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      done();
      reject(abortErrorFrom(signal));
    };
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
          done();
          resolve();
        }, ms)
      : undefined;
    signal?.addEventListener("abort", onAbort, { once: true });
    onWake?.(() => {
      done();
      resolve();
    });
  });
}
