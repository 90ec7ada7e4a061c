export type { DevHeaderAuthOptions } from "./adapters/auth/dev-header.js";
export { createDevHeaderAuth } from "./adapters/auth/dev-header.js";
export type { Adapters } from "./adapters/defaults.js";
export { createMemoryEvents } from "./adapters/events/memory.js";
export type { LocalPreviewProviderOptions } from "./adapters/provider/local.js";
export { createLocalPreviewProvider } from "./adapters/provider/local.js";
export type { LocalStorageOptions } from "./adapters/storage/local.js";
export { createLocalStorage } from "./adapters/storage/local.js";
export type { EmbeddedStoreOptions } from "./adapters/store/embedded.js";
export { createEmbeddedStore } from "./adapters/store/embedded.js";
export type { PostgresStoreOptions } from "./adapters/store/postgres.js";
export { createPostgresStore } from "./adapters/store/postgres.js";
export type { ReferenceServerSettings } from "./config-env.js";
export { settingsFromEnv } from "./config-env.js";
export type { LifecycleConfig } from "./core/config.js";
export { defaultLifecycleConfig, quotaPeriod } from "./core/config.js";
export type { OpenVErrorOptions } from "./core/errors.js";
export { isOpenVError, OpenVError } from "./core/errors.js";
export type { LifecycleDependencies, SubmitVideoRequest, SubmitVideoResult } from "./core/lifecycle.js";
export { VideoLifecycle } from "./core/lifecycle.js";
export type {
  Auth,
  AuthRequest,
  Events,
  Logger,
  Provider,
  ProviderSubmission,
  Storage,
  Store,
  StoredFile,
  StoreTransaction,
  VideoRecord,
} from "./core/ports.js";
export { webhookToken } from "./core/webhook-token.js";
export type { OpenVDecoration, OpenVPluginOptions } from "./fastify/plugin.js";
export { openv } from "./fastify/plugin.js";
export { createReferenceServer } from "./reference-server.js";
