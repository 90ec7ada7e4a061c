export type {
  AcceptTermsRequest,
  AcceptTermsResponse,
  DeleteVideosRequest,
  DeleteVideosResponse,
  GenerateResponse,
  ListVideosQuery,
  ListVideosResponse,
  RunPodWebhookQuery,
  TermsStatus,
  Usage,
  VideoResponse,
  WebhookReceived,
} from "./api.js";
export {
  AcceptTermsRequestSchema,
  AcceptTermsResponseSchema,
  DeleteVideosRequestSchema,
  DeleteVideosResponseSchema,
  EventsQuerySchema,
  GenerateResponseSchema,
  HealthResponseSchema,
  headers,
  IdempotencyKeySchema,
  ListVideosQuerySchema,
  ListVideosResponseSchema,
  RunPodWebhookQuerySchema,
  sseEvents,
  TermsStatusSchema,
  UsageSchema,
  VideoEventDataSchema,
  VideoResponseSchema,
  WebhookReceivedSchema,
} from "./api.js";
export type { ErrorBody, ErrorCode, QuotaExceededDetails, ValidationIssue } from "./errors.js";
export {
  ErrorBodySchema,
  ErrorCodeSchema,
  errorCodes,
  errorStatusByCode,
  QuotaExceededDetailsSchema,
  ValidationIssueSchema,
} from "./errors.js";
export { durationSeconds, framesForSeconds, mochiLimits } from "./limits.js";
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
  PromptSchema,
  RunPodGenerateRequestSchema,
  SeedSchema,
  settingsFromRequest,
  settingsFromRunPodRequest,
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
