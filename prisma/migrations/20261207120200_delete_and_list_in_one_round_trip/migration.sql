-- Deletion in one round trip, and a page of the change feed in one statement (issue 17). The
-- TypeScript that calls these: packages/server/src/adapters/store/deletion.ts and list.ts.

-- openv_refund_video gives back what video `video_id` of `user_id` was charged, once. This is the
-- one statement of the refund arithmetic: core/billing.ts (`BillingPolicy.refund`, both policies)
-- and openv_delete_videos call it.
--   * Seconds ledger (both policies keep it): a `refund` entry of minus the `charge` entry's
--     seconds, dated in the charge's period (`chargedAt`), unless the video has a refund already.
--   * Credits (`with_credits`, the credits policy): what the video's ledger entries charged minus
--     what they refunded, when above zero, added to the balance with a `refund` ledger entry (its
--     `balanceAfter` the new balance). The UPDATE locks the user's row, like every balance change.
-- Ids are made as core/billing.ts makes them (a UUID; `cre_` and a UUID without dashes).
CREATE FUNCTION openv_refund_video(video_id text, user_id text, with_credits boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  owed bigint;
  balance integer;
BEGIN
  INSERT INTO "UsageEntry" ("id", "userId", "videoId", "kind", "seconds", "chargedAt")
  SELECT gen_random_uuid()::text, user_id, c."videoId", 'refund'::"UsageEntryKind", -c."seconds", c."chargedAt"
  FROM "UsageEntry" c
  WHERE c."videoId" = video_id AND c."kind" = 'charge'
    AND NOT EXISTS (SELECT 1 FROM "UsageEntry" r WHERE r."videoId" = video_id AND r."kind" = 'refund');
  IF NOT with_credits THEN
    RETURN;
  END IF;
  SELECT coalesce(sum(-"delta") FILTER (WHERE "delta" < 0), 0) - coalesce(sum("delta") FILTER (WHERE "delta" > 0), 0)
  INTO owed FROM "CreditEntry" WHERE "videoId" = video_id;
  IF owed <= 0 THEN
    RETURN;
  END IF;
  UPDATE "User" SET "credits" = "credits" + owed::integer
  WHERE "id" = user_id AND "credits" + owed::integer >= 0
  RETURNING "credits" INTO balance;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  INSERT INTO "CreditEntry" ("id", "userId", "delta", "balanceAfter", "reason", "videoId", "actorId")
  VALUES ('cre_' || replace(gen_random_uuid()::text, '-', ''), user_id, owed::integer, balance, 'refund', video_id, NULL);
END;
$$;

-- openv_delete_videos deletes the user's live videos whose id is in `ids` or whose job id is in
-- `job_ids`, as one statement (what core/deletion.ts did in an interactive transaction):
--   1. locks them in id order (two deletions of overlapping sets cannot deadlock; the video rows
--      come first, then the user row, then the change-feed lock, as every other change takes them),
--   2. takes the user's next change numbers, one per video in id order (the User row stays locked
--      until commit: a user's numbers commit in order and without gaps),
--   3. holds the user's change-feed lock in shared mode and reads the clock (ms precision), as
--      Store.changeFeedTime expects of every change,
--   4. refunds each one that is not completed (openv_refund_video; `refund_credits`: the credits
--      policy),
--   5. queues `outbox` (when not null: outbound webhooks are on) once per video: its payload with
--      `timestamp`, `data.id` and `data.deletedAt` filled in (the shape is core/transitions.ts's),
--      under a new Standard Webhooks id (`msg_` and 16 random bytes in base64url, as
--      core/transitions.ts's newOutboxMessageId makes them),
--   6. stamps `deletedAt` and `updatedAt` with the clock and sets the change numbers,
--   7. notifies each tombstone on `notify_channel`, in change order (openv_notify_video, migration
--      20261207120100_notify_in_statement; null: no NOTIFY, events are published in process),
-- and returns the tombstones in change order (none when nothing matched).
CREATE FUNCTION openv_delete_videos(
  user_id text,
  ids text[],
  job_ids text[],
  refund_credits boolean,
  outbox jsonb,
  notify_channel text DEFAULT NULL
) RETURNS SETOF "Video" LANGUAGE plpgsql AS $$
DECLARE
  victims text[];
  tombstone "Video";
  first_seq bigint;
  stamp timestamptz;
  stamp_text text;
  victim text;
BEGIN
  SELECT array_agg(locked."id" ORDER BY locked."id") INTO victims FROM (
    SELECT "id" FROM "Video"
    WHERE "userId" = user_id AND "deletedAt" IS NULL AND ("id" = ANY(ids) OR "jobId" = ANY(job_ids))
    ORDER BY "id" FOR UPDATE
  ) locked;
  IF victims IS NULL THEN
    RETURN;
  END IF;
  UPDATE "User" SET "changeSeq" = "changeSeq" + cardinality(victims)
  WHERE "id" = user_id
  RETURNING "changeSeq" - cardinality(victims) + 1 INTO first_seq;
  PERFORM pg_advisory_xact_lock_shared(hashtext(user_id));
  stamp := date_trunc('milliseconds', clock_timestamp());
  FOR victim IN
    SELECT "id" FROM "Video" WHERE "id" = ANY(victims) AND "status" <> 'completed' ORDER BY "id"
  LOOP
    PERFORM openv_refund_video(victim, user_id, refund_credits);
  END LOOP;
  IF outbox IS NOT NULL THEN
    stamp_text := to_char(stamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    INSERT INTO "OutboxMessage" ("id", "eventType", "payload", "nextAttemptAt")
    SELECT
      'msg_' || rtrim(translate(encode(decode(replace(gen_random_uuid()::text, '-', ''), 'hex'), 'base64'), '+/', '-_'), '='),
      outbox->>'eventType',
      jsonb_set(
        jsonb_set(jsonb_set(outbox->'payload', '{timestamp}', to_jsonb(stamp_text)), '{data,id}', to_jsonb(t.id)),
        '{data,deletedAt}',
        to_jsonb(stamp_text)
      ),
      stamp
    FROM unnest(victims) WITH ORDINALITY AS t(id, n)
    ORDER BY t.n;
  END IF;
  UPDATE "Video" v SET "deletedAt" = stamp, "updatedAt" = stamp, "changeSeq" = first_seq + t.n - 1
  FROM unnest(victims) WITH ORDINALITY AS t(id, n)
  WHERE v."id" = t.id;
  FOR tombstone IN SELECT * FROM "Video" WHERE "id" = ANY(victims) ORDER BY "changeSeq" LOOP
    PERFORM openv_notify_video(notify_channel, tombstone);
    RETURN NEXT tombstone;
  END LOOP;
END;
$$;

-- openv_list_videos reads one page of the user's videos with the change feed's time, as one
-- statement (what Store.changeFeedTime and a list read were, two round trips):
--   1. takes the user's change-feed lock exclusively: it waits for every transaction stamping a
--      change of the user's videos (they hold it shared) and keeps new ones out until this
--      statement ends,
--   2. reads the clock: `serverTime` is that less 1 ms (stamps are truncated to ms, so a change
--      stamped in the same millisecond after the lock is released is still later than it),
--   3. reads the page with a snapshot taken after the lock (in READ COMMITTED every statement of a
--      VOLATILE function takes its own), so every change stamped at or before `serverTime` is in it.
-- With `since` null: the live videos newest first (index Video(userId, createdAt DESC, id DESC)),
-- after the cursor (`cursor_at`, `cursor_id`) in that order. With `since`: every video changed
-- after it, tombstones too, oldest change first (index Video(userId, updatedAt)), after the cursor.
-- The page comes back as a JSON array of rows (`videos`): one row answers even an empty page.
CREATE FUNCTION openv_list_videos(
  user_id text,
  since timestamptz,
  page_size integer,
  cursor_at timestamptz,
  cursor_id text
) RETURNS TABLE ("serverTime" timestamptz, "videos" json) LANGUAGE plpgsql AS $$
DECLARE
  stamp timestamptz;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(user_id));
  stamp := date_trunc('milliseconds', clock_timestamp()) - interval '1 millisecond';
  IF since IS NULL THEN
    RETURN QUERY
    SELECT stamp, coalesce(json_agg(page ORDER BY page."createdAt" DESC, page."id" DESC), '[]'::json)
    FROM (
      SELECT * FROM "Video"
      WHERE "userId" = user_id AND "deletedAt" IS NULL
        AND "createdAt" <= coalesce(cursor_at, 'infinity'::timestamptz)
        AND (cursor_at IS NULL OR "createdAt" < cursor_at OR "id" < cursor_id)
      ORDER BY "createdAt" DESC, "id" DESC
      LIMIT page_size
    ) page;
  ELSE
    RETURN QUERY
    SELECT stamp, coalesce(json_agg(page ORDER BY page."updatedAt", page."id"), '[]'::json)
    FROM (
      SELECT * FROM "Video"
      WHERE "userId" = user_id AND "updatedAt" > since
        AND "updatedAt" >= coalesce(cursor_at, since)
        AND (cursor_at IS NULL OR "updatedAt" > cursor_at OR "id" > cursor_id)
      ORDER BY "updatedAt", "id"
      LIMIT page_size
    ) page;
  END IF;
END;
$$;
