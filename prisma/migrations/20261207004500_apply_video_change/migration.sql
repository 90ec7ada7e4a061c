-- One round trip per job update (see packages/server/src/adapters/store/operations.ts).
--
-- openv_apply_video_change applies a change the server decided from the video row it read, as one
-- statement: it locks the video, and only when the video is still at the change number the
-- decision was made from (`expected_seq`; every visible change takes a new one) it
--   1. takes the user's next change number (the User row stays locked until commit, so a user's
--      numbers commit in order and without gaps) unless the change is quiet,
--   2. holds the user's change-feed lock in shared mode and reads the clock (ms precision), as
--      Store.changeFeedTime expects of every change,
--   3. applies the patch (keys present in `patch` are set, absent ones kept), stamping
--      providerSeenAt and, unless quiet, updatedAt and changeSeq,
--   4. queues the outbound webhook `outbox` (if any), its `timestamp` and `data.updatedAt` set to
--      the change's time,
-- and returns the row after. No row: the video is gone or changed since it was read (the caller
-- reads it again and decides again). Locks are taken in the order the interactive path takes
-- them (video row, user row, change-feed lock), so the two paths cannot deadlock each other.
CREATE FUNCTION openv_apply_video_change(
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
