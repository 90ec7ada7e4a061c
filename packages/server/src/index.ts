export type { ClerkAuthOptions } from "./adapters/auth/clerk.js";
export { createClerkAuth } from "./adapters/auth/clerk.js";
export type { ClerkWebhookVerifierOptions } from "./adapters/auth/clerk-webhook.js";
export { createClerkWebhookVerifier } from "./adapters/auth/clerk-webhook.js";
export type { DevHeaderAuthOptions } from "./adapters/auth/dev-header.js";
export { createDevHeaderAuth } from "./adapters/auth/dev-header.js";
export type { Adapters, ClerkOptions, ServiceOptions } from "./adapters/defaults.js";
export type { OpenAIEnhancerOptions } from "./adapters/enhancer/openai.js";
export { createOpenAIEnhancer, openAIEnhancerSystemPrompt } from "./adapters/enhancer/openai.js";
export type { PromptCue, TemplateEnhancerOptions } from "./adapters/enhancer/template.js";
export { createTemplateEnhancer, imageToVideoCues, textToVideoCues } from "./adapters/enhancer/template.js";
export { createMemoryEvents } from "./adapters/events/memory.js";
export type { PostgresEventsOptions } from "./adapters/events/postgres.js";
export { createPostgresEvents } from "./adapters/events/postgres.js";
export type { FfmpegPreviewOptions, PreviewSettings } from "./adapters/media/ffmpeg-previews.js";
export { createFfmpegPreviewExtractor } from "./adapters/media/ffmpeg-previews.js";
export type { AllowedHost } from "./adapters/net/address-policy.js";
export type { GuardedFetchOptions, ResolvedAddress, Resolver } from "./adapters/net/guarded-fetch.js";
export { createGuardedFetch, guardedFetchDefaults, OutboundFetchError } from "./adapters/net/guarded-fetch.js";
export type { FalProviderOptions } from "./adapters/provider/fal.js";
export { createFalProvider, falQueueApi, falWebhookKeysUrl } from "./adapters/provider/fal.js";
export type { LocalPreviewProviderOptions } from "./adapters/provider/local.js";
export { createLocalPreviewProvider } from "./adapters/provider/local.js";
export type { RunPodProviderOptions } from "./adapters/provider/runpod.js";
export { createRunPodProvider, runPodPublicApi } from "./adapters/provider/runpod.js";
export type { RunwayModelLimits, RunwayProviderOptions } from "./adapters/provider/runway.js";
export { createRunwayProvider, runwayApi, runwayApiVersion, runwayModels } from "./adapters/provider/runway.js";
export type { WorkflowCallback, WorkflowProviderOptions } from "./adapters/provider/workflow.js";
export { createWorkflowProvider, WorkflowCallbackSchema } from "./adapters/provider/workflow.js";
export type { CopyFromUrlOptions } from "./adapters/storage/download.js";
export type { LocalStorageOptions } from "./adapters/storage/local.js";
export { createLocalStorage } from "./adapters/storage/local.js";
export type { S3StorageOptions } from "./adapters/storage/s3.js";
export { createS3Storage } from "./adapters/storage/s3.js";
export type { UploadThingClient, UploadThingStorageOptions } from "./adapters/storage/uploadthing.js";
export { createUploadThingStorage } from "./adapters/storage/uploadthing.js";
export type { EmbeddedStoreOptions } from "./adapters/store/embedded.js";
export { createEmbeddedStore } from "./adapters/store/embedded.js";
export type { PostgresStoreOptions } from "./adapters/store/postgres.js";
export { createPostgresStore } from "./adapters/store/postgres.js";
export type { StandardWebhookSenderOptions } from "./adapters/webhooks/standard.js";
export { createStandardWebhookSender } from "./adapters/webhooks/standard.js";
export type { ReferenceServerSettings } from "./config-env.js";
export { openvOptionsFromSettings, settingsFromEnv } from "./config-env.js";
export type { BillingPolicy } from "./core/billing.js";
export { billingPolicy, creditsPolicy, secondsPolicy } from "./core/billing.js";
export type { ModelDefinition, ResolvedRequest } from "./core/catalog.js";
export { ModelCatalog, ModelDefinitionSchema, mochiModel } from "./core/catalog.js";
export type { LifecycleConfig } from "./core/config.js";
export { defaultLifecycleConfig, quotaPeriod } from "./core/config.js";
export type { NextStep, OpenVErrorOptions } from "./core/errors.js";
export { isOpenVError, OpenVError } from "./core/errors.js";
export type {
  LifecycleDependencies,
  ReconcileOutcome,
  ReconcileTiming,
  RemixVideoRequest, // Remix (issue 21)
  SubmitVideoRequest,
  SubmitVideoResult,
} from "./core/lifecycle.js";
export { VideoLifecycle } from "./core/lifecycle.js";
export type {
  ImageContentType,
  ImageInspection,
  MediaInspection,
  UnknownInspection,
  UploadImageLimits,
  VideoInspection,
} from "./core/media.js";
export { acceptedImageTypes, checkUploadImage, defaultUploadImageLimits, inspectMedia } from "./core/media.js";
export type { OutboxDispatcherOptions, OutboxPassReport } from "./core/outbox.js";
export { defaultOutboxDispatcherOptions, OutboxDispatcher, outboxRetryDelay } from "./core/outbox.js";
// Invite-only access (access21):
export type {
  AccessStore,
  AdmissionOutcome, // issue 17: the generate request in one round trip
  AdmissionRequest,
  AdmissionStore,
  AdmittedUsage,
  Auth,
  AuthRequest,
  CopyRequest,
  CreditEntryRecord,
  DerivedImage,
  DerivedPreviews,
  Events,
  IdempotencyRecord,
  JobUpdateChange,
  ListPosition,
  Logger,
  OutboundFetch,
  OutboundRequestInit,
  OutboxRecord,
  PreviewExtractor,
  PreviewSource,
  PromptEnhancer,
  Provider,
  ProviderImage,
  ProviderSubmission,
  ProviderWebhookRequest,
  RedeemOutcome,
  ShareRecord, // Share links (issue 21)
  ShareStore, // Share links (issue 21)
  Storage,
  Store,
  StoredAccessRole,
  StoredFile,
  StoreTransaction,
  TimingBasis,
  UploadRecord,
  UsageEntryRecord,
  UserEvent,
  UserEventVerifier,
  VideoChangeEvent,
  VideoDeletion,
  VideoPage,
  VideoPatch,
  VideoPreviewFields,
  VideoRecord,
  VoucherRecord,
  WebhookSender,
} from "./core/ports.js";
export type { PreviewOptions } from "./core/previews.js";
export type { ReconcilePassReport, ReconcilerOptions } from "./core/reconciler.js";
export { defaultReconcilerOptions, Reconciler } from "./core/reconciler.js";
export type { KnownVideo } from "./core/transitions.js";
export { webhookToken } from "./core/webhook-token.js";
export type { OpenVDecoration, OpenVPluginOptions } from "./fastify/plugin.js";
export { openv, openvFrameworkErrors } from "./fastify/plugin.js";
export type { CorsOptions } from "./http/cors.js";
export type { GenerateRateLimits, RateLimit } from "./http/rate-limit.js";
export type { RouteMatch } from "./http/router.js";
export type { Route, RouteContext } from "./http/routes.js";
export type { OpenVOptions, ServiceHost } from "./http/service.js";
export { OpenVService } from "./http/service.js";
export type { ApiRequest, ApiResponse, EventSink, EventStreamSource } from "./http/types.js";
export { createReferenceServer } from "./reference-server.js";
