import { markNotifiedInStatement } from "../../core/notified-changes.js";
import type { JobUpdateChange, TimingBasis, VideoPreviewFields, VideoRecord } from "../../core/ports.js";

// The store's hot-path operations as plain SQL over the driver itself (a `pg` Pool, or the PGlite
// instance), one round trip each. Why not Prisma for these: the bench's store-overhead tool
// measures a Prisma 7 `findUnique` at ~1.06 ms of CPU against ~0.32 ms for the same statement
// through `pg`, and an interactive transaction costs a round trip per statement plus BEGIN and
// COMMIT. Prisma keeps the schema, the migrations and the cold paths.

/** Runs one parameterised statement and returns its rows (a `pg` Pool's or PGlite's `query`). */
export type SqlRunner = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** A timestamp as a Date: the driver gives Date objects, JSON built in SQL gives ISO strings. */
export const dateOf = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));

/** `dateOf`, or null for a NULL column. */
export const toDate = (value: unknown): Date | null => (value === null || value === undefined ? null : dateOf(value));

const toNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** A `"Video"` row as a driver returns it (bigints as strings or bigints, times as Dates). */
export function videoFromRow(row: Record<string, unknown>): VideoRecord {
  return {
    id: row.id as string,
    userId: row.userId as string,
    jobId: (row.jobId as string | null) ?? null,
    prompt: row.prompt as string,
    negativePrompt: (row.negativePrompt as string | null) ?? null,
    model: row.model as string,
    status: row.status as VideoRecord["status"],
    progress: row.progress === null || row.progress === undefined ? null : Number(row.progress),
    url: (row.url as string | null) ?? null,
    storageKey: (row.storageKey as string | null) ?? null,
    frames: Number(row.frames),
    fps: Number(row.fps),
    durationSeconds: Number(row.durationSeconds),
    width: Number(row.width),
    height: Number(row.height),
    seed: row.seed === null || row.seed === undefined ? null : Number(row.seed),
    steps: Number(row.steps),
    cfg: Number(row.cfg),
    errorCode: (row.errorCode as string | null) ?? null,
    errorMessage: (row.errorMessage as string | null) ?? null,
    retryCount: Number(row.retryCount),
    createdAt: toDate(row.createdAt) as Date,
    updatedAt: toDate(row.updatedAt) as Date,
    providerSeenAt: toDate(row.providerSeenAt),
    deletedAt: toDate(row.deletedAt),
    changeSeq: Number(row.changeSeq),
    submittedAt: toDate(row.submittedAt),
    provider: row.provider as string,
    enhancedPrompt: (row.enhancedPrompt as string | null) ?? null,
    inputImageId: (row.inputImageId as string | null) ?? null,
    creditCost: row.creditCost === null || row.creditCost === undefined ? null : Number(row.creditCost),
    remixOf: (row.remixOf as string | null) ?? null, // Remix (issue 21)
    // Timing (eta21)
    startedAt: toDate(row.startedAt),
    queueSeconds: toNumber(row.queueSeconds),
    renderSeconds: toNumber(row.renderSeconds),
    ...previewFieldsFromRow(row), // posters21
  };
}

const stringOrNull = (value: unknown): string | null => (value as string | null | undefined) ?? null;

/** posters21: the preview columns of a `"Video"` row. */
function previewFieldsFromRow(row: Record<string, unknown>): VideoPreviewFields {
  return {
    posterKey: stringOrNull(row.posterKey),
    posterUrl: stringOrNull(row.posterUrl),
    spriteKey: stringOrNull(row.spriteKey),
    spriteUrl: stringOrNull(row.spriteUrl),
    spriteColumns: toNumber(row.spriteColumns),
    spriteRows: toNumber(row.spriteRows),
    spriteFrameWidth: toNumber(row.spriteFrameWidth),
    spriteFrameHeight: toNumber(row.spriteFrameHeight),
    spriteInterval: toNumber(row.spriteInterval),
  };
}

/** The video with this id, whoever owns it: one `SELECT`. */
export async function selectVideo(sql: SqlRunner, videoId: string): Promise<VideoRecord | null> {
  const [row] = await sql(`SELECT * FROM "Video" WHERE "id" = $1`, [videoId]);
  return row ? videoFromRow(row) : null;
}

/**
 * `Store.userDeletedAt`: one `SELECT` over the driver. Every route asks it (once per user and
 * instance every few seconds), and Prisma's query engine cost about three times the CPU of the
 * driver for a one-row read (`pnpm --filter @openv/bench store-overhead`).
 */
export async function selectUserDeletedAt(sql: SqlRunner, userId: string): Promise<Date | null> {
  const [row] = await sql(`SELECT "deletedAt" FROM "User" WHERE "id" = $1`, [userId]);
  return row ? toDate(row.deletedAt) : null;
}

/**
 * `Store.applyJobUpdate`: one call of the SQL function `openv_apply_video_change` (migration
 * 20261207004500_apply_video_change states what it does, and the locks it takes, once; migration
 * 20261207120100_notify_in_statement adds its NOTIFY on `notifyChannel`, null for none).
 */
export async function applyJobUpdate(
  sql: SqlRunner,
  change: JobUpdateChange,
  notifyChannel: string | null = null,
): Promise<VideoRecord | null> {
  const [row] = await sql(
    `SELECT * FROM openv_apply_video_change($1, $2::bigint, $3::jsonb, $4, $5::jsonb, $6::text)`,
    [
      change.videoId,
      String(change.expectedSeq),
      JSON.stringify(change.patch),
      change.quiet,
      change.outbox === null ? null : JSON.stringify(change.outbox),
      notifyChannel,
    ],
  );
  return row ? notifiedRow(videoFromRow(row), notifyChannel, change.quiet) : null;
}

/**
 * `video` marked as notified in its own statement when the operation ran with a channel and the
 * change was visible (a quiet change is not notified: there is nothing new to see).
 */
export function notifiedRow(video: VideoRecord, notifyChannel: string | null, quiet = false): VideoRecord {
  return notifyChannel !== null && !quiet ? markNotifiedInStatement(video) : video;
}

// Timing (eta21)
/**
 * `Store.timingBasis`: one call of the SQL function `openv_timing_basis` (migration
 * 20261207120000_admit_video states what it reads, and its indexes, once; a generate's admission
 * returns the same basis for its new video).
 */
const timingBasisSql = `SELECT * FROM openv_timing_basis($1::text[])`;

/** A json/jsonb column's value: parsed by the driver already, or still text (PGlite, a json cast). */
export const parseJson = (value: unknown): unknown => (typeof value === "string" ? JSON.parse(value) : value);

export async function timingBasis(sql: SqlRunner, videoIds: string[]): Promise<TimingBasis> {
  const [row] = await sql(timingBasisSql, [videoIds]);
  return timingBasisFromRow(row);
}

/** A row of `openv_timing_basis` (columns `now`, `videos`, `history`) as a `TimingBasis`. */
export function timingBasisFromRow(row: Record<string, unknown> | undefined): TimingBasis {
  const videos = (parseJson(row?.videos) ?? []) as Record<string, unknown>[];
  const history = (parseJson(row?.history) ?? []) as Record<string, unknown>[];
  return {
    now: toDate(row?.now) ?? new Date(),
    videos: videos.map((video) => ({
      id: String(video.id),
      startedAt: toDate(video.startedAt),
      waitingSince: toDate(video.waitingSince) as Date,
      queuedBefore: Number(video.queuedBefore),
    })),
    history: history.map((sample) => ({
      model: String(sample.model),
      frames: Number(sample.frames),
      width: Number(sample.width),
      height: Number(sample.height),
      renderSeconds: Number(sample.renderSeconds),
      queueSeconds: toNumber(sample.queueSeconds),
    })),
  };
}
