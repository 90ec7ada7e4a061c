// The public contract: every request, response and event shape of the OpenV HTTP API. The RunPod
// worker's job and output shapes are the server's business, not an app's: `@openv/protocol/worker`.
export type {
  AcceptTermsRequest,
  DeleteVideosRequest,
  GrantCreditsRequest,
  ListVideosQuery,
  RunPodWebhookQuery,
} from "./api.js";
export {
  AcceptTermsRequestSchema,
  CreditsQuerySchema,
  DeleteVideosRequestSchema,
  EventsQuerySchema,
  GrantCreditsRequestSchema,
  IdempotencyKeySchema,
  ListVideosQuerySchema,
  RunPodWebhookQuerySchema,
} from "./api.js";
export type {
  ErrorBody,
  ErrorCode,
  InsufficientCreditsDetails,
  QuotaExceededDetails,
  ValidationIssue,
} from "./errors.js";
export {
  ErrorBodySchema,
  ErrorCodeSchema,
  errorCodes,
  errorStatusByCode,
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
export { durationSeconds, framesForSeconds, mochiLimits } from "./limits.js";
export type { ListModelsResponse, Model, ModelLimits } from "./models.js";
export { ListModelsResponseSchema, ModelLimitsSchema, ModelSchema, mochiModelLimits } from "./models.js";
export type { OpenApiDocument, OpenApiDocumentOptions, OpenApiObject } from "./openapi.js";
export { openApiDocument } from "./openapi.js";
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
  WebhookReceived,
} from "./responses.js";
export {
  AcceptTermsResponseSchema,
  CreditEntrySchema,
  CreditsResponseSchema,
  DeleteVideosResponseSchema,
  GenerateResponseSchema,
  GrantCreditsResponseSchema,
  HealthResponseSchema,
  ListLiveVideosResponseSchema,
  ListVideosResponseSchema,
  TermsStatusSchema,
  UploadResponseSchema,
  UploadSchema,
  UsageSchema,
  VideoEventDataSchema,
  VideoResponseSchema,
  WebhookReceivedSchema,
} from "./responses.js";
export type { Tombstone, Video, VideoOrTombstone, VideoStatus } from "./video.js";
export {
  isTombstone,
  statusRank,
  TombstoneSchema,
  terminalStatuses,
  VideoErrorSchema,
  VideoOrTombstoneSchema,
  VideoSchema,
  VideoStatusSchema,
} from "./video.js";
export type { DeletedVideoData, OutboundWebhookEvent, OutboundWebhookEventType } from "./webhooks.js";
export { DeletedVideoDataSchema, OutboundWebhookEventSchema, outboundWebhookEventTypes } from "./webhooks.js";
export { headers, sseEvents } from "./wire.js";
