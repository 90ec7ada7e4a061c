import type { z } from "zod";
import { OpenVError } from "../core/errors.js";

/** Parses request input with a contract schema; on failure, `validation_failed` listing every field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: "body" | "query" | "header",
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map((part) => (typeof part === "symbol" ? String(part) : part)),
    message: issue.message,
    code: issue.code,
  }));
  const first = issues[0];
  const summary = first ? `${first.path.join(".") || where}: ${first.message}` : "invalid";
  throw new OpenVError({
    code: "validation_failed",
    message: `The request ${where} is not valid (${summary}${issues.length > 1 ? `, and ${issues.length - 1} more` : ""}). Fix the fields listed in details.issues.`,
    details: { issues },
  });
}
