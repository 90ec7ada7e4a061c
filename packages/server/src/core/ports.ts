// The core talks to the outside only through these ports, one file each under ./ports/. Adapters
// implement them under src/adapters/<port>/; the core never imports an adapter
// (shared/CONVENTIONS.md §1–2).

// Invite-only access (access21):
export type { AccessStore, RedeemOutcome, StoredAccessRole, VoucherRecord } from "./ports/access.js";
export type {
  AdmissionOutcome,
  AdmissionRequest,
  AdmissionStore,
  AdmittedUsage,
} from "./ports/admission.js";
export type { Auth, AuthRequest, UserEvent, UserEventVerifier } from "./ports/auth.js";
export type { Events, VideoChangeEvent } from "./ports/events.js";
export type { Logger, WebhookSender } from "./ports/host.js";
export type { DerivedImage, DerivedPreviews, PreviewExtractor, PreviewSource } from "./ports/previews.js"; // posters21
export type {
  PromptEnhancer,
  Provider,
  ProviderImage,
  ProviderSubmission,
  ProviderWebhookRequest,
} from "./ports/provider.js";
export type {
  CreditEntryRecord,
  IdempotencyRecord,
  ListPosition,
  OutboxRecord,
  UploadRecord,
  UsageEntryRecord,
  VideoPatch,
  VideoPreviewFields, // posters21
  VideoRecord,
} from "./ports/records.js";
export type { ShareRecord, ShareStore } from "./ports/shares.js"; // Share links (issue 21)
export type { CopyRequest, OutboundFetch, OutboundRequestInit, Storage, StoredFile } from "./ports/storage.js";
export type {
  JobUpdateChange,
  Store,
  StoreTransaction,
  TimingBasis,
  VideoDeletion,
  VideoPage,
} from "./ports/store.js";
