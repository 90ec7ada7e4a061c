import { expect } from "vitest";
import { accepted, createTestDatabase, type ScriptedProvider, startTestServer, type TestServer } from "../helpers.js";
import { PgStatementCounter } from "./pg-statement-counter.js";

/** A server on a fresh PostgreSQL database reached through a statement counter (see pg-statement-counter.ts). */
export interface CountedServer {
  server: TestServer;
  counter: PgStatementCounter;
  close(): Promise<void>;
}

/**
 * The set-up of the statement-count tests: a throwaway database on `adminUrl`, the counting proxy
 * in front of it, the reference configuration of a server on PostgreSQL (Prisma store,
 * LISTEN/NOTIFY events) with `provider` and limits no test reaches, and `users` who accepted the terms.
 */
export async function startCountedServer(
  adminUrl: string,
  provider: ScriptedProvider,
  users: string[],
): Promise<CountedServer> {
  const database = await createTestDatabase(adminUrl);
  const counter = await PgStatementCounter.start(database.url);
  const server = await startTestServer({
    databaseUrl: counter.urlFor(database.url),
    provider,
    config: { maxActiveJobs: 100, monthlyLimitSeconds: 100_000 },
  });
  for (const user of users) expect((await accepted(server, user)).status).toBe(200);
  return {
    server,
    counter,
    async close() {
      await server.close();
      await counter.close();
      await database.drop();
    },
  };
}
