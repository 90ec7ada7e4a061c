import { parseArgs } from "node:util";

export const phases = ["generate", "webhook", "copy", "list", "sse", "sse-cluster", "pglite"] as const;
export type Phase = (typeof phases)[number];

/** What `pnpm bench` was asked to do. */
export interface BenchOptions {
  /** Autocannon runs per figure; each figure is the median over them. */
  runs: number;
  /** Seconds per autocannon run (and per SSE run, at 10 webhooks a second). */
  durationSeconds: number;
  /** Concurrent connections of every load run. */
  connections: number;
  /** Tiny sizes for a smoke run. */
  quick: boolean;
  /** Write docs/benchmarks.md. */
  write: boolean;
  /** Measure nothing: print (and with `write`, write) the report of an earlier run's results.json. */
  from: string | undefined;
  /** The phases to run (all by default). */
  only: Set<Phase>;
  /** Videos in the table for the two list measurements, and how many the measured user has. */
  list: { small: number; large: number; userVideos: number };
  /** SSE watchers of the fan-out measurement. */
  watchers: number;
  /** SSE watchers of the two-instance measurement (half on each instance). */
  clusterWatchers: number;
  /** Bytes of the MP4 the copy scenario's webhooks make the server copy. */
  copyBytes: number;
  /** Users the generate requests rotate over (each has accepted the terms). */
  generateUsers: number;
  /** LOG_LEVEL of the reference server (its default, info, logs every request). */
  serverLogLevel: string;
  /** Write a V8 CPU profile of each reference server process into the run folder. */
  cpuProfile: boolean;
  /** The command line as given, for the report. */
  argv: string[];
}

const usage = `pnpm bench [options]
  --runs N           runs per figure, median reported (default 3)
  --duration S       seconds per run (default 10)
  --connections N    concurrent connections (default 10)
  --quick            tiny sizes, 1 run of 2 s: a smoke run
  --only LIST        comma-separated phases: ${phases.join(",")}
                     (generate, webhook: server and floor on PostgreSQL; copy: webhooks whose output
                     is downloaded and stored; sse: 1 and --watchers streams on one instance;
                     sse-cluster: --cluster-watchers streams on 2 instances; pglite: generate and
                     webhook on the embedded default)
  --watchers N       SSE streams of the one-instance fan-out (default 1000; --quick 50)
  --cluster-watchers N  SSE streams over the 2 instances (default 10000; --quick 200)
  --copy-mib N       MiB of the MP4 each copy-scenario webhook copies (default 3)
  --server-log-level LEVEL   the reference server's LOG_LEVEL (default info, as shipped)
  --cpu-prof         write V8 CPU profiles of the reference server into the run folder
  --write            write docs/benchmarks.md from this run
  --from FILE        measure nothing: report an earlier run's results.json (with --write: write it)`;

export function parseOptions(argv: string[]): BenchOptions {
  const args = argv.filter((arg) => arg !== "--");
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: "string" },
      duration: { type: "string" },
      connections: { type: "string" },
      quick: { type: "boolean", default: false },
      watchers: { type: "string" },
      "cluster-watchers": { type: "string" },
      "copy-mib": { type: "string" },
      only: { type: "string" },
      "server-log-level": { type: "string", default: "info" },
      "cpu-prof": { type: "boolean", default: false },
      write: { type: "boolean", default: false },
      from: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const quick = values.quick;
  const count = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number ≥ 1\n${usage}`);
    return value;
  };
  const only = new Set<Phase>();
  for (const name of values.only?.split(",") ?? phases) {
    if (!(phases as readonly string[]).includes(name)) throw new Error(`unknown phase "${name}"\n${usage}`);
    only.add(name as Phase);
  }
  return {
    runs: count("runs", values.runs, quick ? 1 : 3),
    durationSeconds: count("duration", values.duration, quick ? 2 : 10),
    connections: count("connections", values.connections, 10),
    quick,
    write: values.write,
    from: values.from,
    only,
    list: quick
      ? { small: 1_000, large: 20_000, userVideos: 1_000 }
      : { small: 10_000, large: 1_000_000, userVideos: 10_000 },
    watchers: count("watchers", values.watchers, quick ? 50 : 1_000),
    clusterWatchers: count("cluster-watchers", values["cluster-watchers"], quick ? 200 : 10_000),
    copyBytes: count("copy-mib", values["copy-mib"], 3) * 1024 * 1024,
    generateUsers: quick ? 500 : 5_000,
    serverLogLevel: values["server-log-level"],
    cpuProfile: values["cpu-prof"],
    argv: args,
  };
}
