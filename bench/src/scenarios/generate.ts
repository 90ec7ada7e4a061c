// Figure 1 (and the floor's INSERT): POST /api/videos at a fixed concurrency, users rotated over a
// pool that has accepted the terms, against the floor's one-INSERT route in the same run.
import type autocannon from "autocannon";
import { runLoad } from "../load.js";
import { interleave, measure, type Summary, summarize } from "../measure.js";
import type { PostgresCounters } from "../postgres.js";
import { seedUsersWithTerms } from "../seed.js";
import type { BenchProcess } from "../servers.js";
import type { BenchContext } from "./context.js";

export interface GenerateResults {
  /** The canonical request of shared/API.md, no Idempotency-Key. */
  plain: Summary;
  /** The same with a fresh Idempotency-Key per request, as @openv/sdk always sends. */
  withKey: Summary;
  /** The floor: one INSERT of a video row per request (absent on PGlite: no floor there). */
  floorInsert: Summary;
  users: number;
}

export interface WriteTargets {
  server: BenchProcess;
  floor: BenchProcess;
  standIn: BenchProcess;
  databaseUrl: string;
  /** The database's counters (commits, WAL flushes, statements). */
  counters: () => Promise<PostgresCounters>;
}

export const generateBody = JSON.stringify({
  prompt: "A red fox trotting through fresh snow at golden hour, shallow depth of field",
  frames: 31,
  width: 848,
  height: 480,
});

export async function runGenerate(context: BenchContext, targets: WriteTargets): Promise<GenerateResults> {
  const { options, progress } = context;
  progress.step(
    `generate: POST /api/videos, ${options.connections} connections, ${options.durationSeconds} s × ${options.runs} runs`,
  );
  const users = await seedUsersWithTerms(targets.databaseUrl, generateUserPrefix, options.generateUsers);
  return generateOn(context, targets, users) as Promise<GenerateResults>;
}

/** The users the generate requests rotate over, as `generateOn` expects them seeded (e.g. into PGlite before its server starts). */
export const generateUserPrefix = "bench-gen-";

/**
 * Measures generate (and generate + Idempotency-Key) on `targets.server` for `users` (who have
 * accepted the terms), and the floor's INSERT in alternation when there is a floor.
 */
export async function generateOn(
  context: BenchContext,
  targets: Omit<WriteTargets, "floor" | "counters" | "databaseUrl"> & {
    floor: BenchProcess | null;
    counters: WriteTargets["counters"] | null;
  },
  users: string[],
): Promise<Omit<GenerateResults, "floorInsert"> & { floorInsert?: Summary }> {
  const { options, progress, postgres } = context;
  const { server, floor, standIn, counters } = targets;
  progress.detail(`${users.length.toLocaleString("en")} users with the terms accepted, rotated per request`);

  let sent = 0;
  const nextUser = () => users[sent++ % users.length] as string;
  const withUser = (request: autocannon.Request): autocannon.Request => ({
    ...request,
    headers: { ...request.headers, "x-openv-user": nextUser() },
  });
  const run = `${Date.now().toString(36)}`;
  const withUserAndKey = (request: autocannon.Request): autocannon.Request => ({
    ...request,
    headers: { ...request.headers, "x-openv-user": nextUser(), "idempotency-key": `bench-${run}-${sent}` },
  });
  const post = (url: string, setupRequest: (request: autocannon.Request) => autocannon.Request, seconds: number) =>
    runLoad({
      url: `${url}/api/videos`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: generateBody,
      connections: options.connections,
      durationSeconds: seconds,
      setupRequest,
    });
  const floorPost = (target: BenchProcess, seconds: number) =>
    runLoad({
      url: `${target.url}/videos`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: generateBody,
      connections: options.connections,
      durationSeconds: seconds,
      setupRequest: withUser,
    });

  const warmup = Math.min(3, options.durationSeconds);
  progress.detail(`warm-up: ${warmup} s each on the server and the floor (not counted)`);
  await post(server.url, withUser, warmup);
  if (floor) await floorPost(floor, warmup);

  // On PGlite the database runs inside the server process: its CPU is the server's.
  const postmaster = counters ? postgres.postmasterPid : null;
  const serverSubjects = { server: server.pid, standIn: standIn.pid, postmaster };
  const serverSamplers = {
    generate: () => measure(serverSubjects, counters, () => post(server.url, withUser, options.durationSeconds)),
    "generate + Idempotency-Key": () =>
      measure(serverSubjects, counters, () => post(server.url, withUserAndKey, options.durationSeconds)),
  };
  if (!floor) {
    const samples = await interleave(progress, options.runs, serverSamplers);
    return {
      plain: summarize(samples.generate),
      withKey: summarize(samples["generate + Idempotency-Key"]),
      users: users.length,
    };
  }
  const floorSubjects = { server: floor.pid, postmaster: postgres.postmasterPid };
  const samples = await interleave(progress, options.runs, {
    generate: serverSamplers.generate,
    "floor INSERT": () => measure(floorSubjects, counters, () => floorPost(floor, options.durationSeconds)),
    "generate + Idempotency-Key": serverSamplers["generate + Idempotency-Key"],
  });
  return {
    plain: summarize(samples.generate),
    withKey: summarize(samples["generate + Idempotency-Key"]),
    floorInsert: summarize(samples["floor INSERT"]),
    users: users.length,
  };
}
