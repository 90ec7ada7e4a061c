// The package as a browser app would bundle it: esbuild, browser platform (which fails on any
// Node built-in reached from the entry), minified and gzipped, against the budgets of .size-limit.js.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const packageDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

describe("the browser bundle", () => {
  it("builds for a browser and stays within every size budget", async () => {
    const bin = path.join(packageDir, "node_modules", "size-limit", "bin.js");
    const { stdout } = await promisify(execFile)(process.execPath, [bin, "--json"], { cwd: packageDir });
    const checks = JSON.parse(stdout) as { name: string; passed: boolean; size: number }[];
    expect(checks.length).toBe(4);
    for (const check of checks) expect(check, check.name).toMatchObject({ passed: true });
    // The budgets themselves live once, in .size-limit.js (with why each grew); this only checks the
    // measure is real: the SDK's own code is not an empty bundle.
    const own = checks[1];
    expect(own?.size).toBeGreaterThan(1000);
  });
});
