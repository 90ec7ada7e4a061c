import { createHash } from "node:crypto";
import pg from "pg";
import { applyMigrations, defaultMigrationsDir, readMigrations } from "../../src/adapters/store/migrate.js";
import { postgresMigrationAdapter } from "../../src/adapters/store/postgres.js";

/**
 * The migrated template database the suites copy their throwaway PostgreSQL databases from
 * (`CREATE DATABASE … TEMPLATE …`: a file copy, no schema engine per test). Its name carries a
 * hash of the migrations, so a new or edited migration makes a new template, and runs from other
 * checkouts sharing the server (with other migrations) each get their own.
 */
export function templateName(migrationsDir = defaultMigrationsDir()): string {
  const hash = createHash("sha256");
  for (const { path, migrationFile } of readMigrations(migrationsDir).migrationDirectories) {
    hash.update(`${path}\0${migrationFile.content.value}\0`);
  }
  return `openv_template_${hash.digest("hex").slice(0, 16)}`;
}

/**
 * Makes sure the template of the current migrations exists on the server at `adminUrl`, migrating
 * it once (through `applyMigrations`, as a server start would) when it does not. Safe to run from
 * several test runs at once: one builds under an advisory lock, the others wait and reuse it.
 * The finished template refuses connections, so nothing holds it open while it is copied.
 */
export async function ensureTemplateDatabase(adminUrl: string): Promise<string> {
  const name = templateName();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query("SELECT pg_advisory_lock(hashtext($1))", [name]);
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) {
      // Built under another name and renamed when done: a run killed midway leaves no half template.
      const building = `${name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${building}`);
      const url = new URL(adminUrl);
      url.pathname = `/${building}`;
      const pool = new pg.Pool({ connectionString: url.toString(), max: 2, connectionTimeoutMillis: 60_000 });
      try {
        await applyMigrations(postgresMigrationAdapter(pool), defaultMigrationsDir());
      } finally {
        await pool.end();
      }
      // The engine's connections may outlive it by a moment; a rename needs none left.
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [building]);
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      await admin.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    }
    await admin.query("SELECT pg_advisory_unlock(hashtext($1))", [name]);
  } finally {
    await admin.end();
  }
  return name;
}
