// The public contract: every request, response and event shape of the OpenV HTTP API. The RunPod
// worker's job and output shapes are the server's business, not an app's: `@openv/protocol/worker`.
// Invite-only access (access21):
export type {
  AccessRole,
  AccessStatus,
  ListVouchersResponse,
  RedeemVoucherResponse,
  Voucher,
  VoucherRefusalReason,
} from "./access.js";
export {
  AccessRoleSchema,
  AccessStatusSchema,
  ListVouchersResponseSchema,
  RedeemVoucherResponseSchema,
  VoucherRefusalReasonSchema,
  VoucherSchema,
} from "./access.js";
export type { CreateVoucherRequest, RedeemVoucherRequest } from "./access-requests.js";
export { CreateVoucherRequestSchema, RedeemVoucherRequestSchema, VoucherCodeSchema } from "./access-requests.js";
export type {
  AcceptTermsRequest,
  DeleteVideosRequest,
  GrantCreditsRequest,
  ListVideosQuery,
  RunPodWebhookQuery,
  WebhookReceived,
} from "./api.js";
export {
  AcceptTermsRequestSchema,
  CreditsQuerySchema,
  DeleteVideosRequestSchema,
  EventsQuerySchema,
  GrantCreditsRequestSchema,
  HealthResponseSchema,
  IdempotencyKeySchema,
  ListVideosQuerySchema,
  RunPodWebhookQuerySchema,
  WebhookReceivedSchema,
} from "./api.js";
export type { ErrorCode } from "./error-codes.js";
export { ErrorCodeSchema, errorCodes, errorStatusByCode } from "./error-codes.js";
export type {
  ErrorBody,
  InsufficientCreditsDetails,
  QuotaExceededDetails,
  ValidationIssue,
} from "./errors.js";
export {
  ErrorBodySchema,
  InsufficientCreditsDetailsSchema,
  QuotaExceededDetailsSchema,
  ValidationIssueSchema,
  ValidationIssuesSchema,
} from "./errors.js";
export type { GenerateRequest, RunPodGenerateRequest, VideoSettings } from "./generate.js";
export {
  FramesSchema,
  GenerateRequestSchema,
  ModelIdSchema,
  PromptSchema,
  RunPodGenerateRequestSchema,
  requestFromRunPodBody,
  SeedSchema,
  settingsFromRequest,
} from "./generate.js";
export {
  durationSeconds,
  framesForSeconds,
  mochiComputeBudget,
  mochiLimits,
  mochiModelLimits,
  mochiVisualTokens,
} from "./limits.js";
export type { ListModelsResponse, Model, ModelLimits } from "./models.js";
export { ListModelsResponseSchema, ModelLimitsSchema, ModelSchema } from "./models.js";
export type { OpenApiDocument, OpenApiDocumentOptions, OpenApiObject } from "./openapi.js";
export { openApiDocument } from "./openapi.js";
// Remix and share links (issue 21)
export type { RemixRequest } from "./remix.js";
export { RemixRequestSchema } from "./remix.js";
export type {
  AcceptTermsResponse,
  CreditEntry,
  CreditsResponse,
  DeleteVideosResponse,
  GenerateResponse,
  GrantCreditsResponse,
  ListLiveVideosResponse,
  ListVideosResponse,
  TermsStatus,
  Upload,
  UploadResponse,
  Usage,
  VideoResponse,
} from "./responses.js";
export {
  AcceptTermsResponseSchema,
  CreditEntrySchema,
  CreditsResponseSchema,
  DeleteVideosResponseSchema,
  GenerateResponseSchema,
  GrantCreditsResponseSchema,
  ListLiveVideosResponseSchema,
  ListVideosResponseSchema,
  TermsStatusSchema,
  UploadResponseSchema,
  UploadSchema,
  UsageSchema,
  VideoEventDataSchema,
  VideoResponseSchema,
} from "./responses.js";
export type { CreateShareRequest } from "./share-request.js";
export {
  CreateShareRequestSchema,
  defaultShareExpiresInSeconds,
  maxShareExpiresInSeconds,
  minShareExpiresInSeconds,
} from "./share-request.js";
export type { CreatedShare, ListSharesResponse, Share } from "./shares.js";
export { CreatedShareSchema, ListSharesResponseSchema, ShareSchema } from "./shares.js";
export type { Tombstone, Video, VideoOrTombstone, VideoSprite, VideoStatus } from "./video.js";
export {
  isTombstone,
  statusRank,
  TombstoneSchema,
  terminalStatuses,
  VideoErrorSchema,
  VideoOrTombstoneSchema,
  VideoSchema,
  VideoSpriteSchema, // posters21
  VideoStatusSchema,
} from "./video.js";
export type { DeletedVideoData, OutboundWebhookEvent, OutboundWebhookEventType } from "./webhooks.js";
export { DeletedVideoDataSchema, OutboundWebhookEventSchema, outboundWebhookEventTypes } from "./webhooks.js";
export { headers, maxPreferWaitSeconds, sseEvents, waitHeaders } from "./wire.js";
