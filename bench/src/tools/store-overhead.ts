// What one database statement costs the server's process through its Store (Prisma 7's client
// over @prisma/adapter-pg, exactly as the reference server builds it) and through a bare `pg` Pool,
// on the bench's seeded 10 k-video database: CPU time of this process and wall time per operation,
// one at a time and 10 at a time. Evidence for "what bounds" in docs/benchmarks.md.
//   pnpm --filter @openv/bench store-overhead [iterations]
import { createPostgresStore } from "@openv/server";
import pg from "pg";
import { openPostgres } from "../postgres.js";
import { createProgress } from "../progress.js";

const iterations = Number(process.argv[2] ?? 2_000);
const database = "openv_bench_list_10000";
const user = "bench-list-user";

interface Cost {
  cpuMs: number;
  wallMs: number;
}

async function costOf(concurrency: number, operation: (index: number) => Promise<unknown>): Promise<Cost> {
  for (let index = 0; index < 200; index++) await operation(index); // warm-up (JIT, pool, plan caches)
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < iterations) await operation(next++);
    }),
  );
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000 / iterations, wallMs: wallMs / iterations };
}

async function main(): Promise<void> {
  const progress = createProgress();
  const postgres = await openPostgres(progress);
  try {
    const url = postgres.url(database);
    const store = await createPostgresStore({ connectionString: url });
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    const ids = (
      await pool.query<{ id: string }>(`SELECT "id" FROM "Video" WHERE "userId" = $1 LIMIT 1000`, [user])
    ).rows.map((row) => row.id);
    if (ids.length === 0) throw new Error(`${database} is not seeded: run pnpm bench --only list first`);
    const id = (index: number) => ids[index % ids.length] as string;

    const operations: [string, (index: number) => Promise<unknown>][] = [
      ["pg: SELECT a video by id (1 statement)", (i) => pool.query(`SELECT * FROM "Video" WHERE "id" = $1`, [id(i)])],
      ["store.getVideoById: Prisma findUnique (1 statement)", (i) => store.getVideoById(id(i))],
      [
        "pg: BEGIN; SELECT … FOR UPDATE; SELECT *; COMMIT (4)",
        async (i) => {
          const client = await pool.connect();
          try {
            await client.query("BEGIN");
            await client.query(`SELECT "id" FROM "Video" WHERE "id" = $1 FOR UPDATE`, [id(i)]);
            await client.query(`SELECT * FROM "Video" WHERE "id" = $1`, [id(i)]);
            await client.query("COMMIT");
          } finally {
            client.release();
          }
        },
      ],
      [
        "store.transaction(lockVideo): the same 4 through Prisma",
        (i) => store.transaction((tx) => tx.lockVideo(id(i))),
      ],
      ["store.changeFeedTime: BEGIN; advisory lock + clock; COMMIT (3)", () => store.changeFeedTime(user)],
    ];
    const rows: string[] = [];
    for (const [name, operation] of operations) {
      for (const concurrency of [1, 10]) {
        progress.detail(`${name}, ${concurrency} at a time`);
        const cost = await costOf(concurrency, operation);
        rows.push(
          `${name.padEnd(64)} ${String(concurrency).padStart(3)}  ${cost.cpuMs.toFixed(3).padStart(8)} ms CPU  ${cost.wallMs.toFixed(3).padStart(8)} ms wall`,
        );
      }
    }
    process.stdout.write(
      `\nper operation, ${iterations} operations (CPU = this process only, user + system):\n${rows.join("\n")}\n`,
    );
    await pool.end();
    await store.close();
  } finally {
    await postgres.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
