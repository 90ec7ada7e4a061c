import { describeFailures, type LoadResult } from "./load.js";
import type { PostgresCounters, StatementCounter } from "./postgres.js";
import type { Progress } from "./progress.js";
import { type CpuSubjects, type CpuUsage, measureCpu } from "./resources.js";
import { median } from "./stats.js";

/** One measured run: the load result and what it cost. */
export interface Sample {
  load: LoadResult;
  cpu: CpuUsage;
  /** Counter deltas of the run's database; null when they could not be read. */
  postgres: PostgresCounters | null;
}

/** How often one statement ran per request sent, and what it cost PostgreSQL. */
export interface StatementShare {
  query: string;
  /** Calls per request sent by the server (top level; inside a function: 0). */
  perRequest: number;
  /** Calls per request made inside the SQL functions the server calls. */
  nestedPerRequest: number;
  /** Mean execution time of one call, ms (pg_stat_statements total_exec_time ÷ calls). */
  meanMs: number;
  /** Execution time per request sent, ms. */
  msPerRequest: number;
}

/** The median of each figure over a figure's runs. */
export interface Summary {
  runs: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** 2xx answers over all runs. */
  ok: number;
  /** Non-2xx answers and errors over all runs, described ("" when none). */
  failures: string;
  /** CPU ms per request sent, by party (null: not measurable). */
  cpuPerRequest: { server: number; postgres: number | null; standIn: number | null; loadGenerator: number };
  /** Share of the machine's CPU (all cores) busy, and waiting for I/O, during the runs. */
  machineBusy: number;
  machineIowait: number;
  /** Database commits and WAL flushes per request sent (approximate: PostgreSQL reports with ~1 s delay). */
  commitsPerRequest: number | null;
  walSyncsPerRequest: number | null;
  /** Statements per request sent (pg_stat_statements; BEGIN and COMMIT count), null when unavailable. */
  statementsPerRequest: number | null;
  /** Which statements, per 2xx answer, in the last run (most frequent first). */
  statements: StatementShare[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `load` once while charging CPU time to `subjects` and reading the database's counters
 * before and after. Waits a second afterwards so late statistics land and the next run starts
 * from a quiet machine.
 */
export async function measure(
  subjects: CpuSubjects,
  counters: (() => Promise<PostgresCounters>) | null,
  load: () => Promise<LoadResult>,
): Promise<Sample> {
  const before = counters ? await counters().catch(() => null) : null;
  const cpuSince = measureCpu(subjects);
  const result = await load();
  const cpu = cpuSince();
  await sleep(1_000);
  const after = counters && before ? await counters().catch(() => null) : null;
  return { load: result, cpu, postgres: before && after ? difference(before, after) : null };
}

function difference(before: PostgresCounters, after: PostgresCounters): PostgresCounters {
  let statements: Map<string, StatementCounter> | null = null;
  if (before.statements && after.statements) {
    statements = new Map();
    for (const [query, now] of after.statements) {
      const then = before.statements.get(query);
      const delta = {
        calls: now.calls - (then?.calls ?? 0),
        nestedCalls: now.nestedCalls - (then?.nestedCalls ?? 0),
        ms: now.ms - (then?.ms ?? 0),
      };
      if (delta.calls > 0 || delta.nestedCalls > 0) statements.set(query, delta);
    }
  }
  return { commits: after.commits - before.commits, walSyncs: after.walSyncs - before.walSyncs, statements };
}

/** Statements the server sent (top-level calls; those run inside its SQL functions are not requests of their own). */
const sentStatements = (map: Map<string, StatementCounter>) =>
  [...map.values()].reduce((sum, counter) => sum + counter.calls, 0);

export function summarize(samples: Sample[]): Summary {
  const of = (pick: (sample: Sample) => number) => median(samples.map(pick));
  const perRequest = (pick: (sample: Sample) => number | null) => {
    const values = samples.flatMap((sample) => {
      const value = pick(sample);
      return value === null || sample.load.sent === 0 ? [] : [value / sample.load.sent];
    });
    return values.length === 0 ? null : median(values);
  };
  const failures: Record<string, number> = {};
  let errors = 0;
  for (const { load } of samples) {
    for (const [status, count] of Object.entries(load.failures)) failures[status] = (failures[status] ?? 0) + count;
    errors += load.errors;
  }
  return {
    runs: samples.length,
    rps: of((sample) => sample.load.rps),
    p50: of((sample) => sample.load.p50),
    p95: of((sample) => sample.load.p95),
    p99: of((sample) => sample.load.p99),
    ok: samples.reduce((sum, sample) => sum + sample.load.ok, 0),
    failures: describeFailures({ failures, errors }),
    cpuPerRequest: {
      server: perRequest((sample) => sample.cpu.server) ?? Number.NaN,
      postgres: perRequest((sample) => sample.cpu.postgres),
      standIn: perRequest((sample) => sample.cpu.standIn),
      loadGenerator: perRequest((sample) => sample.cpu.loadGenerator) ?? Number.NaN,
    },
    machineBusy: of((sample) => sample.cpu.machineBusy / sample.cpu.machineTotal),
    machineIowait: of((sample) => sample.cpu.machineIowait / sample.cpu.machineTotal),
    commitsPerRequest: perRequest((sample) => sample.postgres?.commits ?? null),
    walSyncsPerRequest: perRequest((sample) => sample.postgres?.walSyncs ?? null),
    statementsPerRequest: perRequest((sample) => {
      const statements = sample.postgres?.statements;
      return statements ? sentStatements(statements) : null;
    }),
    statements: breakdown(samples.at(-1)),
  };
}

function breakdown(sample: Sample | undefined): StatementShare[] {
  const statements = sample?.postgres?.statements;
  if (!sample || !statements || sample.load.sent === 0) return [];
  const { sent } = sample.load;
  return [...statements.entries()]
    .map(([query, counter]) => ({
      query: query.replace(/\s+/g, " ").trim(),
      perRequest: counter.calls / sent,
      nestedPerRequest: counter.nestedCalls / sent,
      meanMs: counter.ms / Math.max(1, counter.calls + counter.nestedCalls),
      msPerRequest: counter.ms / sent,
    }))
    .filter((share) => share.perRequest + share.nestedPerRequest >= 0.05)
    .sort((a, b) => b.perRequest - a.perRequest || b.msPerRequest - a.msPerRequest);
}

/** One progress line for a run. */
export function describeSample(label: string, sample: Sample): string {
  const { load } = sample;
  const failures = describeFailures(load);
  return `${label}: ${load.rps.toFixed(0)} req/s, p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms, server CPU ${(sample.cpu.server / Math.max(1, load.sent)).toFixed(2)} ms/req${failures ? ` — NOT 2xx: ${failures}` : ""}`;
}

/** Runs `samplers` in turn, `runs` times (interleaved, so slow drift of a shared machine hits each alike). */
export async function interleave<K extends string>(
  progress: Progress,
  runs: number,
  samplers: Record<K, () => Promise<Sample>>,
): Promise<Record<K, Sample[]>> {
  const keys = Object.keys(samplers) as K[];
  const samples = Object.fromEntries(keys.map((key) => [key, [] as Sample[]])) as Record<K, Sample[]>;
  for (let run = 1; run <= runs; run++) {
    for (const key of keys) {
      const sample = await samplers[key]();
      samples[key].push(sample);
      progress.detail(describeSample(`${key} run ${run}/${runs}`, sample));
    }
  }
  return samples;
}
