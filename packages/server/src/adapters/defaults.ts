import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Auth, Events, Logger, Provider, Storage, Store } from "../core/ports.js";
import { createDevHeaderAuth } from "./auth/dev-header.js";
import { createMemoryEvents } from "./events/memory.js";
import { createLocalPreviewProvider } from "./provider/local.js";
import { createLocalStorage } from "./storage/local.js";
import { createEmbeddedStore } from "./store/embedded.js";
import { createPostgresStore } from "./store/postgres.js";

export interface Adapters {
  store: Store;
  auth: Auth;
  storage: Storage;
  provider: Provider;
  events: Events;
}

export interface DefaultAdapterOptions {
  /** Where embedded data lives (database, files, webhook secret); null keeps everything in memory. */
  dataDir: string | null;
  /** Where local files are kept (`dataDir`/files, or a temporary folder). */
  filesDir: string;
  /** A PostgreSQL server; when absent, embedded PostgreSQL in `dataDir`. */
  databaseUrl?: string | undefined;
  /** The public URL local files are served under (`<public URL><prefix>/files`). */
  filesBaseUrl: () => string;
  logger: Logger;
  previewStepDelayMs?: number | undefined;
  nodeEnv?: string | undefined;
}

/** Fills every adapter not given with its embedded default (shared/DESIGN.md, "ports"). */
export async function resolveAdapters(given: Partial<Adapters>, options: DefaultAdapterOptions): Promise<Adapters> {
  const store =
    given.store ??
    (options.databaseUrl
      ? await createPostgresStore({ connectionString: options.databaseUrl })
      : await createEmbeddedStore(options.dataDir ? { dataDir: options.dataDir } : {}));
  const auth = given.auth ?? createDevHeaderAuth({ nodeEnv: options.nodeEnv });
  const storage =
    given.storage ??
    createLocalStorage({
      directory: options.filesDir,
      baseUrl: options.filesBaseUrl,
    });
  const provider =
    given.provider ??
    createLocalPreviewProvider({ storage, logger: options.logger, stepDelayMs: options.previewStepDelayMs ?? 0 });
  const events = given.events ?? createMemoryEvents();
  return { store, auth, storage, provider, events };
}

/**
 * The secret that signs webhook URLs. Kept in the data dir so URLs handed to a provider before a
 * restart still verify after it.
 */
export function loadOrCreateWebhookSecret(dataDir: string | null): string {
  if (!dataDir) return randomBytes(32).toString("base64url");
  const file = path.join(dataDir, "webhook-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
