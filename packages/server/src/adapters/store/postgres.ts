import { PrismaPg } from "@prisma/adapter-pg";
import type { Store } from "../../core/ports.js";
import { applyMigrations, defaultMigrationsDir } from "./migrate.js";
import { PrismaStore } from "./prisma.js";

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
  const config = { connectionString: options.connectionString, max: options.poolSize ?? 10 };
  await applyMigrations(new PrismaPg(config), options.migrationsDir ?? defaultMigrationsDir());
  const url = new URL(options.connectionString);
  return new PrismaStore({
    name: `PostgreSQL at ${url.hostname}${url.port ? `:${url.port}` : ""}${url.pathname}`,
    adapter: new PrismaPg(config),
  });
}
