// The floor: the least any server could do for the same requests. A bare Fastify app (the same
// Fastify as @openv/server) with a `pg` Pool of 10 (what @prisma/adapter-pg pools underneath, at
// the reference server's default size) doing one statement per request: an INSERT of a video row
// into a copy of the Video table (same columns and indexes), or the indexed SELECT of an
// incremental list. No auth, validation, logging or transactions.
import { randomBytes } from "node:crypto";
import Fastify from "fastify";
import pg from "pg";

const pool = new pg.Pool({ connectionString: process.env.FLOOR_DATABASE_URL, max: 10 });
const app = Fastify({ logger: false });

interface GenerateBody {
  prompt?: string;
  frames?: number;
  width?: number;
  height?: number;
  steps?: number;
  cfg?: number;
}

const userOf = (headers: Record<string, unknown>) => String(headers["x-openv-user"] ?? "dev-user");

app.post("/videos", async (request, reply) => {
  const body = (request.body ?? {}) as GenerateBody;
  const frames = body.frames ?? 31;
  const { rows } = await pool.query(
    `INSERT INTO floor_video ("id", "userId", "prompt", "model", "status", "frames", "fps", "durationSeconds",
       "width", "height", "steps", "cfg", "retryCount", "createdAt", "updatedAt", "providerSeenAt")
     VALUES ($1, $2, $3, 'mochi-1', 'queued', $4, 30, $5, $6, $7, $8, $9, 0, now(), now(), now())
     RETURNING *`,
    [
      `vid_${randomBytes(12).toString("base64url")}`,
      userOf(request.headers),
      body.prompt ?? "",
      frames,
      frames / 30,
      body.width ?? 848,
      body.height ?? 480,
      body.steps ?? 64,
      body.cfg ?? 4.5,
    ],
  );
  return reply.status(202).send({ video: rows[0] });
});

app.get("/videos", async (request) => {
  const { updatedSince } = request.query as { updatedSince?: string };
  const { rows } = await pool.query(
    `SELECT * FROM "Video" WHERE "userId" = $1 AND "updatedAt" > $2 ORDER BY "updatedAt", "id" LIMIT 51`,
    [userOf(request.headers), new Date(Number(updatedSince ?? 0))],
  );
  return { videos: rows.slice(0, 50), serverTime: Date.now(), nextCursor: null };
});

app.get("/health", async () => ({ status: "ok" }));

await app.listen({ port: 0, host: "127.0.0.1" });
const { port } = app.server.address() as { port: number };
process.send?.({ type: "ready", url: `http://127.0.0.1:${port}` });

process.once("SIGTERM", () => {
  void app.close().then(() => pool.end().then(() => process.exit(0)));
});
