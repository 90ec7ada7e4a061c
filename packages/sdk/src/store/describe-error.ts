import {
  InsufficientCreditsError,
  MethodNotAllowedError,
  NetworkError,
  type OpenVClientError,
  QuotaExceededError,
  RateLimitedError,
  TermsRequiredError,
  TimeoutError,
} from "../errors.js";
import { formatCredits, formatSeconds } from "./format.js";

/** The origin of `url` when it differs from the page's (a cross-origin API); null otherwise or off the browser. */
function otherOrigin(url: string | null): { api: string; page: string } | null {
  if (url === null || typeof location === "undefined") return null;
  try {
    const api = new URL(url, location.href).origin;
    return api === location.origin ? null : { api, page: location.origin };
  } catch {
    return null;
  }
}

/** What a person reads when no answer came: offline, a cross-origin setup to fix, or a server that is down. */
function networkMessage(error: NetworkError): string {
  if (typeof navigator !== "undefined" && navigator.onLine === false) {
    return "You're offline. Check your connection; this page catches up by itself once you're back online.";
  }
  const origins = otherOrigin(error.url);
  if (origins) {
    return (
      `The server at ${origins.api} did not answer this page. If it is running, it does not allow requests from ` +
      `${origins.page} yet: add "${origins.page}" to the server's allowedOrigins option.`
    );
  }
  return "The server can't be reached right now. Check your connection; this page keeps trying by itself.";
}

/**
 * The sentence a person reads for an SDK error, for any UI binding: the contract's numbers where
 * there are some; for no answer, whether the browser is offline or a cross-origin server must list
 * the page in `allowedOrigins`.
 */
export function describeError(error: OpenVClientError): string {
  if (error instanceof NetworkError) return networkMessage(error);
  if (error instanceof TimeoutError) return "The server took too long to answer. Try again in a moment.";
  if (error instanceof MethodNotAllowedError) {
    return "This app and the server disagree about the API (405 method not allowed): update @openv/sdk or the server so their versions match.";
  }
  if (error instanceof QuotaExceededError && Number.isFinite(error.remainingSeconds)) {
    return (
      `Not enough video time left: this video needs ${formatSeconds(error.requestedSeconds)}, ` +
      `and ${formatSeconds(error.remainingSeconds)} of your ${formatSeconds(error.limitSeconds)} remain this period.`
    );
  }
  if (error instanceof InsufficientCreditsError && Number.isFinite(error.price) && Number.isFinite(error.balance)) {
    return (
      `Not enough credits: this video costs ${formatCredits(error.price)} and you have ${error.balance}. ` +
      "Add credits or choose a cheaper model."
    );
  }
  if (error instanceof TermsRequiredError) {
    return `Please accept the terms of use${error.version ? ` (version ${error.version})` : ""} before generating videos.`;
  }
  if (error instanceof RateLimitedError && error.retryAfterSeconds !== null) {
    return `Too many requests. Try again in ${Math.ceil(error.retryAfterSeconds)} s.`;
  }
  return error.message;
}
