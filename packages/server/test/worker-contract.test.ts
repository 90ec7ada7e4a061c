import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { classifyFailure } from "../src/core/failure.js";

// worker-mochi's own table of its error codes and whether a new attempt can help.
const contract = path.resolve(import.meta.dirname, "../../../worker-mochi/contract");
const workerFlags = JSON.parse(readFileSync(path.join(contract, "error-codes.json"), "utf8")) as {
  code: string;
  retryable: boolean;
}[];

describe("one retry rule on both sides of the worker contract", () => {
  it.each(workerFlags)("$code: the server retries exactly when the worker says a retry can help", (entry) => {
    const failure = classifyFailure({ id: "j", status: "FAILED", error: `${entry.code}: a failure` });
    expect(failure.code).toBe(entry.code);
    expect(failure.retryable).toBe(entry.retryable);
  });
});
