// Every wire type the client takes or returns, so an app needs no second import.
export type {
  AcceptTermsResponse,
  AccessRole,
  AccessStatus,
  CreatedShare,
  CreateShareRequest,
  CreditEntry,
  CreditsResponse,
  DeletedVideoData,
  DeleteVideosRequest,
  ErrorBody,
  ErrorCode,
  GenerateRequest,
  GenerateResponse,
  GrantCreditsRequest,
  GrantCreditsResponse,
  InsufficientCreditsDetails,
  ListVideosResponse,
  Model,
  ModelLimits,
  OutboundWebhookEvent,
  OutboundWebhookEventType,
  QuotaExceededDetails,
  RedeemVoucherResponse,
  RemixRequest,
  Share,
  TermsStatus,
  Tombstone,
  Upload,
  Usage,
  ValidationIssue,
  Video,
  VideoOrTombstone,
  VideoStatus,
} from "@openv/protocol";
// Invite-only access (access21): functions over a client, so apps without it download none of it.
export { getAccess, redeemAccess } from "./access.js";
export type { OpenVClient } from "./client.js";
export { createClient } from "./client.js";
export type { OpenVClientErrorOptions, OpenVWebhookErrorReason } from "./errors.js";
export {
  AbortError,
  ConflictError,
  ForbiddenError,
  InsufficientCreditsError,
  isOpenVError,
  MethodNotAllowedError,
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
  APIPromise,
  ClientOptions,
  CreateAndWaitOptions,
  CreateVideoInput,
  CreateVideoOptions,
  CreditsOptions,
  DeleteTarget,
  GenerateOptions,
  GenerateResult,
  ListOptions,
  PagePromise,
  RequestOptions,
  UploadImageInput,
  UploadImageOptions,
  UploadInput,
  UploadOptions,
  UploadProgress,
  VideoPage,
  WithResponse,
} from "./options.js";
export type {
  CreditsResource,
  ModelsResource,
  TermsResource,
  UploadsResource,
  UsageResource,
  VideosResource,
} from "./resources.js";
// Share links (issue 21): functions over a client, like access.
export { createShare, listShares, revokeShare } from "./shares.js";
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
