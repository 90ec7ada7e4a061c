import type { AdmissionOutcome, AdmissionRequest, AdmissionStore } from "../../core/ports.js";
import { dateOf, notifiedRow, parseJson, type SqlRunner, timingBasisFromRow, videoFromRow } from "./operations.js";

// The generate request's admission as one round trip (issue 17): one call of the SQL function
// `openv_admit_video` (migration 20261207120000_admit_video states its rules and locks once), and
// the keyed answer stored in one statement. Plain SQL over the driver, as operations.ts says why.

/** The new video's columns the function reads (the rest it stamps or leaves at their defaults). */
function videoColumns(video: AdmissionRequest["video"]): Record<string, unknown> {
  return {
    id: video.id,
    userId: video.userId,
    prompt: video.prompt,
    negativePrompt: video.negativePrompt,
    model: video.model,
    frames: video.frames,
    fps: video.fps,
    durationSeconds: video.durationSeconds,
    width: video.width,
    height: video.height,
    seed: video.seed,
    steps: video.steps,
    cfg: video.cfg,
    provider: video.provider,
    enhancedPrompt: video.enhancedPrompt,
    inputImageId: video.inputImageId,
    creditCost: video.creditCost,
    remixOf: video.remixOf,
  };
}

/**
 * `Store.admitAndInsertVideo`: one `SELECT` of `openv_admit_video`, which also NOTIFYs the new video
 * on `notifyChannel` when there is one (the returned row is then marked notified).
 */
export async function admitAndInsertVideo(
  sql: SqlRunner,
  request: AdmissionRequest,
  notifyChannel: string | null,
): Promise<AdmissionOutcome> {
  const { rules, idempotency } = request;
  const [row] = await sql(`SELECT * FROM openv_admit_video($1::jsonb, $2::jsonb, $3::jsonb, $4::text)`, [
    JSON.stringify(videoColumns(request.video)),
    JSON.stringify({
      accessCheck: rules.accessCheck,
      termsVersion: rules.termsVersion,
      maxActiveJobs: rules.maxActiveJobs,
      billing: rules.billing,
      limitSeconds: rules.limitSeconds,
      limitStart: rules.limitWindow?.start.toISOString() ?? null,
      limitEnd: rules.limitWindow?.end.toISOString() ?? null,
    }),
    idempotency &&
      JSON.stringify({
        key: idempotency.key,
        fingerprint: idempotency.fingerprint,
        ttlMs: idempotency.ttlMs,
        staleMs: idempotency.staleMs,
        settledVideoId: idempotency.settled?.videoId ?? null,
        settledAction: idempotency.settled?.action ?? null,
      }),
    notifyChannel,
  ]);
  if (!row) throw new Error("openv_admit_video returned no row");
  const figures = (parseJson(row.figures) ?? {}) as Record<string, unknown>;
  const outcome = row.outcome as AdmissionOutcome["kind"];
  switch (outcome) {
    case "admitted":
      return {
        kind: "admitted",
        video: notifiedRow(videoFromRow(parseJson(row.video_row) as Record<string, unknown>), notifyChannel),
        usage: {
          usedSeconds: Number(figures.usedSeconds),
          balance: Number(figures.balance),
          periodStart: dateOf(figures.periodStart),
          periodEnd: dateOf(figures.periodEnd),
        },
        timing: timingBasisFromRow(figures.timing as Record<string, unknown> | undefined),
      };
    case "too_many_active_jobs":
      return { kind: outcome, active: Number(figures.active) };
    case "quota_exceeded":
      return { kind: outcome, usedSeconds: Number(figures.usedSeconds), periodEnd: dateOf(figures.periodEnd) };
    case "insufficient_credits":
      return { kind: outcome, balance: Number(figures.balance) };
    case "replay": {
      const status = figures.status;
      return {
        kind: "replay",
        videoId: (figures.videoId as string | null | undefined) ?? null,
        stored: status === undefined || status === null ? null : { status: Number(status), body: figures.body },
      };
    }
    case "access_restricted":
    case "terms_required":
    case "idempotency_conflict":
    case "idempotency_in_progress":
      return { kind: outcome };
    default:
      throw new Error(`openv_admit_video answered an unknown outcome: ${String(outcome)}`);
  }
}

/** `Store.storeIdempotentAnswer`: one `UPDATE`, on the record of the video the request made. */
export async function storeIdempotentAnswer(
  sql: SqlRunner,
  answer: Parameters<AdmissionStore["storeIdempotentAnswer"]>[0],
): Promise<void> {
  await sql(
    `UPDATE "IdempotencyRecord" SET "state" = 'done', "responseStatus" = $4::int, "responseBody" = $5::jsonb
     WHERE "userId" = $1 AND "key" = $2 AND "videoId" = $3`,
    [answer.userId, answer.key, answer.videoId, answer.status, JSON.stringify(answer.body)],
  );
}
