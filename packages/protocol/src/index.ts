export type {
  AcceptTermsRequest,
  AcceptTermsResponse,
  CreditEntry,
  CreditsResponse,
  DeleteVideosRequest,
  DeleteVideosResponse,
  GenerateResponse,
  GrantCreditsRequest,
  GrantCreditsResponse,
  ListVideosQuery,
  ListVideosResponse,
  RunPodWebhookQuery,
  TermsStatus,
  Upload,
  UploadResponse,
  Usage,
  VideoResponse,
  WebhookReceived,
} from "./api.js";
export {
  AcceptTermsRequestSchema,
  AcceptTermsResponseSchema,
  CreditEntrySchema,
  CreditsQuerySchema,
  CreditsResponseSchema,
  DeleteVideosRequestSchema,
  DeleteVideosResponseSchema,
  EventsQuerySchema,
  GenerateResponseSchema,
  GrantCreditsRequestSchema,
  GrantCreditsResponseSchema,
  HealthResponseSchema,
  headers,
  IdempotencyKeySchema,
  ListVideosQuerySchema,
  ListVideosResponseSchema,
  RunPodWebhookQuerySchema,
  sseEvents,
  TermsStatusSchema,
  UploadResponseSchema,
  UploadSchema,
  UsageSchema,
  VideoEventDataSchema,
  VideoResponseSchema,
  WebhookReceivedSchema,
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
} from "./errors.js";
export {
  durationSeconds,
  framesForSeconds,
  mochiComputeBudget,
  mochiLimits,
  mochiVisualTokens,
} from "./limits.js";
export type { ListModelsResponse, Model, ModelLimits } from "./models.js";
export { ListModelsResponseSchema, ModelLimitsSchema, ModelSchema, mochiModelLimits } from "./models.js";
export type { OpenApiDocument, OpenApiDocumentOptions, OpenApiObject } from "./openapi.js";
export { openApiDocument } from "./openapi.js";
export type {
  RunPodJob,
  RunPodJobStatus,
  RunPodRunRequest,
  WorkerErrorCode,
  WorkerInput,
  WorkerOutput,
  WorkerProgress,
} from "./runpod.js";
export {
  RunPodJobSchema,
  RunPodJobStatusSchema,
  RunPodRunRequestSchema,
  WorkerInputSchema,
  WorkerOutputSchema,
  WorkerProgressSchema,
  workerErrorCodes,
} from "./runpod.js";
export type {
  GenerateRequest,
  RunPodGenerateRequest,
  Tombstone,
  Video,
  VideoOrTombstone,
  VideoSettings,
  VideoStatus,
} from "./video.js";
export {
  FramesSchema,
  GenerateRequestSchema,
  isTombstone,
  ModelIdSchema,
  PromptSchema,
  RunPodGenerateRequestSchema,
  requestFromRunPodBody,
  SeedSchema,
  settingsFromRequest,
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
