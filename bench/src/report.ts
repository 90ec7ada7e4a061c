import type { MachineInfo } from "./machine.js";
import type { Summary } from "./measure.js";
import type { BenchOptions } from "./options.js";
import type { PostgresServer } from "./postgres.js";
import type { GenerateResults } from "./scenarios/generate.js";
import type { ListResults } from "./scenarios/list.js";
import type { PgliteResults } from "./scenarios/pglite.js";
import type { SseResults } from "./scenarios/sse.js";
import type { SseClusterResults } from "./scenarios/sse-cluster.js";
import type { WebhookResults } from "./scenarios/webhooks.js";

/** Everything one `pnpm bench` measured (a phase left out with --only is absent). */
export interface BenchResults {
  generate?: GenerateResults;
  webhooks?: WebhookResults;
  /** Webhooks whose output the server downloads and stores. */
  copy?: WebhookResults;
  list?: ListResults;
  sse?: SseResults;
  /** SSE over 2 instances on one PostgreSQL. */
  sseCluster?: SseClusterResults;
  /** Generate and webhooks on the embedded default (PGlite). */
  pglite?: PgliteResults;
}

export interface RunInfo {
  options: BenchOptions;
  machine: MachineInfo;
  postgres: Pick<PostgresServer, "origin" | "version" | "settings">;
  startedAt: Date;
  finishedAt: Date;
  runDir: string;
}

/** One line of the results table. */
export interface Row {
  figure: string;
  openv: string;
  floor: string;
  ratio: string;
  /** The bar issue 17 sets for the figure ("" for a row without one). */
  bar: string;
  /** "✓ pass", "✗ miss", "reported" or "". */
  result: string;
  /** Whether the bar is met; undefined for a row without one. */
  pass?: boolean;
}

const count = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en") : "n/a");
const ms = (value: number) =>
  Number.isFinite(value) ? (value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)) : "n/a";
const ratio = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : "n/a");
const pair = (a: string, b: string) => `${a} / ${b}`;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const statements = (value: number | null) => (value === null ? "n/a" : value.toFixed(1));
/** Pass or miss of every check; a figure that could not be measured (NaN, null) misses. */
function verdict(...checks: boolean[]): Pick<Row, "result" | "pass"> {
  const pass = checks.every(Boolean);
  return { result: pass ? "✓ pass" : "✗ miss", pass };
}
const within = (value: number | null, limit: number) => value !== null && Number.isFinite(value) && value <= limit;
const atLeast = (value: number, limit: number) => Number.isFinite(value) && value >= limit;
const plain = (figure: string, openv: string, floor = "", ratioText = ""): Row => ({
  figure,
  openv,
  floor,
  ratio: ratioText,
  bar: "",
  result: "",
});
/** kB (1,000 bytes, as the issue's bar) of RSS per open stream. */
export const kBPerStream = (beforeKiB: number, afterKiB: number, streams: number) =>
  ((afterKiB - beforeKiB) * 1.024) / Math.max(1, streams);

/** kB of JS heap (after a full GC) per stream an instance opened beyond its first. */
const heapKBPerStream = (instance: { beforeHeapBytes?: number; openHeapBytes?: number; streams: number }) =>
  ((instance.openHeapBytes ?? Number.NaN) - (instance.beforeHeapBytes ?? Number.NaN)) /
  1000 /
  Math.max(1, instance.streams - 1);

/** CPU and statements per request as one cell: "1.93 ms / 7.0". */
const costCell = (summary: Summary) =>
  pair(`${ms(summary.cpuPerRequest.server)} ms`, statements(summary.statementsPerRequest));

export function buildRows(results: BenchResults, options: BenchOptions): Row[] {
  const rows: Row[] = [];
  const c = options.connections;
  const { generate, webhooks, copy, list, sse, sseCluster, pglite } = results;
  const floorInsert = generate?.floorInsert;
  if (generate) {
    const { plain: request, withKey } = generate;
    const share = request.rps / generate.floorInsert.rps;
    rows.push(
      {
        figure: `1. generate POST /api/videos, ${c} conn: req/s`,
        openv: count(request.rps),
        floor: `${count(generate.floorInsert.rps)} (INSERT)`,
        ratio: ratio(share),
        bar: "≥ 0.35 × floor",
        ...verdict(atLeast(share, 0.35)),
      },
      {
        figure: "   server CPU / statements per request",
        openv: costCell(request),
        floor: costCell(generate.floorInsert),
        ratio: "",
        bar: "≤ 2.5 ms, ≤ 5",
        ...verdict(within(request.cpuPerRequest.server, 2.5), within(request.statementsPerRequest, 5)),
      },
      latencyRow("   generate latency p50 / p99 (ms)", request, generate.floorInsert),
      plain(
        "   generate + Idempotency-Key (as the SDK sends): req/s",
        count(withKey.rps),
        count(generate.floorInsert.rps),
        ratio(withKey.rps / generate.floorInsert.rps),
      ),
      {
        figure: "   … its server CPU / statements per request",
        openv: costCell(withKey),
        floor: "",
        ratio: "",
        bar: "≤ 6 statements",
        ...verdict(within(withKey.statementsPerRequest, 6)),
      },
      latencyRow("   … its latency p50 / p99 (ms)", withKey, generate.floorInsert),
    );
  }
  if (webhooks) {
    const { summary } = webhooks;
    const share = floorInsert ? summary.rps / floorInsert.rps : Number.NaN;
    rows.push(
      {
        figure: `2. webhook COMPLETED ingestion, ${c} conn: /s`,
        openv: count(summary.rps),
        floor: floorInsert ? `${count(floorInsert.rps)} (INSERT)` : "n/a (run generate too)",
        ratio: ratio(share),
        bar: "≥ 1.0 × floor INSERT",
        ...verdict(atLeast(share, 1)),
      },
      {
        figure: "   server CPU / statements per update",
        openv: costCell(summary),
        floor: floorInsert ? costCell(floorInsert) : "",
        ratio: "",
        bar: "≤ 0.6 ms, ≤ 2",
        ...verdict(within(summary.cpuPerRequest.server, 0.6), within(summary.statementsPerRequest, 2)),
      },
      latencyRow("   webhook latency p50 / p99 (ms)", summary, floorInsert),
    );
  }
  if (copy) {
    const { summary } = copy;
    rows.push(
      plain(
        `2b. webhook COMPLETED, ${(copy.copyBytes / 1024 / 1024).toFixed(1)} MiB output copied, ${c} conn: /s`,
        count(summary.rps),
        floorInsert ? `${count(floorInsert.rps)} (INSERT)` : "",
        floorInsert ? ratio(summary.rps / floorInsert.rps) : "",
      ),
      plain(
        "   server CPU / statements per update (output-files stand-in CPU)",
        `${costCell(summary)} (${ms(summary.cpuPerRequest.standIn ?? Number.NaN)} ms)`,
      ),
      latencyRow("   its latency p50 / p99 (ms)", summary, undefined),
    );
  }
  if (list) {
    const { small, large } = list;
    const label = (total: number) => (total >= 1_000_000 ? `${total / 1_000_000}M` : `${total / 1_000}k`);
    const growthP50 = large.server.p50 / small.server.p50;
    const growthP99 = large.server.p99 / small.server.p99;
    const shares = [small.server.rps / small.floorSelect.rps, large.server.rps / large.floorSelect.rps];
    rows.push(
      {
        figure: `3. list ?updatedSince req/s, ${label(small.total)} / ${label(large.total)} videos`,
        openv: pair(count(small.server.rps), count(large.server.rps)),
        floor: `${pair(count(small.floorSelect.rps), count(large.floorSelect.rps))} (SELECT)`,
        ratio: pair(ratio(shares[0] as number), ratio(shares[1] as number)),
        bar: "≥ 0.8 × floor SELECT",
        ...verdict(atLeast(shares[0] as number, 0.8), atLeast(shares[1] as number, 0.8)),
      },
      plain(
        `   server CPU / statements per request, ${label(small.total)} / ${label(large.total)}`,
        pair(costCell(small.server), costCell(large.server)),
        pair(costCell(small.floorSelect), costCell(large.floorSelect)),
      ),
      latencyRow(`   list ${label(small.total)}: p50 / p99 (ms)`, small.server, small.floorSelect, "SELECT"),
      latencyRow(`   list ${label(large.total)}: p50 / p99 (ms)`, large.server, large.floorSelect, "SELECT"),
      {
        figure: `   list ${label(large.total)} ÷ ${label(small.total)}: p50 / p99`,
        openv: pair(ratio(growthP50), ratio(growthP99)),
        floor: pair(
          ratio(large.floorSelect.p50 / small.floorSelect.p50),
          ratio(large.floorSelect.p99 / small.floorSelect.p99),
        ),
        ratio: "",
        bar: "p50 ≤ 1.2",
        ...verdict(within(growthP50, 1.2)),
      },
    );
  }
  if (sse) {
    const perStream = kBPerStream(sse.rss.warmKiB, sse.rss.connectedKiB, sse.many.watchers - 1);
    // What the streams keep alive (heap after GC), beside RSS, which also counts garbage and spare pages.
    const heapPerStream =
      sse.heap && (sse.heap.connectedBytes - sse.heap.warmBytes) / 1000 / Math.max(1, sse.many.watchers - 1);
    rows.push(
      plain("4. webhook → SSE frame, 1 watcher: p50 / p95 (ms)", pair(ms(sse.one.p50), ms(sse.one.p95))),
      {
        figure: `   webhook → SSE frame, ${count(sse.many.watchers)} watchers: p50 / p95 (ms)`,
        openv: pair(ms(sse.many.p50), ms(sse.many.p95)),
        floor: sse.floor ? pair(ms(sse.floor.p50), ms(sse.floor.p95)) : "",
        ratio: sse.floor ? pair(ratio(sse.many.p50 / sse.floor.p50), ratio(sse.many.p95 / sse.floor.p95)) : "",
        bar: "p95 ≤ 20 ms",
        ...verdict(within(sse.many.p95, 20)),
      },
      plain(
        "   per webhook: first frame / last − first frame (ms); server CPU per frame (µs)",
        `${pair(ms(sse.many.firstFrame), ms(sse.many.fanOutSpread))}; ${ms(sse.many.serverCpuUsPerFrame ?? Number.NaN)}`,
        sse.floor
          ? `${pair(ms(sse.floor.firstFrame), ms(sse.floor.fanOutSpread))}; ${ms(sse.floor.serverCpuUsPerFrame ?? Number.NaN)}`
          : "",
      ),
      {
        figure: `   server memory per open stream (RSS delta ÷ ${count(sse.many.watchers - 1)} streams)`,
        openv: `${perStream.toFixed(1)} kB`,
        floor: "",
        ratio: "",
        bar: "≤ 20 kB",
        ...verdict(within(perStream, 20)),
      },
      ...(heapPerStream === undefined
        ? []
        : [
            {
              figure: "   server JS heap per open stream, after a full GC (V8 inspector)",
              openv: `${heapPerStream.toFixed(1)} kB`,
              floor: "",
              ratio: "",
              bar: "≤ 20 kB",
              ...verdict(within(heapPerStream, 20)),
            },
          ]),
      plain(
        `5. server RSS: idle (fresh / warmed up) / ${count(sse.many.watchers)} SSE open`,
        `${pair(mib(sse.rss.idleKiB), mib(sse.rss.warmKiB))} / ${mib(sse.rss.connectedKiB)}`,
      ),
    );
  }
  if (sseCluster) {
    const { latency, memory, instances } = sseCluster;
    const perStream = memory.map((instance) => kBPerStream(instance.beforeKiB, instance.openKiB, instance.streams - 1));
    rows.push(
      {
        figure: `6. webhook → SSE frame, ${count(latency.watchers)} watchers on ${instances} instances: p50 / p95 (ms)`,
        openv: pair(ms(latency.p50), ms(latency.p95)),
        floor: "",
        ratio: "",
        bar: "p95 ≤ 150 ms",
        ...verdict(within(latency.p95, 150)),
      },
      plain(
        "   per webhook: first frame / last − first frame (ms); server CPU per frame (µs)",
        `${pair(ms(latency.firstFrame), ms(latency.fanOutSpread))}; ${ms(latency.serverCpuUsPerFrame ?? Number.NaN)}`,
      ),
      {
        figure: "   server memory per open stream, each instance",
        openv: perStream.map((value) => `${value.toFixed(1)} kB`).join(" / "),
        floor: "",
        ratio: "",
        bar: "≤ 20 kB",
        ...verdict(...perStream.map((value) => within(value, 20))),
      },
      ...(memory.every((instance) => instance.beforeHeapBytes !== undefined)
        ? [
            {
              figure: "   server JS heap per open stream, after a full GC, each instance",
              openv: memory.map((instance) => `${heapKBPerStream(instance).toFixed(1)} kB`).join(" / "),
              floor: "",
              ratio: "",
              bar: "≤ 20 kB",
              ...verdict(...memory.map((instance) => within(heapKBPerStream(instance), 20))),
            },
          ]
        : []),
      plain(
        "   server RSS, each instance: one stream → all its streams open",
        memory.map((instance) => `${mib(instance.beforeKiB)} → ${mib(instance.openKiB)}`).join("; "),
      ),
    );
  }
  if (pglite) {
    const reported = (row: Row): Row => ({ ...row, bar: "reported (no regression)", result: "reported" });
    rows.push(
      reported(plain(`7. PGlite (embedded) generate, ${c} conn: req/s`, count(pglite.generate.plain.rps))),
      plain("   server CPU per request (database included)", `${ms(pglite.generate.plain.cpuPerRequest.server)} ms`),
      latencyRow("   its latency p50 / p99 (ms)", pglite.generate.plain, undefined),
      plain(
        "   PGlite generate + Idempotency-Key: req/s (server CPU)",
        `${count(pglite.generate.withKey.rps)} (${ms(pglite.generate.withKey.cpuPerRequest.server)} ms)`,
      ),
      reported(plain(`   PGlite webhook COMPLETED ingestion, ${c} conn: /s`, count(pglite.webhooks.summary.rps))),
      plain("   server CPU per update (database included)", `${ms(pglite.webhooks.summary.cpuPerRequest.server)} ms`),
      latencyRow("   its latency p50 / p99 (ms)", pglite.webhooks.summary, undefined),
    );
  }
  return rows;
}

function latencyRow(figure: string, summary: Summary, floor: Summary | undefined, floorKind?: string): Row {
  return {
    figure,
    openv: pair(ms(summary.p50), ms(summary.p99)),
    floor: floor ? `${pair(ms(floor.p50), ms(floor.p99))}${floorKind ? ` (${floorKind})` : ""}` : "",
    ratio: floor ? pair(ratio(summary.p50 / floor.p50), ratio(summary.p99 / floor.p99)) : "",
    bar: "",
    result: "",
  };
}

/** Where the CPU went, per request, for each load figure (evidence for what bounds it). */
export function buildCostRows(results: BenchResults): string[][] {
  const rows: string[][] = [];
  const add = (name: string, summary: Summary) => {
    const cost = summary.cpuPerRequest;
    const optional = (value: number | null) => (value === null ? "n/a" : value.toFixed(2));
    rows.push([
      name,
      cost.server.toFixed(2),
      optional(cost.postgres),
      optional(cost.standIn),
      cost.loadGenerator.toFixed(2),
      `${Math.round(summary.machineBusy * 100)} %`,
      `${Math.round(summary.machineIowait * 100)} %`,
      summary.commitsPerRequest === null ? "n/a" : summary.commitsPerRequest.toFixed(1),
      summary.walSyncsPerRequest === null || Number.isNaN(summary.walSyncsPerRequest)
        ? "n/a"
        : summary.walSyncsPerRequest.toFixed(2),
      summary.statementsPerRequest === null ? "n/a" : summary.statementsPerRequest.toFixed(1),
    ]);
  };
  if (results.generate) {
    add("generate", results.generate.plain);
    add("generate + Idempotency-Key", results.generate.withKey);
    add("floor INSERT", results.generate.floorInsert);
  }
  if (results.webhooks) add("webhook COMPLETED", results.webhooks.summary);
  if (results.copy) add("webhook COMPLETED + output copy", results.copy.summary);
  if (results.pglite) {
    add("PGlite generate", results.pglite.generate.plain);
    add("PGlite generate + Idempotency-Key", results.pglite.generate.withKey);
    add("PGlite webhook COMPLETED", results.pglite.webhooks.summary);
  }
  if (results.list) {
    add(`list, ${results.list.small.total.toLocaleString("en")} videos`, results.list.small.server);
    add(`floor SELECT, ${results.list.small.total.toLocaleString("en")}`, results.list.small.floorSelect);
    add(`list, ${results.list.large.total.toLocaleString("en")} videos`, results.list.large.server);
    add(`floor SELECT, ${results.list.large.total.toLocaleString("en")}`, results.list.large.floorSelect);
  }
  return rows;
}

export const costHeader = [
  "load",
  "server CPU ms/req",
  "PostgreSQL CPU ms/req",
  "stand-in CPU ms/req",
  "load generator CPU ms/req",
  "machine busy",
  "iowait",
  "commits/req",
  "WAL flushes/req",
  "statements/req",
];

/**
 * The statements one answer of each write and list figure costs (pg_stat_statements, last run):
 * rows of [sent per request, run inside a function per request, mean ms per call, ms per request,
 * statement]. A nested statement's time is also inside its caller's.
 */
export function statementTables(results: BenchResults, width: number): { title: string; rows: string[][] }[] {
  const tables: { title: string; rows: string[][] }[] = [];
  const add = (title: string, summary: Summary) => {
    if (summary.statements.length === 0) return;
    const shorten = (query: string) => (query.length > width ? `${query.slice(0, width - 1)}…` : query);
    tables.push({
      title: `${title}: ${summary.statementsPerRequest?.toFixed(1) ?? "?"} statements per request`,
      rows: summary.statements.map((share) => [
        share.perRequest.toFixed(2),
        share.nestedPerRequest > 0 ? share.nestedPerRequest.toFixed(2) : "",
        share.meanMs.toFixed(3),
        share.msPerRequest.toFixed(3),
        shorten(share.query),
      ]),
    });
  };
  if (results.generate) {
    add("generate", results.generate.plain);
    add("generate + Idempotency-Key", results.generate.withKey);
  }
  if (results.webhooks) add("webhook COMPLETED", results.webhooks.summary);
  if (results.copy) add("webhook COMPLETED + output copy", results.copy.summary);
  if (results.list) add(`list, ${results.list.large.total.toLocaleString("en")} videos`, results.list.large.server);
  return tables;
}

/** Failures worth a warning under the table (non-2xx answers, duplicate webhooks, lost frames). */
export function buildWarnings(results: BenchResults): string[] {
  const warnings: string[] = [];
  const check = (name: string, summary: Summary) => {
    if (summary.failures) warnings.push(`${name}: not every answer was 2xx (${summary.failures}).`);
  };
  if (results.generate) {
    check("generate", results.generate.plain);
    check("generate + Idempotency-Key", results.generate.withKey);
    check("floor INSERT", results.generate.floorInsert);
  }
  if (results.webhooks) {
    const { summary, completed, answered } = results.webhooks;
    check("webhooks", summary);
    if (completed < answered) {
      warnings.push(
        `webhooks: ${answered} answers but ${completed} videos completed (some requests repeated a job: more than the ${results.webhooks.perRun} seeded per run were sent).`,
      );
    }
  }
  if (results.copy) check("webhooks with an output copy", results.copy.summary);
  if (results.pglite) {
    check("PGlite generate", results.pglite.generate.plain);
    check("PGlite generate + Idempotency-Key", results.pglite.generate.withKey);
    check("PGlite webhooks", results.pglite.webhooks.summary);
  }
  if (results.list) {
    for (const size of [results.list.small, results.list.large]) {
      check(`list ${size.total}`, size.server);
      check(`floor SELECT ${size.total}`, size.floorSelect);
    }
  }
  const latencies = [
    ...(results.sse ? [results.sse.one, results.sse.many] : []),
    ...(results.sseCluster ? [results.sseCluster.latency] : []),
  ];
  for (const latency of latencies) {
    if (latency.received < latency.expected) {
      warnings.push(
        `SSE with ${latency.watchers} watchers: ${latency.received} of ${latency.expected} frames arrived within 10 s.`,
      );
    }
  }
  return warnings;
}

function alignedTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max([...title].length, ...rows.map((row) => [...(row[column] ?? "")].length)),
  );
  const line = (cells: string[]) =>
    cells.map((cell, column) => cell + " ".repeat((widths[column] ?? 0) - [...cell].length)).join("  ");
  return [line(header), widths.map((width) => "─".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}

function markdownTable(header: string[], rows: string[][]): string {
  const escapeCell = (cell: string) => cell.replace(/\|/g, "\\|");
  return [
    `| ${header.map(escapeCell).join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(escapeCell).join(" | ")} |`),
  ].join("\n");
}

/** The figures issue 17 quotes for the app OpenV replaces, and its bars. */
export const originalAppNote = `The app OpenV replaces, for scale (from issue 17, not measured by this bench): the original
Next.js app, rebuilt and measured beside the reference server in one run with one load generator,
did **241 webhooks/s at 4.5 ms server CPU each** and **233 list calls/s at 3.7 ms**; a bare Fastify +
\`pg\` floor in that run did **2,406 INSERT/s and 3,623 SELECT/s** (the original app's webhook
÷ its floor: 0.10; list: 0.06; its live updates: 20 s polling). Issue 17's bars, as the table's
"bar" column: webhook ≥ 1.0 × the floor's INSERT req/s, ≤ 0.6 ms server CPU and ≤ 2 statements per
update; generate ≥ 0.35 × floor, ≤ 2.5 ms, ≤ 5 statements (≤ 6 with Idempotency-Key); list
\`updatedSince\` ≥ 0.8 × the floor's SELECT, 1 M ÷ 10 k p50 ≤ 1.2; SSE webhook → frame p95 ≤ 20 ms
at 1,000 watchers, ≤ 150 ms at 10,000 watchers on 2 instances, ≤ 20 kB server memory per open
stream; PGlite generate and webhook reported, no regression against the PGlite path before it.`;

const mainHeader = ["figure (median of runs)", "OpenV", "floor", "OpenV ÷ floor", "bar (issue 17)", "result"];
const cells = (row: Row) => [row.figure, row.openv, row.floor, row.ratio, row.bar, row.result];

export function commandLine(options: BenchOptions): string {
  return ["pnpm bench", ...options.argv].join(" ");
}

function sizesLine(info: RunInfo): string {
  const { options } = info;
  return `${options.runs} run(s) of ${options.durationSeconds} s per figure, ${options.connections} connections, medians reported`;
}

/** The table as printed at the end of a run. */
export function renderText(info: RunInfo, results: BenchResults): string {
  const rows = buildRows(results, info.options);
  const warnings = buildWarnings(results);
  return [
    "",
    `OpenV benchmarks — ${commandLine(info.options)} — ${sizesLine(info)}`,
    `${info.machine.cpu}, ${info.machine.cores} cores, ${info.machine.memoryGiB} GiB; PostgreSQL ${info.postgres.version} (${info.postgres.origin}, fsync ${info.postgres.settings.fsync ?? "?"}, synchronous_commit ${info.postgres.settings.synchronous_commit ?? "?"})`,
    "",
    alignedTable(mainHeader, rows.map(cells)),
    "",
    "CPU per request sent (ms, medians of runs) and database work per request:",
    alignedTable(costHeader, buildCostRows(results)),
    ...statementTables(results, 110).flatMap((table) => [
      "",
      `${table.title} (sent per request, inside a function per request, mean ms, ms per request, statement):`,
      ...table.rows.map(
        ([calls, nested, mean, perRequest, query]) =>
          `  ${calls?.padStart(5)} ${nested?.padStart(5)} ${mean?.padStart(7)} ${perRequest?.padStart(7)}  ${query}`,
      ),
    ]),
    ...(warnings.length > 0 ? ["", "Warnings:", ...warnings.map((warning) => `  ! ${warning}`)] : []),
    "",
    originalAppNote,
    "",
  ].join("\n");
}

/** docs/benchmarks.md. */
export function renderMarkdown(info: RunInfo, results: BenchResults, bounds: string): string {
  const { machine, postgres, options } = info;
  const rows = buildRows(results, options);
  const warnings = buildWarnings(results);
  const minutes = ((info.finishedAt.getTime() - info.startedAt.getTime()) / 60_000).toFixed(1);
  const plan = results.list?.large.plan;
  return `# Benchmarks

Generated by \`pnpm bench --write\` (the suite is in bench/, see bench/README.md).
Do not edit by hand: run the bench again.

## This run

- Command: \`${commandLine(options)}\` (${sizesLine(info)}), ${info.startedAt.toISOString()}, ${minutes} min, commit ${machine.commit}.
- Machine: ${machine.cpu}, **${machine.cores} cores**, ${machine.memoryGiB} GiB RAM, ${machine.kernel}. The load
  generator (autocannon), the server under test, PostgreSQL, the RunPod stand-in and the SSE watchers
  all share these cores; 1-minute load average when the run started: ${machine.loadAverageAtStart.toFixed(2)}. Other work may
  have been running on the machine, so treat the figures as indicative and compare ratios (server and
  floor were measured in alternation, in the same run) rather than absolute values.
- Versions: ${Object.entries(machine.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ")}.
- PostgreSQL: ${postgres.origin}; ${Object.entries(postgres.settings)
    .map(([name, value]) => `${name} = ${value}`)
    .join(", ")}.
- Reference server: \`node packages/server/dist/cli.js\` on loopback with \`DATABASE_URL\` (pool of 10,
  LISTEN/NOTIFY events), RunPod pointed at the RunPod-compatible stand-in of the server's tests (its jobs
  never finish), local file storage, development auth (\`X-OpenV-User\`), \`LOG_LEVEL=${options.serverLogLevel}\`,
  limits raised (\`MONTHLY_LIMIT_SECONDS\`, \`MAX_ACTIVE_JOBS\`), \`OPENV_RATE_LIMIT_*_PER_MINUTE=0\` (a server
  that does not know them keeps its 60 generate requests per user and minute: the bench rotates
  ${results.generate ? results.generate.users.toLocaleString("en") : "thousands of"} users so no request is limited), reconciler interval 1 h, previews off
  (\`OPENV_PREVIEWS=off\`: the completions name files no worker wrote, so each derivation would fail
  on the missing file; a real one is ffmpeg in a child process after the webhook was answered).
- Floor: a bare Fastify app (same Fastify) in its own process, a \`pg\` Pool of 10 on the same database,
  one statement per request: an INSERT into a copy of the Video table (same columns and indexes) or
  the indexed incremental SELECT.

## Results

${markdownTable(mainHeader, rows.map(cells))}

${warnings.length > 0 ? `Warnings of this run:\n\n${warnings.map((warning) => `- ${warning}`).join("\n")}\n\n` : ""}How each figure is taken:

1. **generate**: \`POST /api/videos\` with \`{prompt, frames: 31, width: 848, height: 480}\`, each request
   as the next user of a pool that accepted the terms (SQL-seeded). The second line adds a fresh
   \`Idempotency-Key\` per request, as \`@openv/sdk\` always does. Floor: one INSERT of a video row.
2. **webhook ingestion**: RunPod's \`COMPLETED\` job object for a distinct video seeded \`processing\`
   with that job (${results.webhooks ? results.webhooks.perRun.toLocaleString("en") : "4,000 × duration"} per run; ${results.webhooks ? `${results.webhooks.completed.toLocaleString("en")} videos completed for ${results.webhooks.answered.toLocaleString("en")} answers` : ""}), at the
   token-protected URL the server gives RunPod; its output URL lies in the server's own storage, so
   nothing is copied. Compared with the floor's INSERT (one write statement).
3. **list**: \`GET /api/videos?updatedSince=…\` for a user with ${options.list.userVideos.toLocaleString("en")} videos, in a table of
   ${options.list.small.toLocaleString("en")} and of ${options.list.large.toLocaleString("en")} videos (seeded over 90 days, the others spread over 997 users, 1 in 25
   deleted). \`updatedSince\` is the time of the user's 41st newest change: the answer is the 40
   changes since, one page, as for a client that syncs after a while. Floor: the same SELECT on \`pg\`.
4. **webhook → SSE**: ${results.sse?.eventsPerSecond ?? 10} completion webhooks a second, each for a distinct video of the one user
   all watchers are (every change fans out to every stream); latency from just before the webhook
   is sent to each frame's arrival, on the system-wide monotonic clock; watchers run in their own
   process with raw \`http\`. p50/p95 over every delivery of a run, median of runs. Floor: the same
   webhooks and watchers against a bare \`node:http\` process (\`src/processes/sse-floor.ts\`, no
   database, no auth) that writes a frame of the server's frame size to every stream as one ready
   chunk, the least any server could do for the same answer.
5. **RSS**: VmRSS of the SSE scenario's server process: fresh and idle after start; warmed up (after
   the 1-watcher runs, one stream open); with all the streams open; each of these two read 2 s after
   a full GC forced through the V8 inspector (the server runs with \`--inspect\` on loopback), which
   also reads the JS heap in use. Memory per open stream: (RSS with all streams open − RSS warmed up
   with one) ÷ the streams added, and the same for the heap after GC (what the streams keep alive,
   without garbage or spare pages), in kB of 1,000 bytes as the bar.
6. **SSE on 2 instances**: two reference servers on the same PostgreSQL database (LISTEN/NOTIFY
   carries each change to both), ${results.sseCluster ? results.sseCluster.latency.watchers.toLocaleString("en") : "10,000"} streams of one user split between them, held by one watchers
   process with raw \`http\`; ${results.sseCluster?.eventsPerSecond ?? 2} completion webhooks a second sent to the instances in turn (so
   half the frames come from the other instance's NOTIFY). Memory per stream per instance as in 5.
7. **PGlite**: the reference server without \`DATABASE_URL\` (the embedded default: PostgreSQL in its
   own process, in-process events), seeded while stopped; generate and webhook as in 1 and 2. No
   floor and no statement counts; the server's CPU includes the database's.
2b. **webhook with an output copy**: as 2, but each output URL lies on a foreign host (the bench's
   output-files stand-in, ${results.copy ? `${(results.copy.copyBytes / 1024 / 1024).toFixed(1)} MiB` : "3 MiB"} of \`video/mp4\` per video), so the server downloads it through
   its guarded fetcher (\`OPENV_OUTPUT_ALLOWED_HOSTS\` lists the loopback stand-in) and stores it in
   local storage before the transition. The copies are deleted between runs.

${originalAppNote}

CPU per request sent (ms; server = the process under test; requests still in flight when a run stopped count, as the server did their work), and database work per request (commits
include each autocommit statement; both approximate, PostgreSQL reports with a delay of about a second):

${markdownTable(costHeader, buildCostRows(results))}

${statementTables(results, 160)
  .map(
    (table) =>
      `<details><summary>${table.title}</summary>\n\n${markdownTable(
        [
          "sent per request",
          "inside a function per request",
          "mean ms",
          "ms per request",
          "statement (pg_stat_statements)",
        ],
        table.rows.map(([calls, nested, mean, perRequest, query]) => [
          calls ?? "",
          nested ?? "",
          mean ?? "",
          perRequest ?? "",
          `\`${query}\``,
        ]),
      )}\n\n</details>`,
  )
  .join("\n\n")}
${plan ? `\nPrisma's incremental list query on the ${options.list.large.toLocaleString("en")}-video table (EXPLAIN ANALYZE, BUFFERS):\n\n\`\`\`\n${plan}\n\`\`\`\n` : ""}
## What bounds each figure

${bounds}
`;
}
