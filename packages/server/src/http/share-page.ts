import { createHash } from "node:crypto";
import type { Video } from "@openv/protocol";

// The HTML page a share link opens (issue 21): the player, and the Open Graph / Twitter tags chat
// apps read to unfurl it. Every value written into it is HTML-escaped; every URL is absolute.

/** `text` safe inside HTML text and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const style =
  "html,body{margin:0;height:100%;background:#0b0b0f;color:#e8e8ee;font:15px/1.4 system-ui,sans-serif}" +
  "main{display:flex;flex-direction:column;align-items:center;justify-content:center;min-height:100%;padding:16px;box-sizing:border-box;gap:12px}" +
  "video{max-width:100%;max-height:80vh;background:#000;border-radius:8px}p{max-width:60ch;margin:0;text-align:center;opacity:.85}";
const styleHash = `'sha256-${createHash("sha256").update(style).digest("base64")}'`;

/** What the page shows. */
export interface SharePageInput {
  /** The video (its prompt, size; `posterUrl` when the server makes posters). */
  video: Video;
  /** The page's own absolute URL (`og:url`, `twitter:player`). */
  pageUrl: string;
  /** The MP4's absolute URL behind the same token. */
  videoUrl: string;
  /** When the link stops working. */
  expiresAt: Date;
}

/** The page's headers: a strict CSP (its one style by hash, media from itself), nothing cached, no referrer. */
export function sharePageHeaders(posterUrl: string | null): Record<string, string> {
  // The poster may live in other storage (a signed S3 URL): allow that origin for images alone.
  const posterOrigin = posterUrl ? ` ${new URL(posterUrl).origin}` : "";
  return {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": `default-src 'none'; media-src 'self'; img-src 'self'${posterOrigin}; style-src ${styleHash}; base-uri 'none'; form-action 'none'`,
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
  };
}

/** The poster of a video, when the server makes posters (`posterUrl`, absolute http(s)); else null. */
export function posterOf(video: Video): string | null {
  const poster = (video as Video & { posterUrl?: unknown }).posterUrl;
  return typeof poster === "string" && /^https?:\/\//.test(poster) ? poster : null;
}

/** The share page's HTML. */
export function sharePageHtml({ video, pageUrl, videoUrl, expiresAt }: SharePageInput): string {
  const poster = posterOf(video);
  const title = video.prompt.length > 90 ? `${video.prompt.slice(0, 89)}…` : video.prompt;
  const meta = (attribute: "property" | "name", key: string, value: string | number) =>
    `<meta ${attribute}="${key}" content="${escapeHtml(String(value))}">`;
  const tags = [
    meta("property", "og:type", "video.other"),
    meta("property", "og:title", title),
    meta("property", "og:description", video.prompt),
    meta("property", "og:url", pageUrl),
    meta("property", "og:video", videoUrl),
    ...(videoUrl.startsWith("https:") ? [meta("property", "og:video:secure_url", videoUrl)] : []),
    meta("property", "og:video:type", "video/mp4"),
    meta("property", "og:video:width", video.width),
    meta("property", "og:video:height", video.height),
    ...(poster ? [meta("property", "og:image", poster)] : []),
    meta("name", "twitter:card", "player"),
    meta("name", "twitter:title", title),
    meta("name", "twitter:player", pageUrl),
    meta("name", "twitter:player:width", video.width),
    meta("name", "twitter:player:height", video.height),
    meta("name", "twitter:player:stream", videoUrl),
    meta("name", "twitter:player:stream:content_type", "video/mp4"),
    ...(poster ? [meta("name", "twitter:image", poster)] : []),
  ];
  const posterAttribute = poster ? ` poster="${escapeHtml(poster)}"` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
${tags.join("\n")}
<style>${style}</style>
</head>
<body>
<main>
<video src="${escapeHtml(videoUrl)}"${posterAttribute} width="${video.width}" height="${video.height}" controls playsinline loop preload="auto"></video>
<p>${escapeHtml(video.prompt)}</p>
<p><small>Shared with OpenV · this link works until <time datetime="${expiresAt.toISOString()}">${escapeHtml(expiresAt.toUTCString())}</time></small></p>
</main>
</body>
</html>
`;
}

/** The page a link that no longer works opens: 404, same headers. */
export function goneSharePageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Link not available</title><style>${style}</style></head>
<body><main><p>This share link does not exist, was revoked, has expired, or its video was deleted. Ask its owner for a new one.</p></main></body>
</html>
`;
}
