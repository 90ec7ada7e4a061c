import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { Store } from "../../core/ports.js";
import { applyMigrations, defaultMigrationsDir } from "./migrate.js";
import { keepMigratedImage, migratedImage } from "./migrated-image.js";
import { PrismaStore } from "./prisma.js";

/** Settings of `createEmbeddedStore`. */
export interface EmbeddedStoreOptions {
  /** Folder of the database files; omitted: an in-memory database (tests). */
  dataDir?: string;
  /** The folder of SQL migrations to apply at start. Default: the ones shipped with the package. */
  migrationsDir?: string;
}

/** A new in-memory PGlite with the migrations applied (see ./migrated-image.ts). */
async function openMigratedInMemory(migrationsDir: string | undefined): Promise<PGlite> {
  const folder = migrationsDir ?? defaultMigrationsDir();
  const image = await migratedImage(migrationsDir)?.catch(() => null);
  if (image) {
    // Finds every migration applied (and applies any added to the folder since the image).
    return migrated(await PGlite.create({ loadDataDir: image }), folder);
  }
  let settle: { resolve(image: Blob): void; reject(error: unknown): void } | undefined;
  keepMigratedImage(
    migrationsDir,
    new Promise<Blob>((resolve, reject) => {
      settle = { resolve, reject };
    }),
  );
  try {
    const db = await migrated(await PGlite.create(), folder);
    settle?.resolve(await db.dumpDataDir("none"));
    return db;
  } catch (error) {
    settle?.reject(error);
    throw error;
  }
}

async function migrated(db: PGlite, migrationsDir: string): Promise<PGlite> {
  try {
    await applyMigrations(new PrismaPGlite(db), migrationsDir);
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
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
  const db = dbDir
    ? await migrated(await PGlite.create(dbDir), options.migrationsDir ?? defaultMigrationsDir())
    : await openMigratedInMemory(options.migrationsDir);
  return new PrismaStore({
    name: dbDir ? `embedded PostgreSQL (PGlite) in ${dbDir}` : "embedded PostgreSQL (PGlite) in memory",
    adapter: new PrismaPGlite(db),
    // PGlite is one session: its own queue orders these with the Prisma adapter's queries and transactions.
    sql: async (text, params) => (await db.query<Record<string, unknown>>(text, params)).rows,
    onClose: () => db.close(),
  });
}
