import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Progress } from "./progress.js";

/** The PostgreSQL server the bench runs against, and how to reach its databases. */
export interface PostgresServer {
  /** Where it came from: "OPENV_BENCH_DATABASE_URL" or "throwaway cluster in <dir>". */
  origin: string;
  /** `SHOW server_version`. */
  version: string;
  /** The settings that matter for honest write numbers (fsync, synchronous_commit, shared_buffers…). */
  settings: Record<string, string>;
  /** The connection string of database `name` on this server. */
  url(name: string): string;
  /** The postmaster's pid when the cluster is ours (its CPU time can then be read from /proc). */
  postmasterPid: number | null;
  /** Drops and creates `name` (a fresh, empty database). */
  recreateDatabase(name: string): Promise<void>;
  /** Creates `name` unless it exists. */
  ensureDatabase(name: string): Promise<void>;
  /** Commits, WAL flushes and statements (when pg_stat_statements is loaded) of database `name` so far. */
  counters(name: string): Promise<PostgresCounters>;
  /** Stops the cluster if the bench started it (its data directory is kept for the next run). */
  stop(): Promise<void>;
}

const benchPort = 54339;
const settingNames = ["fsync", "synchronous_commit", "wal_sync_method", "shared_buffers", "max_connections"];

/** What the seeding functions need of a connection: `pg.Client` and PGlite both have it. */
export interface SqlClient {
  query<R extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/** A PostgreSQL database by connection string, or the embedded PGlite database a stopped server keeps in `pglite`. */
export type DatabaseTarget = string | { pglite: string };

/** Runs `fn` with one connection to `target` (for PGlite: the database opened in this process; its server must be stopped). */
export async function withDatabase<T>(target: DatabaseTarget, fn: (client: SqlClient) => Promise<T>): Promise<T> {
  if (typeof target === "string") return withClient(target, (client) => fn(client as unknown as SqlClient));
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create(target.pglite);
  try {
    return await fn(db as unknown as SqlClient);
  } finally {
    await db.close();
  }
}

/** Runs `fn` with one connection to `url`. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The PostgreSQL server at OPENV_BENCH_DATABASE_URL (its user must be allowed to create
 * databases), else a throwaway cluster of the machine's PostgreSQL on port 54339 with fsync on.
 * The cluster's data directory survives the run, so the seeded list databases are reused.
 */
export async function openPostgres(progress: Progress): Promise<PostgresServer> {
  const given = process.env.OPENV_BENCH_DATABASE_URL;
  if (given) return describe(given, "OPENV_BENCH_DATABASE_URL", null, async () => {});
  const cluster = startCluster(progress);
  return describe(cluster.url, `throwaway cluster in ${cluster.dataDir}`, cluster.postmasterPid(), async () => {
    progress.step("stopping the bench's PostgreSQL (its data directory is kept)");
    cluster.stop();
  });
}

async function describe(
  adminUrl: string,
  origin: string,
  postmasterPid: number | null,
  stop: () => Promise<void>,
): Promise<PostgresServer> {
  const { version, settings } = await withClient(adminUrl, async (client) => {
    // Only where it is loaded (the bench's own cluster); elsewhere statement counts are n/a.
    await client.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").catch(() => {});
    const version = (await client.query<{ server_version: string }>("SHOW server_version")).rows[0]?.server_version;
    const rows = await client.query<{ name: string; setting: string; unit: string | null }>(
      "SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)",
      [settingNames],
    );
    const settings = Object.fromEntries(rows.rows.map((row) => [row.name, showSetting(row)]));
    return { version: version ?? "unknown", settings };
  });
  const url = (name: string) => {
    const parsed = new URL(adminUrl);
    parsed.pathname = `/${name}`;
    return parsed.toString();
  };
  const databaseExists = (client: pg.Client, name: string) =>
    client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]).then((result) => result.rowCount === 1);
  return {
    origin,
    version,
    settings,
    url,
    postmasterPid,
    recreateDatabase: (name) =>
      withClient(adminUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      }),
    ensureDatabase: (name) =>
      withClient(adminUrl, async (client) => {
        if (!(await databaseExists(client, name))) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      }),
    counters: (name) => readCounters(adminUrl, name),
    stop,
  };
}

function showSetting(row: { setting: string; unit: string | null }): string {
  if (row.unit === "8kB") return `${Math.round((Number(row.setting) * 8) / 1024)} MB`;
  return row.setting;
}

interface Cluster {
  url: string;
  dataDir: string;
  postmasterPid(): number | null;
  stop(): void;
}

/** As scripts/test-all.sh does: Debian's PostgreSQL, run as the postgres user when we are root. */
function startCluster(progress: Progress): Cluster {
  const bin = postgresBin();
  const dataDir = path.join(os.tmpdir(), `openv-bench-pg-${benchPort}`);
  const asPostgres = (command: string, args: string[]) => {
    const root = process.getuid?.() === 0;
    const [file, argv] = root ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
    return execFileSync(file, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  };
  const pgCtl = path.join(bin, "pg_ctl");
  const running = () => {
    try {
      asPostgres(pgCtl, ["-D", dataDir, "status"]);
      return true;
    } catch {
      return false;
    }
  };
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    progress.step(`creating a PostgreSQL cluster in ${dataDir} (initdb)`);
    mkdirSync(dataDir, { recursive: true });
    if (process.getuid?.() === 0) execFileSync("chown", ["postgres", dataDir]);
    asPostgres(path.join(bin, "initdb"), ["-D", dataDir, "-U", "postgres", "-A", "trust"]);
  }
  if (!running()) {
    progress.step(`starting PostgreSQL on 127.0.0.1:${benchPort} (fsync on)`);
    // pg_stat_statements counts the statements each request costs, and times them, including the
    // statements inside the SQL functions of the hot paths (track = all; evidence in the report).
    const options = `-p ${benchPort} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all`;
    asPostgres(pgCtl, ["-D", dataDir, "-l", path.join(dataDir, "server.log"), "-w", "-o", options, "start"]);
  } else {
    progress.step(`reusing the PostgreSQL already running in ${dataDir}`);
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${benchPort}/postgres`,
    dataDir,
    postmasterPid() {
      const file = path.join(dataDir, "postmaster.pid");
      if (!existsSync(file)) return null;
      const pid = Number(readFileSync(file, "utf8").split("\n")[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    },
    stop() {
      if (running()) asPostgres(pgCtl, ["-D", dataDir, "-m", "fast", "-w", "stop"]);
    },
  };
}

function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? execFileSync("ls", [root], { encoding: "utf8" })
        .split("\n")
        .filter((name) => existsSync(path.join(root, name, "bin", "pg_ctl")))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  const newest = versions.at(-1);
  if (!newest) {
    throw new Error(
      "No PostgreSQL server found under /usr/lib/postgresql: install it (apt-get install postgresql) or set OPENV_BENCH_DATABASE_URL.",
    );
  }
  return path.join(root, newest, "bin");
}

/** Cluster-wide and per-database counters, read before and after a run (evidence for what bounds it). */
export interface PostgresCounters {
  /** Committed transactions in the database (each autocommit statement counts). */
  commits: number;
  /** WAL flushes to disk (pg_stat_wal.wal_sync), cluster-wide. */
  walSyncs: number;
  /** Per statement text in the database (pg_stat_statements), or null when it is not loaded. */
  statements: Map<string, StatementCounter> | null;
}

/** One statement text's pg_stat_statements counters. */
export interface StatementCounter {
  /** Calls sent by a client (top level). */
  calls: number;
  /** Calls made inside a function or procedure (tracked because the bench sets `pg_stat_statements.track = all`). */
  nestedCalls: number;
  /** Execution time of all its calls, ms (a nested statement's time is also inside its caller's). */
  ms: number;
}

async function readCounters(adminUrl: string, database: string): Promise<PostgresCounters> {
  return withClient(adminUrl, async (client) => {
    const commits = await client.query<{ xact_commit: string }>(
      "SELECT xact_commit FROM pg_stat_database WHERE datname = $1",
      [database],
    );
    const wal = await client.query<{ wal_sync: string }>("SELECT wal_sync FROM pg_stat_wal").catch(() => null);
    const statements = await client
      .query<{ query: string; calls: string; nested: string; ms: number }>(
        `SELECT query,
                sum(calls) FILTER (WHERE toplevel) AS calls,
                sum(calls) FILTER (WHERE NOT toplevel) AS nested,
                sum(total_exec_time) AS ms
         FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) GROUP BY query`,
        [database],
      )
      .then(
        (result) =>
          new Map(
            result.rows.map((row) => [
              row.query,
              { calls: Number(row.calls ?? 0), nestedCalls: Number(row.nested ?? 0), ms: Number(row.ms) },
            ]),
          ),
      )
      .catch(() => null);
    return {
      commits: Number(commits.rows[0]?.xact_commit ?? 0),
      walSyncs: Number(wal?.rows[0]?.wal_sync ?? Number.NaN),
      statements,
    };
  });
}
