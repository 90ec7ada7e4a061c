// `createUploadThingStorage({ utapi })` takes UploadThing's own client: the shape-only type the
// public declarations use must accept it.
import type { UTApi } from "uploadthing/server";
import { expectTypeOf, test } from "vitest";
import type { UploadThingClient } from "../src/index.js";

test("a UTApi is an UploadThingClient", () => {
  expectTypeOf<UTApi>().toExtend<UploadThingClient>();
});
