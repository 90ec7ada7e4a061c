import type { TestProject } from "vitest/node";
import { ensureTemplateDatabase } from "./pg-template.js";
// test/helpers.ts declares what it provides (`openvTemplateDatabase`), for every package's suites.

/**
 * Once per `vitest run`: migrates the template database that every throwaway PostgreSQL database
 * of the suites is copied from (test/helpers.ts `createTestDatabase`), so no test runs the schema
 * engine against the server (on a busy machine its connections timed out).
 */
export default async function setup(project: TestProject): Promise<void> {
  const adminUrl = process.env.OPENV_TEST_DATABASE_URL;
  project.provide("openvTemplateDatabase", adminUrl ? await ensureTemplateDatabase(adminUrl) : "");
}
