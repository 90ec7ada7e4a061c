import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { Store } from "../../core/ports.js";
import { applyMigrations, defaultMigrationsDir } from "./migrate.js";
import { PrismaStore } from "./prisma.js";

/** Settings of `createEmbeddedStore`. */
export interface EmbeddedStoreOptions {
  /** Folder of the database files; omitted: an in-memory database (tests). */
  dataDir?: string;
  /** The folder of SQL migrations to apply at start. Default: the ones shipped with the package. */
  migrationsDir?: string;
}

/**
 * Embedded PostgreSQL (PGlite) in this process, persisted under `dataDir`: the zero-configuration
 * store. Same schema and migrations as a PostgreSQL server.
 */
export async function createEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<Store> {
  let dbDir: string | undefined;
  if (options.dataDir) {
    dbDir = path.join(options.dataDir, "pglite");
    mkdirSync(dbDir, { recursive: true });
  }
  const db = await PGlite.create(dbDir);
  try {
    await applyMigrations(new PrismaPGlite(db), options.migrationsDir ?? defaultMigrationsDir());
  } catch (error) {
    await db.close();
    throw error;
  }
  return new PrismaStore({
    name: dbDir ? `embedded PostgreSQL (PGlite) in ${dbDir}` : "embedded PostgreSQL (PGlite) in memory",
    adapter: new PrismaPGlite(db),
    // PGlite is one session: its own queue orders these with the Prisma adapter's queries and transactions.
    sql: async (text, params) => (await db.query<Record<string, unknown>>(text, params)).rows,
    onClose: () => db.close(),
  });
}
