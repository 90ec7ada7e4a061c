import type { Video } from "@openv/protocol";
import type { ReactNode } from "react";
import { useOptionalOpenVStore } from "../provider.js";
import { RemixAction } from "./remix-action.js";
import { ShareButton } from "./share-button.js";

/**
 * The card's Remix and Share actions (issue 21): on a completed video, inside `<OpenVProvider>`;
 * nothing otherwise.
 */
export function RemixShareActions({ video }: { video: Video }): ReactNode {
  // <VideoCard> also renders on its own, from data alone: no provider, no actions.
  if (!useOptionalOpenVStore() || video.status !== "completed") return null;
  return (
    <>
      <RemixAction video={video} />
      <ShareButton videoId={video.id} />
    </>
  );
}
