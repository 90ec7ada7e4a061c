import { readFile } from "node:fs/promises";
import { inject } from "vitest";
import { provideMigratedImage } from "../../src/adapters/store/migrated-image.js";

// Runs in every test process before its file (vitest.config.ts `setupFiles`): the migrated image
// the global setup made (support/embedded-image.ts) is read when, and only if, the file's first
// in-memory embedded store opens.
const file = inject("openvEmbeddedImage");
if (file) provideMigratedImage(async () => new Blob([await readFile(file)]));
