// `pnpm bench`: the reference server under load on loopback against a real PostgreSQL, each
// figure next to a bare Fastify + `pg` floor measured in the same run. See docs/benchmarks.md.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { boundsSection } from "./bounds.js";
import { describeMachine } from "./machine.js";
import { type BenchOptions, type Phase, parseOptions } from "./options.js";
import { openPostgres } from "./postgres.js";
import { createProgress, type Progress } from "./progress.js";
import { type BenchResults, type RunInfo, renderMarkdown, renderText } from "./report.js";
import { type BenchContext, loadDatabase } from "./scenarios/context.js";
import { runGenerate } from "./scenarios/generate.js";
import { runList } from "./scenarios/list.js";
import { runPglite } from "./scenarios/pglite.js";
import { runSse } from "./scenarios/sse.js";
import { runSseCluster } from "./scenarios/sse-cluster.js";
import { runWebhooks, seededOnPostgres } from "./scenarios/webhooks.js";
import { createFloorTable } from "./seed.js";
import {
  type BenchProcess,
  repoRoot,
  startFloor,
  startOutputFiles,
  startReferenceServer,
  startRunPodStandIn,
} from "./servers.js";

/** Runs every phase asked for and returns what it measured. */
async function measureAll(
  options: BenchOptions,
  progress: Progress,
): Promise<{ info: RunInfo; results: BenchResults }> {
  const startedAt = new Date();
  const runDir = mkdtempSync(path.join(os.tmpdir(), "openv-bench-run-"));
  progress.step(`OpenV bench: logs, server data, profiles and results.json in ${runDir}`);
  const postgres = await openPostgres(progress);
  const machine = describeMachine(postgres.version);
  const context: BenchContext = { options, progress, postgres, runDir };
  const results: BenchResults = {};
  const started: BenchProcess[] = [];
  const log = (name: string) => path.join(runDir, `${name}.log`);
  try {
    const standIn = await startRunPodStandIn(log("runpod-stand-in"));
    started.push(standIn);
    const { only } = options;
    const loadUrl = postgres.url(loadDatabase);
    const writes = only.has("generate") || only.has("webhook") || only.has("copy");
    if (writes || only.has("sse") || only.has("sse-cluster")) {
      progress.step(`fresh database ${loadDatabase} for the write and SSE scenarios`);
      await postgres.recreateDatabase(loadDatabase);
    }
    if (writes) {
      const outputFiles = only.has("copy") ? await startOutputFiles(options.copyBytes, log("output-files")) : null;
      if (outputFiles) started.push(outputFiles);
      const dataDir = path.join(runDir, "server-load");
      const server = await startReferenceServer({
        databaseUrl: loadUrl,
        runPodBaseUrl: standIn.url,
        dataDir,
        logFile: log("server-load"),
        logLevel: options.serverLogLevel,
        cpuProfileDir: options.cpuProfile ? path.join(runDir, "profiles", "write") : undefined,
        // The guarded fetcher refuses loopback hosts unless they are listed: the output stand-in is one.
        ...(outputFiles && { env: { OPENV_OUTPUT_ALLOWED_HOSTS: new URL(outputFiles.url).host } }),
      });
      started.push(server);
      progress.detail(`reference server pid ${server.pid} at ${server.url} (migrations applied at start)`);
      await createFloorTable(loadUrl);
      const floor = only.has("generate") ? await startFloor(loadUrl, log("floor-load")) : null;
      if (floor) started.push(floor);
      const counters = () => postgres.counters(loadDatabase);
      const targets = { server, standIn, databaseUrl: loadUrl, counters };
      if (floor) results.generate = await runGenerate(context, { ...targets, floor });
      if (only.has("webhook")) {
        // Enough distinct jobs for 4,000 webhooks a second; more would be duplicates.
        const variant = seededOnPostgres(loadUrl, "wh", options.quick ? 1_000 : 4_000);
        results.webhooks = await runWebhooks(context, targets, variant);
      }
      if (outputFiles) {
        const variant = seededOnPostgres(loadUrl, "copy", options.quick ? 200 : 500);
        results.copy = await runWebhooks(context, targets, {
          ...variant,
          output: {
            origin: outputFiles.url,
            bytes: options.copyBytes,
            pid: outputFiles.pid,
            // The copies are not the figure's concern once stored: they would fill the disk. A copy
            // still being written (a request the load generator gave up on) can refill the folder
            // while it is removed (ENOTEMPTY): retried, and what is left goes with the next run's.
            afterRun: () => {
              try {
                rmSync(path.join(dataDir, "files"), { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
              } catch (error) {
                progress.detail(`could not remove the copied files yet (${(error as Error).message}); going on`);
              }
            },
          },
        });
      }
      await server.stop();
      await floor?.stop();
      await outputFiles?.stop();
    }
    if (only.has("sse")) results.sse = await runSse(context, { standIn, databaseUrl: loadUrl });
    if (only.has("sse-cluster")) results.sseCluster = await runSseCluster(context, { standIn, databaseUrl: loadUrl });
    if (only.has("pglite")) results.pglite = await runPglite(context, standIn);
    if (only.has("list")) results.list = await runList(context, standIn);
  } finally {
    for (const child of started.reverse()) await child.stop();
    await postgres.stop();
  }
  const info: RunInfo = {
    options,
    machine,
    postgres: { origin: postgres.origin, version: postgres.version, settings: postgres.settings },
    startedAt,
    finishedAt: new Date(),
    runDir,
  };
  const saved = { info: { ...info, options: { ...options, only: [...options.only] } }, results };
  writeFileSync(path.join(runDir, "results.json"), JSON.stringify(saved, null, 2));
  return { info, results };
}

/** An earlier run's results.json, as measureAll returned it. */
function loadResults(file: string): { info: RunInfo; results: BenchResults } {
  const saved = JSON.parse(readFileSync(file, "utf8")) as {
    info: Omit<RunInfo, "options" | "startedAt" | "finishedAt"> & {
      options: Omit<BenchOptions, "only"> & { only: Phase[] };
      startedAt: string;
      finishedAt: string;
    };
    results: BenchResults;
  };
  const { info } = saved;
  return {
    info: {
      ...info,
      options: { ...info.options, only: new Set(info.options.only) },
      startedAt: new Date(info.startedAt),
      finishedAt: new Date(info.finishedAt),
    },
    results: saved.results,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const progress = createProgress();
  const { info, results } = options.from ? loadResults(options.from) : await measureAll(options, progress);
  process.stdout.write(renderText(info, results));
  if (options.write) {
    const file = path.join(repoRoot, "docs/benchmarks.md");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, renderMarkdown(info, results, boundsSection(results, info.options)));
    progress.step(`wrote ${path.relative(repoRoot, file)}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
