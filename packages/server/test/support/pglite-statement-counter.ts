import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { applyMigrations, defaultMigrationsDir } from "../../src/adapters/store/migrate.js";
import { migratedImage } from "../../src/adapters/store/migrated-image.js";
import { PrismaStore } from "../../src/adapters/store/prisma.js";

type Transaction = Parameters<Parameters<PGlite["transaction"]>[0]>[0];

/**
 * The embedded store (Prisma over PGlite, as createEmbeddedStore builds it) with every statement
 * it sends to PGlite recorded: what pg-statement-counter.ts counts on the wire, counted at the
 * driver instead (PGlite has no wire). `query` is one statement, `exec` one script (like a
 * simple-protocol query), and a `transaction` adds its BEGIN and COMMIT around the statements run
 * in it. Both the Prisma adapter and the store's own SQL runner go through the recording driver.
 */
export async function countingEmbeddedStore(): Promise<{ store: PrismaStore; statements: string[] }> {
  const image = await migratedImage(undefined)?.catch(() => null);
  const db = image ? await PGlite.create({ loadDataDir: image }) : await PGlite.create();
  if (!image) await applyMigrations(new PrismaPGlite(db), defaultMigrationsDir());
  const statements: string[] = [];
  const recorded = <T extends PGlite | Transaction>(target: T): T =>
    new Proxy(target, {
      get(object, property) {
        if (property === "query" || property === "exec") {
          return (text: string, ...rest: unknown[]) => {
            statements.push(text);
            return (object[property] as (...args: unknown[]) => unknown).call(object, text, ...rest);
          };
        }
        if (property === "transaction") {
          return <R>(work: (tx: Transaction) => Promise<R>) =>
            (object as PGlite).transaction(async (tx) => {
              statements.push("BEGIN");
              try {
                return await work(recorded(tx));
              } finally {
                statements.push("COMMIT");
              }
            });
        }
        const value = Reflect.get(object, property, object);
        return typeof value === "function" ? value.bind(object) : value;
      },
    });
  const driver = recorded(db);
  const store = new PrismaStore({
    name: "embedded PostgreSQL (PGlite) in memory, statements recorded",
    adapter: new PrismaPGlite(driver),
    sql: async (text, params) => (await driver.query<Record<string, unknown>>(text, params)).rows,
    onClose: () => db.close(),
  });
  return { store, statements };
}
