// The embedded default: the reference server without DATABASE_URL runs PostgreSQL in its own
// process (PGlite, persisted in OPENV_DATA_DIR/pglite) and delivers changes in-process. Generate and
// webhook ingestion measured on it as on PostgreSQL, without a floor (there is no second client
// of the same database) and without pg_stat_statements; the database's CPU is the server's.
// PGlite admits one process at a time, so the bench seeds it between a first start (which applies
// the migrations) and the measured one.
import path from "node:path";
import { countCompleted, processingBatch, seedProcessingVideos, seedUsersWithTerms } from "../seed.js";
import { type BenchProcess, startReferenceServer } from "../servers.js";
import type { BenchContext } from "./context.js";
import { type GenerateResults, generateOn, generateUserPrefix } from "./generate.js";
import { runWebhooks, type WebhookResults, type WebhookVariant, webhookBatchPlan } from "./webhooks.js";

export interface PgliteResults {
  generate: Omit<GenerateResults, "floorInsert">;
  webhooks: WebhookResults;
}

const userPrefix = "bench-wh-";
const users = 1_000;

export async function runPglite(context: BenchContext, standIn: BenchProcess): Promise<PgliteResults> {
  const { options, progress, runDir } = context;
  const dataDir = path.join(runDir, "server-pglite");
  const pglite = { pglite: path.join(dataDir, "pglite") };
  const start = () =>
    startReferenceServer({
      databaseUrl: undefined,
      runPodBaseUrl: standIn.url,
      dataDir,
      logFile: path.join(runDir, "server-pglite.log"),
      logLevel: options.serverLogLevel,
      cpuProfileDir: options.cpuProfile ? path.join(runDir, "profiles", "pglite") : undefined,
    });
  progress.step(`PGlite (embedded default): a first start creates ${pglite.pglite} and applies the migrations`);
  await (await start()).stop();

  const variant: Pick<WebhookVariant, "name" | "maxRate"> = { name: "pglite", maxRate: options.quick ? 500 : 1_500 };
  const plan = webhookBatchPlan(options, variant);
  progress.detail(
    `seeding ${options.generateUsers.toLocaleString("en")} users with the terms accepted and ${plan
      .reduce((sum, entry) => sum + entry.count, 0)
      .toLocaleString("en")} processing videos into PGlite (server stopped)`,
  );
  const generateUsers = await seedUsersWithTerms(pglite, generateUserPrefix, options.generateUsers);
  for (const entry of plan) {
    await seedProcessingVideos(pglite, { idPrefix: entry.idPrefix, userPrefix, users, count: entry.count });
  }

  const server = await start();
  let results: PgliteResults;
  try {
    progress.detail(`reference server on PGlite, pid ${server.pid} at ${server.url}`);
    progress.step(
      `PGlite generate: POST /api/videos, ${options.connections} connections, ${options.durationSeconds} s × ${options.runs} runs`,
    );
    const generate = await generateOn(context, { server, standIn, floor: null, counters: null }, generateUsers);
    const webhooks = await runWebhooks(
      context,
      { server, standIn, databaseUrl: "", counters: null },
      {
        ...variant,
        batch: async (label, count) =>
          processingBatch({ idPrefix: `vid_${variant.name}_${label}_`, userPrefix, users, count }),
        countCompleted: null,
      },
    );
    results = { generate, webhooks };
  } finally {
    await server.stop();
  }
  // Stopped: the database can be opened here to count what the measured webhooks completed.
  let completed = 0;
  for (const entry of plan.slice(1)) completed += await countCompleted(pglite, entry.idPrefix);
  return { ...results, webhooks: { ...results.webhooks, completed } };
}
