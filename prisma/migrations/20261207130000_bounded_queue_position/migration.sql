-- Issue 17: the place in line counts at most 1,000 videos ahead.
--
-- openv_timing_basis (20261207120000_admit_video) counted every queued video of the provider
-- created before the subject. Every generate pays that count (the admission returns the new
-- video's place in line), so a deep queue made each admission slower than the last: with a few
-- thousand jobs waiting for one provider it was 2.9 ms of PostgreSQL's time out of the
-- admission's 4.5 ms (pg_stat_statements, `pnpm bench`). The count now stops at 1,000: a video
-- with 1,000 or more ahead of it reads 1,000, whatever the queue's depth, and the cost of an
-- admission no longer grows with it. Positions below 1,000 are exact, as before.
CREATE OR REPLACE FUNCTION openv_timing_basis(video_ids text[])
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
      SELECT count(*) FROM (
        SELECT 1 FROM "Video" q
        WHERE q."provider" = s."provider" AND q."status" = 'queued' AND q."deletedAt" IS NULL
          AND (q."createdAt" < s."createdAt" OR (q."createdAt" = s."createdAt" AND q."id" < s."id"))
        LIMIT 1000
      ) ahead
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
