// Figure 3: GET /api/videos?updatedSince=… with 10 k and with 1 M videos in the table (10 k of
// them the measured user's), against the floor's one indexed SELECT on the same database. The
// seeded databases are kept between bench runs. Both sizes are served at once (a server and a
// floor each) and measured in alternation, so a busy moment of the machine does not land on one
// size only.
import path from "node:path";
import { runLoad } from "../load.js";
import { interleave, measure, type Summary, summarize } from "../measure.js";
import { explainList, incrementalPoint, seedListDatabase } from "../seed.js";
import { type BenchProcess, startFloor, startReferenceServer } from "../servers.js";
import type { BenchContext } from "./context.js";

/** Changes the client has not seen yet: what its incremental list returns (one page, limit 50). */
export const unseenChanges = 40;
const measuredUser = "bench-list-user";

export interface ListSizeResults {
  total: number;
  userVideos: number;
  /** The `updatedSince` used (ms); it returns `unseenChanges` videos. */
  updatedSince: number;
  server: Summary;
  floorSelect: Summary;
  /** EXPLAIN (ANALYZE, BUFFERS) of Prisma's query on this table. */
  plan: string;
}

export interface ListResults {
  small: ListSizeResults;
  large: ListSizeResults;
}

/** One table size, seeded and served, ready to measure. */
interface PreparedSize {
  total: number;
  databaseName: string;
  updatedSince: number;
  plan: string;
  server: BenchProcess;
  floor: BenchProcess;
}

export async function runList(context: BenchContext, standIn: BenchProcess): Promise<ListResults> {
  const { options, progress, postgres } = context;
  const { small, large, userVideos } = options.list;
  const prepared: PreparedSize[] = [];
  try {
    prepared.push(await prepareSize(context, standIn, small));
    prepared.push(await prepareSize(context, standIn, large));
    const [smallSize, largeSize] = prepared as [PreparedSize, PreparedSize];
    progress.step(
      `list: GET /api/videos?updatedSince, ${options.connections} connections, ${options.durationSeconds} s × ${options.runs} runs, both sizes in alternation`,
    );
    const get = (url: string, size: PreparedSize, seconds: number) =>
      runLoad({
        url: `${url}?updatedSince=${size.updatedSince}`,
        headers: { "x-openv-user": measuredUser },
        connections: options.connections,
        durationSeconds: seconds,
      });
    const serverList = (size: PreparedSize) => `${size.server.url}/api/videos`;
    const floorList = (size: PreparedSize) => `${size.floor.url}/videos`;
    const warmup = Math.min(3, options.durationSeconds);
    progress.detail(`warm-up: ${warmup} s on each server and floor (not counted)`);
    for (const size of prepared) {
      const check = await get(serverList(size), size, warmup);
      if (check.ok === 0) throw new Error(`the list of ${size.databaseName} answered no 2xx during the warm-up`);
      await get(floorList(size), size, warmup);
    }
    const sampler = (size: PreparedSize, target: BenchProcess, url: string) => () =>
      measure(
        { server: target.pid, postmaster: postgres.postmasterPid },
        () => postgres.counters(size.databaseName),
        () => get(url, size, options.durationSeconds),
      );
    const label = (total: number) => total.toLocaleString("en");
    const samples = await interleave(progress, options.runs, {
      [`list ${label(small)}`]: sampler(smallSize, smallSize.server, serverList(smallSize)),
      [`floor SELECT ${label(small)}`]: sampler(smallSize, smallSize.floor, floorList(smallSize)),
      [`list ${label(large)}`]: sampler(largeSize, largeSize.server, serverList(largeSize)),
      [`floor SELECT ${label(large)}`]: sampler(largeSize, largeSize.floor, floorList(largeSize)),
    });
    const results = (size: PreparedSize): ListSizeResults => ({
      total: size.total,
      userVideos,
      updatedSince: size.updatedSince,
      server: summarize(samples[`list ${label(size.total)}`] ?? []),
      floorSelect: summarize(samples[`floor SELECT ${label(size.total)}`] ?? []),
      plan: size.plan,
    });
    return { small: results(smallSize), large: results(largeSize) };
  } finally {
    for (const size of prepared) {
      await size.server.stop();
      await size.floor.stop();
    }
  }
}

/** Creates (or keeps) the seeded database of one size and starts a server and a floor on it. */
async function prepareSize(context: BenchContext, standIn: BenchProcess, total: number): Promise<PreparedSize> {
  const { options, progress, postgres, runDir } = context;
  const { userVideos } = options.list;
  const databaseName = `openv_bench_list_${total}`;
  progress.step(
    `list: database ${databaseName} with ${total.toLocaleString("en")} videos (${userVideos.toLocaleString("en")} the measured user's)`,
  );
  await postgres.ensureDatabase(databaseName);
  const databaseUrl = postgres.url(databaseName);
  const server = await startReferenceServer({
    databaseUrl,
    runPodBaseUrl: standIn.url,
    dataDir: path.join(runDir, `server-${databaseName}`),
    logFile: path.join(runDir, `server-${databaseName}.log`),
    logLevel: options.serverLogLevel,
    cpuProfileDir: options.cpuProfile ? path.join(runDir, "profiles", `list-${total}`) : undefined,
  });
  let floor: BenchProcess | undefined;
  try {
    floor = await startFloor(databaseUrl, path.join(runDir, `floor-${databaseName}.log`));
    await seedListDatabase(databaseUrl, { total, userVideos, measuredUser }, progress);
    const updatedSince = await incrementalPoint(databaseUrl, measuredUser, unseenChanges);
    const page = (await fetch(`${server.url}/api/videos?updatedSince=${updatedSince}`, {
      headers: { "x-openv-user": measuredUser },
    }).then((response) => response.json())) as { videos?: unknown[] };
    progress.detail(
      `updatedSince=${updatedSince} (${new Date(updatedSince).toISOString()}), the user's ${unseenChanges} latest changes: one request returns ${page.videos?.length ?? "no"} videos`,
    );
    const plan = await explainList(databaseUrl, measuredUser, updatedSince);
    progress.detail(`plan: ${plan.split("\n").slice(0, 3).join(" | ")}`);
    return { total, databaseName, updatedSince, plan, server, floor };
  } catch (error) {
    // Not in the caller's list yet: stop them here.
    await server.stop();
    await floor?.stop();
    throw error;
  }
}
