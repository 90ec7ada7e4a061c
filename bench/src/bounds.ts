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
  const cost = summary.cpuPerRequest;
  const total = cost.server + (cost.postgres ?? 0) + (cost.standIn ?? 0) + cost.loadGenerator;
  return (os.cpus().length * 1000) / total;
}

export function boundsSection(results: BenchResults, options: BenchOptions): string {
  const sections = [
    results.generate && generateBounds(results),
    results.webhooks && webhookBounds(results),
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

Where PostgreSQL's time goes: the admission is one statement but not one row's work. The new
video's place in line (\`openv_timing_basis\`, the answer's \`queuePosition\` and ETA) counts the
provider's queued videos created before it, and the bench's RunPod stand-in never finishes a job,
so the queue grows by thousands of videos per run and that count with it: the generate runs of
one bench get slower one after another (the progress lines print each run). What would move it: a
place in line that does not count the whole queue (a per-provider queue counter kept by the
transitions, or a count bounded at what the ETA can use), then the admission's other reads. Even
at one round trip the contract keeps a provider call and two commits on the request path (the job
id must be stored, a refused submission answers 502 and refunds), so a one-INSERT floor is not the
like-for-like comparison; the bar would be fairer against INSERT, an HTTP call and an UPDATE.`;
}

function webhookBounds(results: BenchResults): string | undefined {
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
  return `### webhook ingestion: ${whole(summary.rps)}/s (bar: ≥ 1.0 × the floor's INSERT, ≤ 0.6 ms CPU, ≤ 2 statements) ${pass ? "✓" : "✗"}

**${bound(summary)}** Each COMPLETED webhook is ${one(summary.statementsPerRequest)} statements (the list above): the video read once,
to decide the transition (reads that arrive together go as one \`= ANY($1)\` SELECT), and the change
applied by \`openv_apply_video_change\` with its outbox row and NOTIFY in the same statement (updates
that arrive together go as one \`openv_apply_video_changes\`: group commit); the preview claim of the
completed video comes after the answer. ${two(summary.walSyncsPerRequest)} WAL flushes per webhook; the server spent ${two(summary.cpuPerRequest.server)} ms of CPU per webhook (one core:
at most ~${whole(oneCoreCeiling(summary.cpuPerRequest.server))}/s; the machine, counting every process, ~${whole(machineCeiling(summary))}/s; at ${whole(summary.rps)}/s the machine was ${percent(summary.machineBusy)}
busy) and PostgreSQL ${two(summary.cpuPerRequest.postgres)} ms.${floorNote} Every request hit a distinct job:
${whole(webhooks.completed)} videos were completed for ${whole(webhooks.answered)} 2xx answers (a few more than answers: requests in flight when a run
stopped still completed).

What would move it: PostgreSQL's share first. The apply is one PL/pgSQL call, but it locks the video
and the user's row, takes the user's next change number, writes the outbox row and NOTIFYs the whole
row as JSON; PostgreSQL serializes the commits of notifying transactions on its notification queue
lock, so a burst of webhooks commits one after another. Smaller notifications (a reference the
listener reads back) and group commit at higher concurrency (more updates per batch) are the next
steps. Beyond one process, ingestion scales out: instances are stateless and any of them can take
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
p95 is roughly first frame + 0.95 × spread; the first-frame part shrinks with the webhook's own
cost (see above), the spread with the streams per process (every instance hears every change).

RSS: ${whole(sse.rss.idleKiB / 1024)} MiB fresh and idle, ${whole(sse.rss.warmKiB / 1024)} MiB warmed up with one stream (the first webhooks
grow the heap: query compilation, pools, JIT), ${whole(sse.rss.connectedKiB / 1024)} MiB with ${whole(many.watchers)} streams open, that is
${whole((sse.rss.connectedKiB - sse.rss.warmKiB) / (many.watchers - 1))} KiB of RSS per additional stream, and ${whole(sse.rss.afterEventsKiB / 1024)} MiB after the ${whole(many.watchers)}-watcher runs. RSS is a coarse
measure of a stream's cost: its socket, request, reply and ping interval partly fit in heap pages
V8 had already taken during the warm-up and keeps; memory is not what bounds SSE here.`;
}

const investigation = `### Evidence from profiling (not this run: before issue 17's redesign)

Taken on the same 2-core machine while other work was running (2026-11-22), reproducible with
\`pnpm bench --only generate --quick --duration 8 --cpu-prof\` (or \`--only sse\`) and
\`pnpm --filter @openv/bench profile:summary <run folder>/profiles/<name>/*.cpuprofile\`, and
\`pnpm --filter @openv/bench store-overhead\` (after a run seeded the 10 k list database):

- generate, server busy time by package (native and Node-internal work charged to the package that
  asked for it): \`@prisma/client\` 34 % (its query interpreter and result mapping; its WASM query
  compiler another ~1.5 %), \`pg\` 18 % (most of it \`writev\` syscalls of the queries), GC 6 %,
  ofetch/undici (the RunPod call) 4 %, OpenV's own code 3 %, Fastify 3 %, pino logging 3 %. The
  per-request log lines are not the bound: \`--server-log-level warn\` left the CPU per request unchanged.
- store-overhead (CPU of the calling process per operation, one at a time): a video by id through
  the server's Store (Prisma \`findUnique\`) 1.06 ms vs 0.32 ms with \`pg\`; the 4 statements of
  \`transaction(lockVideo)\` 2.4 ms and 7.3 ms wall vs 0.35 ms and 0.9 ms with \`pg\` on one client.
- SSE with 1,000 watchers (before issue 17's fan-out): \`writev\` and the response's uncork 38 % of
  the server's busy time, \`frame()\` (JSON.stringify per subscriber) 7 %, about 30 µs and 6 µs per
  frame: what the one frame and one chunk per change, written straight to each socket, remove.`;
