import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";

// The Prisma CLI cannot migrate offline (it downloads a native schema engine on every command).
// Prisma ships the same engine compiled to WebAssembly as @prisma/schema-engine-wasm, which talks
// to the database through a driver adapter. This module is the only place that knows about that
// internal package; its version is pinned to the one @prisma/client was built with.

type SchemaEngineModule = typeof import("@prisma/schema-engine-wasm/schema_engine_bg");
type SchemaEngine = Awaited<ReturnType<SchemaEngineModule["SchemaEngine"]["new"]>>;

const noFilters = { externalTables: [], externalEnums: [] };
let engineModule: Promise<SchemaEngineModule> | undefined;

/** Loads and instantiates the WebAssembly schema engine once per process. */
function loadEngineModule(): Promise<SchemaEngineModule> {
  engineModule ??= (async () => {
    // Without a registry, a panic inside the engine surfaces as "unreachable" with no message.
    const registry = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(m: string): void } };
    registry.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message(message: string) {
        throw new Error(`Prisma schema engine panicked: ${message}`);
      },
    };
    const bindings = await import("@prisma/schema-engine-wasm/schema_engine_bg");
    const require = createRequire(import.meta.url);
    const wasmPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg").replace(/\.js$/, ".wasm");
    const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {
      "./schema_engine_bg.js": bindings as unknown as WebAssembly.ModuleImports,
    });
    const exports = instance.exports as WebAssembly.Exports & { __wbindgen_start(): void };
    bindings.__wbg_set_wasm(exports);
    exports.__wbindgen_start();
    return bindings;
  })();
  return engineModule;
}

async function openEngine(factory: SqlMigrationAwareDriverAdapterFactory, schema: string): Promise<SchemaEngine> {
  const { SchemaEngine } = await loadEngineModule();
  return SchemaEngine.new(
    { datamodels: [["schema.prisma", schema]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(factory),
  );
}

/** Reads a Prisma migrations folder (`<dir>/<timestamp>_<name>/migration.sql`) in order. */
export function readMigrations(migrationsDir: string) {
  const names = readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(migrationsDir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort();
  const lockfilePath = path.join(migrationsDir, "migration_lock.toml");
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: "migration_lock.toml",
      content: existsSync(lockfilePath) ? readFileSync(lockfilePath, "utf8") : null,
    },
    shadowDbInitScript: "",
    migrationDirectories: names.map((name) => ({
      path: name,
      migrationFile: {
        path: "migration.sql",
        content: { tag: "ok" as const, value: readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8") },
      },
    })),
  };
}

/**
 * Applies every pending migration, with the same `_prisma_migrations` bookkeeping as
 * `prisma migrate deploy`. Returns the names of the migrations it applied.
 */
export async function applyMigrations(
  factory: SqlMigrationAwareDriverAdapterFactory,
  migrationsDir: string,
  schema = "",
): Promise<string[]> {
  const migrations = readMigrations(migrationsDir);
  // Most starts find nothing to do (every instance after the first, every restart, a database
  // copied from a migrated template): one query answers that, without loading the engine (seconds
  // of WebAssembly work and several connections, which time out on a busy machine).
  if (await allApplied(factory, migrations)) return [];
  const engine = await openEngine(factory, schema);
  try {
    const result = await engine.applyMigrations({ migrationsList: migrations, filters: noFilters });
    return result.appliedMigrationNames;
  } finally {
    engine.free();
  }
}

/**
 * Whether the database already records every migration of the folder as applied, with the same
 * script (Prisma's checksum: SHA-256 of migration.sql), and no migration failed or unfinished. Any
 * doubt (no bookkeeping table, a failed or edited migration, an unknown one) answers false, and
 * the engine decides as `prisma migrate deploy` would.
 */
async function allApplied(
  factory: SqlMigrationAwareDriverAdapterFactory,
  migrations: ReturnType<typeof readMigrations>,
): Promise<boolean> {
  const adapter = await factory.connect();
  try {
    const table = await adapter.queryRaw({
      sql: `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS "exists"`,
      args: [],
      argTypes: [],
    });
    if (table.rows[0]?.[0] !== true) return false;
    const applied = await adapter.queryRaw({
      sql: `SELECT "migration_name", "checksum", "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL FROM "_prisma_migrations"`,
      args: [],
      argTypes: [],
    });
    const recorded = new Map<string, string>();
    for (const [name, checksum, done] of applied.rows) {
      if (done !== true) return false; // a failed or half-applied migration: the engine reports it
      recorded.set(String(name), String(checksum));
    }
    return migrations.migrationDirectories.every(
      ({ path: name, migrationFile: { content } }) =>
        recorded.get(name) === createHash("sha256").update(content.value).digest("hex"),
    );
  } catch {
    return false;
  } finally {
    await adapter.dispose();
  }
}

/** The SQL that takes a database from the migrations in `migrationsDir` to `schema`. */
export async function diffMigrationsToSchema(
  factory: SqlMigrationAwareDriverAdapterFactory,
  migrationsDir: string,
  schema: string,
): Promise<string> {
  const engine = await openEngine(factory, schema);
  try {
    const migrations = readMigrations(migrationsDir);
    const result = await engine.diff({
      from: migrations.migrationDirectories.length > 0 ? { tag: "migrations", ...migrations } : { tag: "empty" },
      to: { tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: schema }] },
      script: true,
      exitCode: null,
      filters: noFilters,
    });
    return result.stdout ?? "";
  } finally {
    engine.free();
  }
}

/** Where the migrations are: copied next to the build output, or the repository's prisma/ folder. */
export function defaultMigrationsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.join(here, "migrations"), // dist/ of the published package
    path.join(here, "..", "prisma", "migrations"),
    path.join(here, "..", "..", "..", "..", "..", "prisma", "migrations"), // src/adapters/store in the repo
  ];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) throw new Error(`OpenV could not find its migrations folder (looked in ${candidates.join(", ")}).`);
  return found;
}
