-- Issue 17: a change and its NOTIFY in one statement, and group commit of job updates.
--
-- openv_notify_video(channel, v) sends the change of video row `v` to the LISTEN side of
-- packages/server/src/adapters/events/postgres.ts on `channel`, in the transaction of the statement
-- that calls it (so listeners hear it if and only if the change commits, in commit order). A null
-- channel does nothing: the embedded PGlite default delivers changes in process (memory events).
-- Call it from any SQL function that makes a visible change, with the row after the change:
--
--   PERFORM openv_notify_video(notify_channel, after_row);
--
-- The payload is the text `2:` followed by JSON: {"u": userId, "s": changeSeq, "r": the row as
-- row_to_json writes it} when that stays under PostgreSQL's 8,000-byte NOTIFY limit, else the small
-- reference {"u": userId, "s": changeSeq, "v": video id}, which the listener resolves with one read.
-- The public change shape is made from the row in TypeScript (videoFromRow, then toChange), once.
CREATE FUNCTION openv_notify_video(channel text, v "Video") RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  body text;
BEGIN
  IF channel IS NULL OR v IS NULL THEN
    RETURN;
  END IF;
  body := '2:' || json_build_object('u', v."userId", 's', v."changeSeq", 'r', row_to_json(v))::text;
  IF octet_length(body) >= 8000 THEN
    body := '2:' || json_build_object('u', v."userId", 's', v."changeSeq", 'v', v."id")::text;
  END IF;
  PERFORM pg_notify(channel, body);
END;
$$;

-- openv_apply_video_change (migrations 20261207004500 and 20261207100100) as before, plus
-- `notify_channel`: a visible (not quiet) change is notified on it with openv_notify_video, in the
-- same statement. Null (the default, so five-argument calls keep working): no NOTIFY.
DROP FUNCTION openv_apply_video_change(text, bigint, jsonb, boolean, jsonb);
CREATE FUNCTION openv_apply_video_change(
  video_id text,
  expected_seq bigint,
  patch jsonb,
  quiet boolean,
  outbox jsonb,
  notify_channel text DEFAULT NULL
) RETURNS SETOF "Video" LANGUAGE plpgsql AS $$
DECLARE
  current_row "Video";
  after_row "Video";
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
  UPDATE "Video" SET
    "jobId" = CASE WHEN patch ? 'jobId' THEN patch->>'jobId' ELSE "jobId" END,
    "status" = CASE WHEN patch ? 'status' THEN (patch->>'status')::"VideoStatus" ELSE "status" END,
    "progress" = CASE WHEN patch ? 'progress' THEN (patch->>'progress')::double precision ELSE "progress" END,
    "url" = CASE WHEN patch ? 'url' THEN patch->>'url' ELSE "url" END,
    "storageKey" = CASE WHEN patch ? 'storageKey' THEN patch->>'storageKey' ELSE "storageKey" END,
    "errorCode" = CASE WHEN patch ? 'errorCode' THEN patch->>'errorCode' ELSE "errorCode" END,
    "errorMessage" = CASE WHEN patch ? 'errorMessage' THEN patch->>'errorMessage' ELSE "errorMessage" END,
    "retryCount" = CASE WHEN patch ? 'retryCount' THEN (patch->>'retryCount')::integer ELSE "retryCount" END,
    "submittedAt" = CASE WHEN patch ? 'submittedAt' THEN (patch->>'submittedAt')::timestamptz ELSE "submittedAt" END,
    "startedAt" = CASE WHEN patch ? 'startedAt' THEN (patch->>'startedAt')::timestamptz ELSE "startedAt" END,
    "queueSeconds" = CASE WHEN patch ? 'queueSeconds' THEN (patch->>'queueSeconds')::double precision ELSE "queueSeconds" END,
    "renderSeconds" = CASE WHEN patch ? 'renderSeconds' THEN (patch->>'renderSeconds')::double precision ELSE "renderSeconds" END,
    "providerSeenAt" = stamp,
    "updatedAt" = CASE WHEN quiet THEN "updatedAt" ELSE stamp END,
    "changeSeq" = seq
  WHERE "id" = video_id
  RETURNING * INTO after_row;
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
  IF NOT quiet THEN
    PERFORM openv_notify_video(notify_channel, after_row);
  END IF;
  RETURN NEXT after_row;
END;
$$;

-- Group commit: several job updates in one statement and transaction (Store.applyJobUpdate's
-- batcher, packages/server/src/adapters/store/job-update-batch.ts). `changes` is a JSON array of
-- {"videoId", "expectedSeq", "patch", "quiet", "outbox"} (the arguments of openv_apply_video_change).
-- It first locks every video named, then every owner's User row, each set in id order, so that
-- batches running at the same time (and single changes, which lock a video and then its user)
-- cannot deadlock; then applies each change with openv_apply_video_change in a subtransaction of
-- its own. One row per change, `ord` its index in `changes` (from 0): `video` the row after it as
-- JSON (null: the video is gone or changed since it was read), or `failed` the error that undid that
-- change alone (the others still commit).
CREATE FUNCTION openv_apply_video_changes(changes jsonb, notify_channel text DEFAULT NULL)
RETURNS TABLE (ord integer, video json, failed text) LANGUAGE plpgsql AS $$
DECLARE
  change jsonb;
  i integer;
  after_row "Video";
BEGIN
  PERFORM 1 FROM "Video"
  WHERE "id" IN (SELECT c->>'videoId' FROM jsonb_array_elements(changes) c)
  ORDER BY "id" FOR UPDATE;
  PERFORM 1 FROM "User"
  WHERE "id" IN (
    SELECT "userId" FROM "Video" WHERE "id" IN (SELECT c->>'videoId' FROM jsonb_array_elements(changes) c)
  )
  ORDER BY "id" FOR UPDATE;
  FOR change, i IN SELECT e.value, (e.ordinality - 1)::integer FROM jsonb_array_elements(changes) WITH ORDINALITY e LOOP
    ord := i;
    video := NULL;
    failed := NULL;
    BEGIN
      SELECT * INTO after_row FROM openv_apply_video_change(
        change->>'videoId',
        (change->>'expectedSeq')::bigint,
        change->'patch',
        (change->>'quiet')::boolean,
        CASE WHEN jsonb_typeof(change->'outbox') = 'object' THEN change->'outbox' ELSE NULL END,
        notify_channel
      );
      IF FOUND THEN
        video := row_to_json(after_row);
      END IF;
    EXCEPTION WHEN OTHERS THEN
      failed := SQLERRM;
    END;
    RETURN NEXT;
  END LOOP;
END;
$$;
