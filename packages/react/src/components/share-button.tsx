import { type CreatedShare, createShare, revokeShare } from "@openv/sdk";
import { describeError } from "@openv/sdk/store";
import { type ReactNode, useId, useState } from "react";
import { useMutation } from "../_internal/use-mutation.js";
import { useOpenVClient } from "../provider.js";

/** Props of {@link ShareButton}. */
export interface ShareButtonProps {
  /** The completed video to share. */
  videoId: string;
  /** How long the link works, in seconds (60 s to 90 days). Default: the server's, 7 days. */
  expiresInSeconds?: number;
}

/**
 * "Share": makes a share link (`createShare` of `@openv/sdk`) that plays the video for anyone, no account
 * needed, until it expires or is revoked; then shows the URL (selectable, for copying by hand), a
 * "Copy link" button (the clipboard) and "Stop sharing" (revokes it at once). Needs `<OpenVProvider>`.
 *
 * @example
 * ```tsx
 * <ShareButton videoId={video.id} expiresInSeconds={24 * 3600} />
 * ```
 */
export function ShareButton({ videoId, expiresInSeconds }: ShareButtonProps): ReactNode {
  const client = useOpenVClient();
  const fieldId = useId();
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const create = useMutation(() =>
    createShare(client, videoId, expiresInSeconds === undefined ? {} : { expiresInSeconds }),
  );
  const revoke = useMutation((share: CreatedShare) => revokeShare(client, videoId, share.id), {
    onSuccess: () => {
      create.reset();
      setCopied(null);
    },
  });
  const share = create.data;
  const error = create.error ?? revoke.error;
  if (!share) {
    return (
      <span className="openv-share">
        <button
          type="button"
          className="openv-share-create"
          disabled={create.isPending}
          onClick={() => create.mutate()}
        >
          {create.isPending ? "Making a link…" : "Share"}
        </button>
        {error && <span role="alert"> The link could not be made: {describeError(error)}</span>}
      </span>
    );
  }
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(share.url);
      setCopied("yes");
    } catch {
      // No clipboard (an insecure origin, a refused permission): the URL stays selectable.
      setCopied("no");
    }
  };
  return (
    <span className="openv-share">
      <label htmlFor={fieldId}>Share link</label>{" "}
      <input
        id={fieldId}
        className="openv-share-url"
        readOnly
        value={share.url}
        onFocus={(event) => event.currentTarget.select()}
      />{" "}
      <button type="button" className="openv-share-copy" onClick={() => void copy()}>
        Copy link
      </button>{" "}
      <button
        type="button"
        className="openv-share-revoke"
        disabled={revoke.isPending}
        onClick={() => revoke.mutate(share)}
      >
        Stop sharing
      </button>
      <span role="status" className="openv-share-status">
        {copied === "yes"
          ? " Copied."
          : copied === "no"
            ? " Copy it from the field."
            : ` Anyone with the link can watch until ${new Date(share.expiresAt).toLocaleString()}.`}
      </span>
      {error && <span role="alert"> {describeError(error)}</span>}
    </span>
  );
}
