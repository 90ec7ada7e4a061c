import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { makeMigratedImage } from "./embedded-image.js";
import { ensureTemplateDatabase } from "./pg-template.js";
// test/helpers.ts declares what it provides (`openvTemplateDatabase`), for every package's suites.

/**
 * Once per `vitest run`: migrates the template database that every throwaway PostgreSQL database
 * of the suites is copied from (test/helpers.ts `createTestDatabase`), so no test runs the schema
 * engine against the server (on a busy machine its connections timed out); and makes the image
 * every in-memory embedded database of the test processes starts from (support/embedded-image.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.OPENV_TEST_DATABASE_URL;
  const dir = await mkdtemp(path.join(os.tmpdir(), "openv-embedded-image-"));
  const image = path.join(dir, "migrated.tar");
  const [template] = await Promise.all([
    adminUrl ? ensureTemplateDatabase(adminUrl) : "",
    makeMigratedImage().then(async (blob) => writeFile(image, new Uint8Array(await blob.arrayBuffer()))),
  ]);
  project.provide("openvTemplateDatabase", template);
  project.provide("openvEmbeddedImage", image);
  return () => rm(dir, { recursive: true, force: true });
}
