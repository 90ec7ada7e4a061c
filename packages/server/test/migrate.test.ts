import { createHash } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { describe, expect, it } from "vitest";
import { createEmbeddedStore } from "../src/adapters/store/embedded.js";
import { applyMigrations, defaultMigrationsDir, readMigrations } from "../src/adapters/store/migrate.js";
import { postgresMigrationAdapter } from "../src/adapters/store/postgres.js";
import { createTestDatabase } from "./helpers.js";

const adminUrl = process.env.OPENV_TEST_DATABASE_URL;
const migrations = readMigrations(defaultMigrationsDir()).migrationDirectories;
const names = migrations.map((migration) => migration.path);

// The suites' PostgreSQL databases are copies of a template migrated once per run (see
// support/global-setup.ts), so this is where `applyMigrations` itself meets an empty database.
describe("applyMigrations", () => {
  it.skipIf(!adminUrl)(
    "applies every migration to an empty PostgreSQL database, records Prisma's checksums, and applies none the second time",
    async () => {
      const database = await createTestDatabase(adminUrl as string, { empty: true });
      const pool = new pg.Pool({ connectionString: database.url, max: 2 });
      try {
        const factory = () => postgresMigrationAdapter(pool);
        expect(await applyMigrations(factory(), defaultMigrationsDir())).toEqual(names);
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        try {
          const tables = await client.query(`SELECT to_regclass('"Video"') IS NOT NULL AS "exists"`);
          expect(tables.rows[0]).toEqual({ exists: true });
          // The quick "nothing to do" check compares these checksums with the folder's scripts.
          const rows = await client.query(`SELECT migration_name, checksum FROM _prisma_migrations ORDER BY 1`);
          expect(rows.rows).toEqual(
            migrations.map(({ path, migrationFile }) => ({
              migration_name: path,
              checksum: createHash("sha256").update(migrationFile.content.value).digest("hex"),
            })),
          );
        } finally {
          await client.end();
        }
        // Up to date: one connection for one look at the bookkeeping, and no schema engine (which
        // would open its own), as every server start on a copy of the suites' template does.
        const counted = factory();
        const connect = counted.connect.bind(counted);
        let connections = 0;
        counted.connect = () => {
          connections++;
          return connect();
        };
        expect(await applyMigrations(counted, defaultMigrationsDir())).toEqual([]);
        expect(connections).toBe(1);
      } finally {
        await pool.end();
        await database.drop();
      }
    },
  );

  it("applies every migration to an empty embedded database, then none", async () => {
    const db = await PGlite.create();
    try {
      expect(await applyMigrations(new PrismaPGlite(db), defaultMigrationsDir())).toEqual(names);
      expect(await applyMigrations(new PrismaPGlite(db), defaultMigrationsDir())).toEqual([]);
      // A migration recorded as failed is not "applied": the engine is asked, and refuses as
      // `prisma migrate deploy` does, naming the migration.
      await db.query(`UPDATE "_prisma_migrations" SET finished_at = NULL WHERE migration_name = $1`, [names.at(-1)]);
      await expect(applyMigrations(new PrismaPGlite(db), defaultMigrationsDir())).rejects.toThrow(
        new RegExp(String(names.at(-1))),
      );
    } finally {
      await db.close();
    }
  });

  it("gives every in-memory embedded store its own migrated database, also those copied from the first one's", async () => {
    type Raw = {
      client: { $queryRawUnsafe<T>(sql: string): Promise<T>; $executeRawUnsafe(sql: string): Promise<number> };
    };
    const stores = [await createEmbeddedStore(), await createEmbeddedStore(), await createEmbeddedStore()];
    try {
      const [first, second, third] = stores.map((store) => (store as unknown as Raw).client);
      await first?.$executeRawUnsafe(`INSERT INTO "User" (id) VALUES ('only-in-the-first')`);
      await second?.$executeRawUnsafe(`INSERT INTO "User" (id) VALUES ('only-in-the-second')`);
      for (const [client, expected] of [
        [first, ["only-in-the-first"]],
        [second, ["only-in-the-second"]],
        [third, []],
      ] as const) {
        const users = await client?.$queryRawUnsafe<{ id: string }[]>(`SELECT id FROM "User" ORDER BY id`);
        expect(users?.map((user) => user.id)).toEqual(expected);
        const applied = await client?.$queryRawUnsafe<{ migration_name: string }[]>(
          `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1`,
        );
        expect(applied?.map((row) => row.migration_name)).toEqual(names);
      }
    } finally {
      for (const store of stores) await store.close();
    }
  });
});
