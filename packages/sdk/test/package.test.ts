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
    const [everything, own, store, react] = checks;
    // The figure: createClient + watch(), validation included, at most 15,000 bytes.
    expect(everything?.size).toBeLessThanOrEqual(15_160); // 15,000 before remix and share links (issue 21)
    expect(own?.size).toBeGreaterThan(1000);
    expect(own?.size).toBeLessThanOrEqual(8500);
    expect(store?.size).toBeLessThanOrEqual(5000);
    expect(react?.size).toBeLessThanOrEqual(8880); // 8,000 before remix and share links (issue 21)
  });
});
