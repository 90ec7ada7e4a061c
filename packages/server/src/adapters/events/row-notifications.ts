import { VideoOrTombstoneSchema } from "@openv/protocol";
import type { Logger, VideoChangeEvent } from "../../core/ports.js";
import { toChange } from "../../core/video-shape.js";
import { videoFromRow } from "../store/operations.js";

// The LISTEN side of the notifications SQL sends itself (issue 17): `openv_notify_video` (migration
// 20261207120100_notify_in_statement) notifies a change in the statement that makes it, as
//
//   2:{"u": userId, "s": changeSeq, "r": the "Video" row as row_to_json writes it}
//
// or, when that would pass PostgreSQL's 8,000-byte NOTIFY limit, `2:{"u", "s", "v": video id}`,
// resolved here with one read. The change subscribers get is made from the row in TypeScript
// (`videoFromRow`, then `toChange`), as everywhere else.

/** The prefix of a format-2 payload (format 1, chunked changes published by `Events.publish`, starts `1:`). */
export const rowFormatPrefix = "2:";

type RowEnvelope =
  | { u: string; s: number; r: Record<string, unknown> }
  | { u: string; s: number; r?: undefined; v: string };

function isRowEnvelope(value: unknown): value is RowEnvelope {
  if (typeof value !== "object" || value === null) return false;
  const { u, s, r, v } = value as Record<string, unknown>;
  return (
    typeof u === "string" &&
    Number.isSafeInteger(s) &&
    (s as number) >= 0 &&
    ((typeof r === "object" && r !== null) || (r === undefined && typeof v === "string"))
  );
}

/**
 * A notification body's envelope, parsed (both formats' bodies are JSON): undefined, with a warning
 * naming what was missing, when it is not JSON or not an envelope of the expected shape.
 */
export function parseEnvelope<T>(
  body: string,
  isEnvelope: (value: unknown) => value is T,
  log: { channel: string; logger: Logger; fields: string },
): T | undefined {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    log.logger.warn({ channel: log.channel }, "dropped a video change: its payload is not JSON");
    return undefined;
  }
  if (!isEnvelope(message)) {
    log.logger.warn({ channel: log.channel }, `dropped a video change: its payload has no ${log.fields}`);
    return undefined;
  }
  return message;
}

export interface OrderedDeliveryOptions {
  channel: string;
  logger: Logger;
  /** Whether this instance has subscribers of the user (nothing is parsed or read for others). */
  wants(userId: string): boolean;
  /** Hands a change to this instance's subscribers. */
  deliver(userId: string, event: VideoChangeEvent): void;
  /** Reads a `"Video"` row by id (null: gone). */
  readRow(videoId: string): Promise<Record<string, unknown> | null>;
}

/**
 * Delivers notifications in the order they arrived: one that carries only a reference is resolved
 * with a read, and those after it (of either format) wait for it, so subscribers still get changes
 * in commit order. Without a pending read a delivery runs at once.
 */
export class OrderedDelivery {
  readonly #options: OrderedDeliveryOptions;
  /** The last delivery waiting behind a read, or null when none waits. */
  #backlog: Promise<void> | null = null;

  constructor(options: OrderedDeliveryOptions) {
    this.#options = options;
  }

  /** Runs `work` (a delivery) after those before it. */
  inOrder(work: () => void | Promise<void>): void {
    const done = this.#backlog === null ? work() : this.#backlog.then(work);
    if (done === undefined) return;
    const mine = done.catch((error: unknown) =>
      this.#options.logger.error({ channel: this.#options.channel, err: error }, "could not deliver a video change"),
    );
    this.#backlog = mine;
    void mine.finally(() => {
      if (this.#backlog === mine) this.#backlog = null;
    });
  }

  /** Takes a format-2 payload, without its prefix. */
  acceptRow(body: string): void {
    const { channel, logger, wants, readRow } = this.#options;
    const message = parseEnvelope(body, isRowEnvelope, { channel, logger, fields: "user, sequence number and row" });
    if (message === undefined || !wants(message.u)) return;
    const { u: userId, s: seq } = message;
    if (message.r !== undefined) {
      const row = message.r;
      this.inOrder(() => this.#deliverRow(userId, seq, row));
      return;
    }
    // Too large to travel inline: read the row now (alongside any earlier read), deliver in turn.
    const videoId = message.v;
    const read = readRow(videoId).catch((error: unknown) => {
      logger.warn({ channel, videoId, err: error }, "dropped a video change: could not read its video");
      return null;
    });
    this.inOrder(async () => {
      const row = await read;
      // Changed again since: that later change's own notification follows and carries it.
      if (row && Number(row.changeSeq) === seq) this.#deliverRow(userId, seq, row);
    });
  }

  #deliverRow(userId: string, seq: number, row: Record<string, unknown>): void {
    let change: unknown;
    try {
      const video = videoFromRow(row);
      change = video.userId === userId ? toChange(video) : undefined;
    } catch {
      change = undefined;
    }
    const parsed = VideoOrTombstoneSchema.safeParse(change);
    if (!parsed.success) {
      this.#options.logger.warn(
        { channel: this.#options.channel },
        "dropped a video change: its row is not a video of the user",
      );
      return;
    }
    this.#options.deliver(userId, { seq, change: parsed.data });
  }
}
