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
  /** The floor: one INSERT of a video row per request. */
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
  const { options, progress, postgres } = context;
  const { server, floor, standIn, databaseUrl, counters } = targets;
  progress.step(
    `generate: POST /api/videos, ${options.connections} connections, ${options.durationSeconds} s × ${options.runs} runs`,
  );
  const users = await seedUsersWithTerms(databaseUrl, "bench-gen-", options.generateUsers);
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
  const floorPost = (seconds: number) =>
    runLoad({
      url: `${floor.url}/videos`,
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
  await floorPost(warmup);

  const serverSubjects = { server: server.pid, standIn: standIn.pid, postmaster: postgres.postmasterPid };
  const floorSubjects = { server: floor.pid, postmaster: postgres.postmasterPid };
  const samples = await interleave(progress, options.runs, {
    generate: () => measure(serverSubjects, counters, () => post(server.url, withUser, options.durationSeconds)),
    "floor INSERT": () => measure(floorSubjects, counters, () => floorPost(options.durationSeconds)),
    "generate + Idempotency-Key": () =>
      measure(serverSubjects, counters, () => post(server.url, withUserAndKey, options.durationSeconds)),
  });
  return {
    plain: summarize(samples.generate),
    withKey: summarize(samples["generate + Idempotency-Key"]),
    floorInsert: summarize(samples["floor INSERT"]),
    users: users.length,
  };
}
