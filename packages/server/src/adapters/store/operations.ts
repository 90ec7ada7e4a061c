import { markNotifiedInStatement } from "../../core/notified-changes.js";
import type { JobUpdateChange, TimingBasis, VideoPreviewFields, VideoRecord } from "../../core/ports.js";

// The store's hot-path operations as plain SQL over the driver itself (a `pg` Pool, or the PGlite
// instance), one round trip each. Why not Prisma for these: the bench's store-overhead tool
// measures a Prisma 7 `findUnique` at ~1.06 ms of CPU against ~0.32 ms for the same statement
// through `pg`, and an interactive transaction costs a round trip per statement plus BEGIN and
// COMMIT. Prisma keeps the schema, the migrations and the cold paths.

/** Runs one parameterised statement and returns its rows (a `pg` Pool's or PGlite's `query`). */
export type SqlRunner = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

const toDate = (value: unknown): Date | null =>
  value === null || value === undefined ? null : value instanceof Date ? value : new Date(String(value));

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
 * `Store.timingBasis`: one statement. It counts the provider's queued live videos created before
 * each video (index `Video(provider, status, createdAt)`); the history is the
 * latest 50 finished renders of each model asked about (index `Video(model, status, updatedAt)`).
 */
const timingBasisSql = `
WITH subject AS (
  SELECT "id", "provider", "model", "createdAt", "startedAt", "submittedAt"
  FROM "Video" WHERE "id" = ANY($1::text[]) AND "deletedAt" IS NULL
)
SELECT
  date_trunc('milliseconds', clock_timestamp()) AS "now",
  (SELECT coalesce(json_agg(json_build_object(
    'id', s."id",
    'startedAt', s."startedAt",
    'waitingSince', coalesce(s."submittedAt", s."createdAt"),
    'queuedBefore', (
      SELECT count(*) FROM "Video" q
      WHERE q."provider" = s."provider" AND q."status" = 'queued' AND q."deletedAt" IS NULL
        AND (q."createdAt" < s."createdAt" OR (q."createdAt" = s."createdAt" AND q."id" < s."id"))
    )
  )), '[]'::json) FROM subject s) AS "videos",
  (SELECT coalesce(json_agg(json_build_object(
    'model', h."model", 'frames', h."frames", 'width', h."width", 'height', h."height",
    'renderSeconds', h."renderSeconds", 'queueSeconds', h."queueSeconds"
  )), '[]'::json)
  FROM (SELECT DISTINCT "model" FROM subject) m
  CROSS JOIN LATERAL (
    SELECT "model", "frames", "width", "height", "renderSeconds", "queueSeconds" FROM "Video"
    WHERE "model" = m."model" AND "status" = 'completed' AND "renderSeconds" IS NOT NULL
    ORDER BY "updatedAt" DESC LIMIT 50
  ) h) AS "history"`;

const parseJson = (value: unknown): unknown => (typeof value === "string" ? JSON.parse(value) : value);

export async function timingBasis(sql: SqlRunner, videoIds: string[]): Promise<TimingBasis> {
  const [row] = await sql(timingBasisSql, [videoIds]);
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
