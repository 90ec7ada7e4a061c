// `pnpm check:openapi`: the OpenAPI document the server serves (every optional route included),
// linted with Redocly's `recommended` rules (redocly.yaml says the one exception and why); any
// warning fails. Run `pnpm build` first (it reads @openv/protocol's build).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const { openApiDocument } = await import(path.join(root, "packages/protocol/dist/index.js"));
const dir = mkdtempSync(path.join(os.tmpdir(), "openv-openapi-"));
try {
  const file = path.join(dir, "openapi.json");
  const document = openApiDocument({ prefix: "/api", clerkWebhooks: true, localFiles: true, workerUploads: true });
  writeFileSync(file, JSON.stringify(document, null, 2));
  const redocly = (format, stdio) =>
    execFileSync(
      path.join(root, "node_modules/.bin/redocly"),
      ["lint", file, "--config", path.join(root, "redocly.yaml"), "--max-problems", "200", "--format", format],
      {
        stdio,
        encoding: "utf8",
        env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      },
    );
  redocly("stylish", ["ignore", "inherit", "inherit"]);
  // Redocly exits 0 on warnings; its JSON report counts them.
  const { totals } = JSON.parse(redocly("json", ["ignore", "pipe", "ignore"]));
  if (totals.errors + totals.warnings > 0) {
    console.error(
      `\n${totals.errors} errors, ${totals.warnings} warnings: fix them in packages/protocol/src/openapi.ts.`,
    );
    process.exitCode = 1;
  } else {
    console.log("✓ OpenAPI document: no errors or warnings under Redocly's recommended rules.");
  }
} catch (error) {
  if (error.status === undefined) throw error;
  console.error("\nThe OpenAPI document has lint problems (above): fix them in packages/protocol/src/openapi.ts.");
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
