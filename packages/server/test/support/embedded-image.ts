import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { applyMigrations, defaultMigrationsDir } from "../../src/adapters/store/migrate.js";

/**
 * The files of a fresh in-memory embedded database with the package's migrations applied
 * (PGlite's `dumpDataDir`): made once per `vitest run` by the global setup, written to a file, and
 * handed to every test process (support/embedded-image-setup.ts), whose in-memory stores all
 * start from a copy of it instead of running PGlite's initdb and the schema engine themselves.
 */
export async function makeMigratedImage(): Promise<Blob> {
  const db = await PGlite.create();
  try {
    await applyMigrations(new PrismaPGlite(db), defaultMigrationsDir());
    return await db.dumpDataDir("none");
  } finally {
    await db.close();
  }
}
