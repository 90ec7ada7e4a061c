import * as z from "zod/mini";

/** The schemas {@link timestamp} made, so the OpenAPI document can give them `format: date-time`. */
export const timestampSchemas = new WeakSet<object>();

/**
 * An ISO-8601 timestamp the server wrote (`2026-12-06T21:00:00.000Z`). Documented as
 * `format: date-time`; read as a string, without zod's ISO check, which would add ~0.8 kB to
 * every browser bundle to check what the server formats with `toISOString()` itself.
 */
export function timestamp(): z.ZodMiniString<string> {
  const schema = z.string();
  timestampSchemas.add(schema);
  return schema;
}
