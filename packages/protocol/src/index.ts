export type {
  AcceptTermsRequest,
  AcceptTermsResponse,
  DeleteVideosRequest,
  DeleteVideosResponse,
  GenerateResponse,
  ListVideosQuery,
  ListVideosResponse,
  TermsStatus,
  Usage,
  VideoResponse,
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
  sseEvents,
  TermsStatusSchema,
  UsageSchema,
  VideoEventDataSchema,
  VideoResponseSchema,
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
