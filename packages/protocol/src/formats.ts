import * as z from "zod/mini";

// The response schemas are what every browser bundle of the SDK carries. Two checks of zod cost
// far more there than they protect: the ISO datetime regex (~0.8 kB) and the integer format
// (~0.4 kB), both checking what the server itself writes (`toISOString()`, integer columns).
// These helpers read such fields as a plain string or number, and remember the schemas they made
// so the OpenAPI document still says `format: date-time` and `type: integer`.

/** Schemas {@link timestamp} made. */
export const timestampSchemas = new WeakSet<object>();
/** Schemas {@link integer} made. */
export const integerSchemas = new WeakSet<object>();

/** An ISO-8601 timestamp the server wrote (`2026-12-06T21:00:00.000Z`), documented as `date-time`. */
export function timestamp(): z.ZodMiniString<string> {
  const schema = z.string();
  timestampSchemas.add(schema);
  return schema;
}

/** A whole number the server wrote (at least `minimum` when given), documented as `type: integer`. */
export function integer(minimum?: number): z.ZodMiniNumber<number> {
  // `.check()` makes a new schema: register the final one.
  const schema = minimum === undefined ? z.number() : z.number().check(z.gte(minimum));
  integerSchemas.add(schema);
  return schema;
}
