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
export type { OpenVClientErrorOptions, OpenVWebhookErrorReason } from "./errors.js";
export {
  AbortError,
  ConflictError,
  ForbiddenError,
  InsufficientCreditsError,
  isOpenVError,
  NetworkError,
  NotFoundError,
  OpenVClientError,
  OpenVWebhookError,
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
export type { OpenVWebhookEvent, WebhookHeaders } from "./webhooks.js";
export { verifyWebhook } from "./webhooks.js";
