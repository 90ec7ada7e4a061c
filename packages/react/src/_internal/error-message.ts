import {
  InsufficientCreditsError,
  type OpenVClientError,
  QuotaExceededError,
  RateLimitedError,
  TermsRequiredError,
} from "@openv/sdk";
import { formatCredits, formatSeconds } from "./format.js";

/** The sentence a person reads for an SDK error: the contract's numbers where there are some. */
export function errorMessage(error: OpenVClientError): string {
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
