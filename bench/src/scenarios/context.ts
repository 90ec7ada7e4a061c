import type { BenchOptions } from "../options.js";
import type { PostgresServer } from "../postgres.js";
import type { Progress } from "../progress.js";

/** What every scenario gets. */
export interface BenchContext {
  options: BenchOptions;
  progress: Progress;
  postgres: PostgresServer;
  /** A folder for this run's logs, server data and CPU profiles. */
  runDir: string;
}

/** The database the write scenarios use; recreated at every bench run. */
export const loadDatabase = "openv_bench_load";
