"use client";

export type {
  CreditsState,
  ModelsState,
  OpenVInitialState,
  TermsState,
  UsageState,
  VideosState,
} from "@openv/sdk/store";
export { formatSeconds } from "@openv/sdk/store";
export type { MutationOptions, MutationResult, MutationStatus } from "./_internal/use-mutation.js";
export type { QueryOptions } from "./_internal/use-store-part.js";
// Invite-only access (access21):
export type { AccessGateProps } from "./components/access-gate.js";
export { AccessGate } from "./components/access-gate.js";
export type { ConnectionStatusProps } from "./components/connection-status.js";
export { ConnectionStatus } from "./components/connection-status.js";
export type { GenerateFormProps } from "./components/generate-form.js";
export { GenerateForm } from "./components/generate-form.js";
// Remix and share links (issue 21)
export type { RemixActionProps } from "./components/remix-action.js";
export { RemixAction } from "./components/remix-action.js";
export type { ShareButtonProps } from "./components/share-button.js";
export { ShareButton } from "./components/share-button.js";
export type { SpriteScrubberProps } from "./components/sprite-scrubber.js"; // posters21
export { SpriteScrubber } from "./components/sprite-scrubber.js"; // posters21
export type { TermsGateProps } from "./components/terms-gate.js";
export { TermsGate } from "./components/terms-gate.js";
export type { VideoCardProps } from "./components/video-card.js";
export { VideoCard } from "./components/video-card.js";
export type { VideoGalleryProps } from "./components/video-gallery.js";
export { VideoGallery } from "./components/video-gallery.js";
export { VideoTiming } from "./components/video-timing.js"; // Timing (eta21)
export type { UseAccessResult } from "./hooks/use-access.js";
export { useAccess } from "./hooks/use-access.js";
export type { Connection, ConnectionState } from "./hooks/use-connection.js";
export { useConnection } from "./hooks/use-connection.js";
export type { UseCreditsOptions, UseCreditsResult } from "./hooks/use-credits.js";
export { useCredits } from "./hooks/use-credits.js";
export type { DeleteVariables, UseDeleteVideosResult } from "./hooks/use-delete-videos.js";
export { useDeleteVideos } from "./hooks/use-delete-videos.js";
export type { GenerateVariables, UseGenerateOptions, UseGenerateResult } from "./hooks/use-generate.js";
export { useGenerate } from "./hooks/use-generate.js";
export type { UseModelsOptions, UseModelsResult } from "./hooks/use-models.js";
export { useModels } from "./hooks/use-models.js";
export type { RemixVariables } from "./hooks/use-remix.js"; // Remix (issue 21)
export { useRemix } from "./hooks/use-remix.js";
export type {
  AcceptTermsVariables,
  UseAcceptTermsResult,
  UseTermsOptions,
  UseTermsResult,
} from "./hooks/use-terms.js";
export { useAcceptTerms, useTerms } from "./hooks/use-terms.js";
export type { UploadVariables, UseUploadImageResult } from "./hooks/use-upload-image.js";
export { useUploadImage } from "./hooks/use-upload-image.js";
export type { UseUsageOptions, UseUsageResult } from "./hooks/use-usage.js";
export { useUsage } from "./hooks/use-usage.js";
export type { UseVideosOptions, VideoState } from "./hooks/use-videos.js";
export { useSuspenseVideos, useVideo, useVideos } from "./hooks/use-videos.js";
export type {
  OpenVHydrateProps,
  OpenVProviderClientProps,
  OpenVProviderOptionsProps,
  OpenVProviderProps,
} from "./provider.js";
export { OpenVHydrate, OpenVProvider, useOpenVClient } from "./provider.js";
