import { PrismaPg } from "@prisma/adapter-pg";
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
  await applyMigrations(new PrismaPg(config), options.migrationsDir ?? defaultMigrationsDir());
  const url = new URL(options.connectionString);
  return new PrismaStore({
    name: `PostgreSQL at ${url.hostname}${url.port ? `:${url.port}` : ""}${url.pathname}`,
    adapter: new PrismaPg(config),
  });
}
