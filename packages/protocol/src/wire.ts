/** Server-Sent Event names on `GET /api/videos/events`. */
export const sseEvents = {
  /** A video changed or was deleted; `data` is a {@link VideoOrTombstone}, `id` is opaque: send it back as `Last-Event-ID` to resume after it. */
  video: "video",
  /** Keeps the connection open; sent at least every 20 s. */
  ping: "ping",
} as const;

/** Header names of the contract. */
export const headers = {
  /** Request: makes a generate request safe to retry. */
  idempotencyKey: "idempotency-key",
  /** Answer: `true` when a generate answer replays an earlier request with the same key. */
  idempotentReplayed: "idempotent-replayed",
  /** Request, development servers only: the user id. */
  devUser: "x-openv-user",
  /** Request: the last SSE event id received, to resume the stream. */
  lastEventId: "last-event-id",
  /** Answer: seconds to wait before trying again (429, 503). */
  retryAfter: "retry-after",
  /** Answer: the request's id in the server's logs. */
  requestId: "x-request-id",
} as const;

// Wait (issue 21): RFC 7240 preferences on generate requests. Apart from `headers`, so that a
// client bundle that does not name them does not carry them.
/** Header names of `Prefer: wait` (shared/API.md, "Wait"). */
export const waitHeaders = {
  /** Request: `wait=N` (1..60 s) holds a generate answer until the video is finished or N seconds pass. */
  prefer: "prefer",
  /** Answer: `wait=N` on a 201 that honoured `Prefer: wait`. */
  preferenceApplied: "preference-applied",
} as const;

/** The longest `Prefer: wait=N` a server honours, in seconds; a larger N is clamped to it. */
export const maxPreferWaitSeconds = 60;
