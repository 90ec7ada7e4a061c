-- Issue 17: a batch of job updates locks its owners by key.
--
-- openv_apply_video_changes (20261207120100_notify_in_statement) locked the owners' User rows with
-- `"id" IN (SELECT "userId" FROM "Video" WHERE "id" IN (SELECT … FROM jsonb_array_elements(changes)))`.
-- PL/pgSQL plans that once for any `changes`, guessing 100 elements, and PostgreSQL chose a hash
-- semi-join over a sequential scan of "User": every batch of webhooks read the whole user table
-- (auto_explain in `pnpm bench`'s database: 0.45 ms for 1,000 users; it grows with the users). The
-- video ids now go in an array first and the videos are locked with `= ANY(array)` (a primary-key
-- scan), and each owner with its own primary-key probe, in id order (`= ANY` over a small "User"
-- still chose the sequential scan). Everything else is as before: videos, then users, each in id
-- order; each change in its own subtransaction.
CREATE OR REPLACE FUNCTION openv_apply_video_changes(changes jsonb, notify_channel text DEFAULT NULL)
RETURNS TABLE (ord integer, video json, failed text) LANGUAGE plpgsql AS $$
DECLARE
  change jsonb;
  i integer;
  after_row "Video";
  video_ids text[] := ARRAY(SELECT DISTINCT c->>'videoId' FROM jsonb_array_elements(changes) c);
  owner text;
BEGIN
  PERFORM 1 FROM "Video" WHERE "id" = ANY(video_ids) ORDER BY "id" FOR UPDATE;
  FOR owner IN SELECT DISTINCT "userId" FROM "Video" WHERE "id" = ANY(video_ids) ORDER BY "userId" LOOP
    PERFORM 1 FROM "User" WHERE "id" = owner FOR UPDATE;
  END LOOP;
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
