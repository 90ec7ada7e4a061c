import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import type { Store } from "../../core/ports.js";
import { applyMigrations, defaultMigrationsDir } from "./migrate.js";
import { PrismaStore } from "./prisma.js";

// How long a query waits for a connection: to open one, or for a busy pool to free one.
const connectTimeoutMs = 5_000;

/** Settings of `createPostgresStore`. */
export interface PostgresStoreOptions {
  /** The PostgreSQL server (`DATABASE_URL`), e.g. `postgres://user:pass@host:5432/openv`. */
  connectionString: string;
  /** The folder of SQL migrations to apply at start. Default: the ones shipped with the package. */
  migrationsDir?: string;
  /** Connections in this instance's pool. Default 10. */
  poolSize?: number;
}

/** A PostgreSQL server (`DATABASE_URL`): what production runs, any number of instances on one database. */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const config = {
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    // Without it a query waits for ever for a connection to a server that does not answer (a
    // network partition drops packets silently): the request hangs instead of failing with 503.
    connectionTimeoutMillis: connectTimeoutMs,
  };
  const migrationPool = quietPool(config);
  try {
    await applyMigrations(postgresMigrationAdapter(migrationPool), options.migrationsDir ?? defaultMigrationsDir());
  } finally {
    await migrationPool.end();
  }
  const url = new URL(options.connectionString);
  // One pool for Prisma and for the hot-path operations that skip it (see operations.ts).
  const pool = quietPool(config);
  return new PrismaStore({
    name: `PostgreSQL at ${url.hostname}${url.port ? `:${url.port}` : ""}${url.pathname}`,
    adapter: new PrismaPg(pool),
    sql: async (text, params) => (await pool.query<Record<string, unknown>>(text, params)).rows,
    onClose: () => pool.end(),
  });
}

/**
 * The migration adapter over `pool`: PrismaPg's, except that a migration script runs whole, as one
 * simple-protocol query (as psql and Prisma's native engine run it). PrismaPg splits a script at
 * every `;`, which cuts a function body (`openv_apply_video_change`) in pieces. Whoever migrates a
 * PostgreSQL database (the store at start, the test suites' template) goes through it.
 */
export function postgresMigrationAdapter(pool: pg.Pool): SqlMigrationAwareDriverAdapterFactory {
  const factory = new PrismaPg(pool);
  const whole = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    adapter.executeScript = async (script: string) => {
      await pool.query(script);
    };
    return adapter;
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => whole(await factory.connect()),
    connectToShadowDb: async () => whole(await factory.connectToShadowDb()),
  };
}

/**
 * A pool whose idle connections may die (the server restarts, an operator ends them) without
 * crashing the process: `pg` emits that as an `error` event on the pool, fatal when nobody listens.
 * The connection is dropped from the pool, and the next query opens another (or fails, and its
 * request answers 503).
 */
function quietPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on("error", () => {});
  return pool;
}
