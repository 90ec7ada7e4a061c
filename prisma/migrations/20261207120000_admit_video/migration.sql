-- Timing (eta21): what the ETA of unfinished videos is estimated from (Store.timingBasis), one
-- statement: the database clock; for each asked-for live video its wait start and how many queued
-- live videos of its provider were created before it (index Video(provider, status, createdAt)); the
-- latest 50 finished renders of each model asked about (index Video(model, status, updatedAt)).
-- Used by Store.timingBasis and by openv_admit_video (a new video's answer).
CREATE FUNCTION openv_timing_basis(video_ids text[])
RETURNS TABLE ("now" timestamptz, "videos" json, "history" json) LANGUAGE sql AS $$
WITH subject AS (
  SELECT "id", "provider", "model", "createdAt", "startedAt", "submittedAt"
  FROM "Video" WHERE "id" = ANY(video_ids) AND "deletedAt" IS NULL
)
SELECT
  date_trunc('milliseconds', clock_timestamp()),
  (SELECT coalesce(json_agg(json_build_object(
    'id', s."id",
    'startedAt', s."startedAt",
    'waitingSince', coalesce(s."submittedAt", s."createdAt"),
    'queuedBefore', (
      SELECT count(*) FROM "Video" q
      WHERE q."provider" = s."provider" AND q."status" = 'queued' AND q."deletedAt" IS NULL
        AND (q."createdAt" < s."createdAt" OR (q."createdAt" = s."createdAt" AND q."id" < s."id"))
    )
  )), '[]'::json) FROM subject s),
  (SELECT coalesce(json_agg(json_build_object(
    'model', h."model", 'frames', h."frames", 'width', h."width", 'height', h."height",
    'renderSeconds', h."renderSeconds", 'queueSeconds', h."queueSeconds"
  )), '[]'::json)
  FROM (SELECT DISTINCT "model" FROM subject) m
  CROSS JOIN LATERAL (
    SELECT "model", "frames", "width", "height", "renderSeconds", "queueSeconds" FROM "Video"
    WHERE "model" = m."model" AND "status" = 'completed' AND "renderSeconds" IS NOT NULL
    ORDER BY "updatedAt" DESC LIMIT 50
  ) h)
$$;

-- One round trip per generate request (see packages/server/src/adapters/store/admission.ts).
--
-- openv_admit_video admits a new video and stores it, as one statement. The server decides the
-- video's settings, who is an admin and what the refusals say; the rules that must hold under the
-- user's lock (so that parallel requests can never pass them together) are stated here, once:
--
--   1. the user's row is locked until commit: a user's admissions run one at a time. A user without
--      a row has accepted no terms (TermsAcceptance references User), so is refused below; no row
--      is made for a refusal;
--   2. the change-feed lock is held in shared mode and the clock read (ms precision), as
--      Store.changeFeedTime expects of every change; the key, quota and ledger use this time;
--   3. the Idempotency-Key (`idempotency`, null without one): a live record (not expired) with
--      another fingerprint is `idempotency_conflict`; one whose request the server says ended with
--      the provider refusing it (`settledAction` 'delete' for `settledVideoId`: the key is free)
--      is a new request; one with a stored answer is `replay` (figures: `videoId`, `status`,
--      `body`); one still running (not `done`, not said to have ended, younger than `staleMs`) or
--      without a video is `idempotency_in_progress`; else `replay` of its video as it is now;
--   4. access (`rules.accessCheck`: invite-only server, user not an admin): the stored role must be
--      `user`, else `access_restricted`;
--   5. the current terms version (`rules.termsVersion`) accepted, else `terms_required`;
--   6. live queued or processing videos fewer than `rules.maxActiveJobs`, else
--      `too_many_active_jobs` (figures: `active`);
--   7. the charge. The quota period is the configured window (`rules.limitStart`, `rules.limitEnd`)
--      when it covers the clock, else the calendar month (UTC) — core/config.ts `quotaPeriod` says
--      the same for reads. Seconds policy (`rules.billing` 'seconds'): net seconds charged in the
--      period (at least 0) plus the video's must stay within `rules.limitSeconds` (1e-9 s of float
--      slack), else `quota_exceeded` (figures: `usedSeconds`, `periodEnd`). Credits: a video with
--      a `creditCost` above 0 takes it from the balance only if the balance stays at or above zero,
--      else `insufficient_credits` (figures: `balance`), and the CreditEntry records the balance
--      after. Both policies record the seconds in the UsageEntry ledger (what usage reports);
--   8. the user's next change number, the INSERT of the video (stamped with the clock), its ledger
--      rows, and the key's `running` record (expiring `ttlMs` after the clock);
--   9. the new video's NOTIFY on `notify_channel` (openv_notify_video, migration
--      20261207120100_notify_in_statement; null: the server publishes changes itself).
--
-- A refusal writes nothing. Admitted: `video_row` is the stored row and `figures` the usage after
-- the charge (`usedSeconds`, `balance`, `periodStart`, `periodEnd`) and the new video's timing
-- basis (`timing`, as openv_timing_basis gives it: its place in line, the model's render history),
-- so that the answer needs no further read. Locks are taken user row
-- first, then the change-feed lock, as in every interactive path, so they cannot deadlock.
CREATE FUNCTION openv_admit_video(
  video jsonb,
  rules jsonb,
  idempotency jsonb,
  notify_channel text DEFAULT NULL
) RETURNS TABLE (outcome text, video_row jsonb, figures jsonb) LANGUAGE plpgsql AS $$
DECLARE
  uid text := video->>'userId';
  user_row "User";
  key_row "IdempotencyRecord";
  settled text;
  stamp timestamptz;
  period_start timestamptz;
  period_end timestamptz;
  active_count integer;
  used double precision;
  requested double precision := (video->>'durationSeconds')::double precision;
  price integer := coalesce((video->>'creditCost')::integer, 0);
  balance integer;
  seq bigint;
  inserted "Video";
  timing jsonb;
BEGIN
  -- 1. The user's lock.
  SELECT * INTO user_row FROM "User" WHERE "id" = uid FOR UPDATE;
  -- 2. The change-feed lock and the clock.
  PERFORM pg_advisory_xact_lock_shared(hashtext(uid));
  stamp := date_trunc('milliseconds', clock_timestamp());

  -- 3. The Idempotency-Key.
  IF idempotency IS NOT NULL THEN
    SELECT * INTO key_row FROM "IdempotencyRecord" r WHERE r."userId" = uid AND r."key" = idempotency->>'key';
    IF FOUND AND key_row."expiresAt" > stamp THEN
      IF key_row."fingerprint" <> idempotency->>'fingerprint' THEN
        RETURN QUERY SELECT 'idempotency_conflict'::text, NULL::jsonb, NULL::jsonb;
        RETURN;
      END IF;
      settled := CASE WHEN key_row."videoId" = idempotency->>'settledVideoId' THEN idempotency->>'settledAction' END;
      IF settled IS DISTINCT FROM 'delete' THEN
        IF key_row."state" = 'done' AND key_row."responseStatus" IS NOT NULL THEN
          RETURN QUERY SELECT 'replay'::text, NULL::jsonb, jsonb_build_object(
            'videoId', key_row."videoId", 'status', key_row."responseStatus", 'body', key_row."responseBody");
          RETURN;
        END IF;
        IF key_row."videoId" IS NULL OR (
          key_row."state" <> 'done' AND settled IS DISTINCT FROM 'end'
          AND stamp - key_row."createdAt" < make_interval(secs => (idempotency->>'staleMs')::double precision / 1000)
        ) THEN
          RETURN QUERY SELECT 'idempotency_in_progress'::text, NULL::jsonb, NULL::jsonb;
          RETURN;
        END IF;
        RETURN QUERY SELECT 'replay'::text, NULL::jsonb, jsonb_build_object('videoId', key_row."videoId");
        RETURN;
      END IF;
    END IF;
  END IF;

  -- 4. Access.
  IF (rules->>'accessCheck')::boolean AND user_row."role" IS DISTINCT FROM 'user' THEN
    RETURN QUERY SELECT 'access_restricted'::text, NULL::jsonb, NULL::jsonb;
    RETURN;
  END IF;

  -- 5. Terms.
  IF NOT EXISTS (
    SELECT 1 FROM "TermsAcceptance" t WHERE t."userId" = uid AND t."version" = rules->>'termsVersion'
  ) THEN
    RETURN QUERY SELECT 'terms_required'::text, NULL::jsonb, NULL::jsonb;
    RETURN;
  END IF;

  -- 6. Active jobs.
  SELECT count(*) INTO active_count FROM "Video" v
  WHERE v."userId" = uid AND v."deletedAt" IS NULL AND v."status" IN ('queued', 'processing');
  IF active_count >= (rules->>'maxActiveJobs')::integer THEN
    RETURN QUERY SELECT 'too_many_active_jobs'::text, NULL::jsonb, jsonb_build_object('active', active_count);
    RETURN;
  END IF;

  -- 7. The charge.
  IF stamp >= (rules->>'limitStart')::timestamptz AND stamp < (rules->>'limitEnd')::timestamptz THEN
    period_start := (rules->>'limitStart')::timestamptz;
    period_end := (rules->>'limitEnd')::timestamptz;
  ELSE
    period_start := date_trunc('month', stamp AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    period_end := (date_trunc('month', stamp AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
  END IF;
  SELECT greatest(0, coalesce(sum(u."seconds"), 0)) INTO used FROM "UsageEntry" u
  WHERE u."userId" = uid AND u."chargedAt" >= period_start AND u."chargedAt" < period_end;
  IF rules->>'billing' = 'seconds' AND used + requested > (rules->>'limitSeconds')::double precision + 1e-9 THEN
    RETURN QUERY SELECT 'quota_exceeded'::text, NULL::jsonb,
      jsonb_build_object('usedSeconds', used, 'periodEnd', period_end);
    RETURN;
  END IF;
  balance := coalesce(user_row."credits", 0);
  IF price > 0 THEN
    UPDATE "User" SET "credits" = "credits" - price
    WHERE "id" = uid AND "credits" - price >= 0
    RETURNING "credits" INTO balance;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'insufficient_credits'::text, NULL::jsonb,
        jsonb_build_object('balance', coalesce(user_row."credits", 0));
      RETURN;
    END IF;
  END IF;

  -- 8. The video, numbered and stamped, its ledger rows and its key.
  UPDATE "User" SET "changeSeq" = "changeSeq" + 1 WHERE "id" = uid RETURNING "changeSeq" INTO seq;
  INSERT INTO "Video" (
    "id", "userId", "prompt", "negativePrompt", "model", "status", "frames", "fps", "durationSeconds",
    "width", "height", "seed", "steps", "cfg", "retryCount", "createdAt", "updatedAt", "providerSeenAt",
    "provider", "enhancedPrompt", "inputImageId", "creditCost", "changeSeq", "remixOf"
  )
  SELECT
    n."id", uid, n."prompt", n."negativePrompt", n."model", 'queued', n."frames", n."fps", requested,
    n."width", n."height", n."seed", n."steps", n."cfg", 0, stamp, stamp, stamp,
    n."provider", n."enhancedPrompt", n."inputImageId", n."creditCost", seq, n."remixOf"
  FROM jsonb_populate_record(NULL::"Video", video) n
  RETURNING * INTO inserted;
  -- Ledger rows are created at the time they are written, under the lock (not at the start of the
  -- statement, as now() would say): the credit ledger lists newest first, its balances chaining.
  INSERT INTO "UsageEntry" ("id", "userId", "videoId", "kind", "seconds", "chargedAt", "createdAt")
  VALUES (gen_random_uuid()::text, uid, inserted."id", 'charge', requested, stamp, clock_timestamp());
  IF price > 0 THEN
    INSERT INTO "CreditEntry" ("id", "userId", "delta", "balanceAfter", "reason", "videoId", "actorId", "createdAt")
    VALUES (
      'cre_' || replace(gen_random_uuid()::text, '-', ''), uid, -price, balance, 'generation', inserted."id", NULL,
      clock_timestamp()
    );
  END IF;
  IF idempotency IS NOT NULL THEN
    INSERT INTO "IdempotencyRecord" (
      "userId", "key", "fingerprint", "videoId", "state", "responseStatus", "responseBody", "createdAt", "expiresAt"
    ) VALUES (
      uid, idempotency->>'key', idempotency->>'fingerprint', inserted."id", 'running', NULL, NULL, stamp,
      stamp + make_interval(secs => (idempotency->>'ttlMs')::double precision / 1000)
    )
    ON CONFLICT ("userId", "key") DO UPDATE SET
      "fingerprint" = EXCLUDED."fingerprint", "videoId" = EXCLUDED."videoId", "state" = 'running',
      "responseStatus" = NULL, "responseBody" = NULL, "createdAt" = EXCLUDED."createdAt",
      "expiresAt" = EXCLUDED."expiresAt";
  END IF;

  -- 9. Its NOTIFY, committed with it.
  PERFORM openv_notify_video(notify_channel, inserted);

  SELECT to_jsonb(b) INTO timing FROM openv_timing_basis(ARRAY[inserted."id"]) b;
  RETURN QUERY SELECT 'admitted'::text, to_jsonb(inserted), jsonb_build_object(
    'usedSeconds', used + requested, 'balance', balance, 'periodStart', period_start, 'periodEnd', period_end,
    'timing', timing);
END;
$$;

