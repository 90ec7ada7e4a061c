-- Timing (issue 21, eta21): when the current attempt started rendering, how long it waited for a
-- worker and how long it rendered (the provider's delayTime/executionTime where it reports them,
-- else measured by the server). The ETA estimator reads finished videos' renderSeconds per model.
ALTER TABLE "Video" ADD COLUMN "startedAt" TIMESTAMPTZ(6);
ALTER TABLE "Video" ADD COLUMN "queueSeconds" DOUBLE PRECISION;
ALTER TABLE "Video" ADD COLUMN "renderSeconds" DOUBLE PRECISION;

-- The estimator's history: the latest finished renders of a model.
CREATE INDEX "Video_model_status_updatedAt_idx" ON "Video"("model", "status", "updatedAt");
-- Queue positions: a provider's queued videos in creation order.
CREATE INDEX "Video_provider_status_createdAt_idx" ON "Video"("provider", "status", "createdAt");

-- openv_apply_video_change (migration 20261207004500) as before, now also setting the three timing
-- columns when the patch names them.
CREATE OR REPLACE FUNCTION openv_apply_video_change(
  video_id text,
  expected_seq bigint,
  patch jsonb,
  quiet boolean,
  outbox jsonb
) RETURNS SETOF "Video" LANGUAGE plpgsql AS $$
DECLARE
  current_row "Video";
  seq bigint;
  stamp timestamptz;
  stamp_text text;
BEGIN
  SELECT * INTO current_row FROM "Video" WHERE "id" = video_id FOR UPDATE;
  IF NOT FOUND OR current_row."changeSeq" <> expected_seq THEN
    RETURN;
  END IF;
  IF quiet THEN
    seq := current_row."changeSeq";
  ELSE
    UPDATE "User" SET "changeSeq" = "changeSeq" + 1 WHERE "id" = current_row."userId" RETURNING "changeSeq" INTO seq;
  END IF;
  PERFORM pg_advisory_xact_lock_shared(hashtext(current_row."userId"));
  stamp := date_trunc('milliseconds', clock_timestamp());
  RETURN QUERY UPDATE "Video" SET
    "jobId" = CASE WHEN patch ? 'jobId' THEN patch->>'jobId' ELSE "jobId" END,
    "status" = CASE WHEN patch ? 'status' THEN (patch->>'status')::"VideoStatus" ELSE "status" END,
    "progress" = CASE WHEN patch ? 'progress' THEN (patch->>'progress')::double precision ELSE "progress" END,
    "url" = CASE WHEN patch ? 'url' THEN patch->>'url' ELSE "url" END,
    "storageKey" = CASE WHEN patch ? 'storageKey' THEN patch->>'storageKey' ELSE "storageKey" END,
    "errorCode" = CASE WHEN patch ? 'errorCode' THEN patch->>'errorCode' ELSE "errorCode" END,
    "errorMessage" = CASE WHEN patch ? 'errorMessage' THEN patch->>'errorMessage' ELSE "errorMessage" END,
    "retryCount" = CASE WHEN patch ? 'retryCount' THEN (patch->>'retryCount')::integer ELSE "retryCount" END,
    "submittedAt" = CASE WHEN patch ? 'submittedAt' THEN (patch->>'submittedAt')::timestamptz ELSE "submittedAt" END,
    -- Timing (eta21, 20261207100100_video_timing)
    "startedAt" = CASE WHEN patch ? 'startedAt' THEN (patch->>'startedAt')::timestamptz ELSE "startedAt" END,
    "queueSeconds" = CASE WHEN patch ? 'queueSeconds' THEN (patch->>'queueSeconds')::double precision ELSE "queueSeconds" END,
    "renderSeconds" = CASE WHEN patch ? 'renderSeconds' THEN (patch->>'renderSeconds')::double precision ELSE "renderSeconds" END,
    "providerSeenAt" = stamp,
    "updatedAt" = CASE WHEN quiet THEN "updatedAt" ELSE stamp END,
    "changeSeq" = seq
  WHERE "id" = video_id
  RETURNING *;
  IF outbox IS NOT NULL THEN
    stamp_text := to_char(stamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    INSERT INTO "OutboxMessage" ("id", "eventType", "payload", "nextAttemptAt")
    VALUES (
      outbox->>'id',
      outbox->>'eventType',
      jsonb_set(
        jsonb_set(outbox->'payload', '{timestamp}', to_jsonb(stamp_text)),
        '{data,updatedAt}',
        to_jsonb(stamp_text)
      ),
      stamp
    );
  END IF;
END;
$$;
