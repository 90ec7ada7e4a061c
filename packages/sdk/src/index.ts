export type {
  ClientOptions,
  CreditsOptions,
  GenerateOptions,
  GenerateResult,
  ListOptions,
  OpenVClient,
  PagePromise,
  RequestOptions,
  UploadImageInput,
  UploadImageOptions,
  VideoPage,
} from "./client.js";
export { createClient } from "./client.js";
export type { OpenVClientErrorOptions } from "./errors.js";
export {
  AbortError,
  ConflictError,
  ForbiddenError,
  InsufficientCreditsError,
  isOpenVError,
  NetworkError,
  NotFoundError,
  OpenVClientError,
  ProviderUnavailableError,
  QuotaExceededError,
  RateLimitedError,
  ServerError,
  TermsRequiredError,
  TimeoutError,
  UnauthorizedError,
  ValidationError,
  VideoFailedError,
} from "./errors.js";
export type {
  VideoWatcher,
  WaitOptions,
  WatchEvents,
  WatchMode,
  WatchOptions,
  WatchSnapshot,
  WatchStatus,
} from "./watcher.js";
