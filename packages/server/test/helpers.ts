import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { createAdaptorServer } from "@hono/node-server";
import type { RunPodJob } from "@openv/protocol/worker";
import Fastify from "fastify";
import pg from "pg";
import { type Logger, pino } from "pino";
import { inject } from "vitest";
import type { LifecycleConfig } from "../src/core/config.js";
import { attemptOutputKey } from "../src/core/output-keys.js";
import type { Provider, ProviderSubmission } from "../src/core/ports.js";
import { type OpenVPluginOptions, openv, openvFrameworkErrors } from "../src/fastify/plugin.js";
import { createOpenVHandler, type OpenVHandler } from "../src/fetch.js";
import type { OpenVService } from "../src/http/service.js";

/**
 * The two bindings of the same service: the Fastify plugin and the Web-standard fetch handler
 * (served here by @hono/node-server). Route and lifecycle suites run against both.
 */
export const bindings = ["fastify", "fetch"] as const;
export type Binding = (typeof bindings)[number];

/**
 * The databases the suites run against: embedded PGlite always, and a PostgreSQL server when
 * OPENV_TEST_DATABASE_URL names one (`.ci/run` installs and starts it).
 */
export const backends: { name: string; adminUrl: string | null }[] = [
  { name: "PGlite", adminUrl: null },
  ...(process.env.OPENV_TEST_DATABASE_URL
    ? [{ name: "PostgreSQL", adminUrl: process.env.OPENV_TEST_DATABASE_URL }]
    : []),
];

/** Every binding on every database: for suites whose subject spans both (routes that write). */
export const bindingsOnBackends = bindings.flatMap((binding) => backends.map((backend) => ({ binding, ...backend })));

/**
 * A new database on the PostgreSQL server, dropped by the returned function: a copy of the
 * migrated template of this run (test/support/global-setup.ts), so a server opening it finds its
 * migrations applied and starts without the schema engine; `{ empty: true }` for a bare one.
 */
export async function createTestDatabase(
  adminUrl: string,
  options: { empty?: boolean } = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `openv_test_${randomBytes(6).toString("hex")}`;
  const template = options.empty ? "" : providedTemplate();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`);
        break;
      } catch (error) {
        // 55006: another run is copying or (re)building the template this instant; it is brief.
        if ((error as { code?: string }).code !== "55006" || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The migrated template database on OPENV_TEST_DATABASE_URL's server, or "" without one. */
    openvTemplateDatabase: string;
    /** The file of the migrated in-memory embedded database image (support/embedded-image.ts). */
    openvEmbeddedImage: string;
  }
}

/** The template database the global setup migrated, or "" when there is none (outside vitest). */
function providedTemplate(): string {
  try {
    return inject("openvTemplateDatabase") ?? "";
  } catch {
    return "";
  }
}

export interface TestServer {
  /** Which binding serves the routes. */
  binding: Binding;
  /** The service behind the routes: lifecycle, adapters, reconciler. */
  openv: OpenVService;
  /** e.g. http://127.0.0.1:39123 */
  origin: string;
  /** fetch() a path under /api as `user` (dev auth). */
  api(pathname: string, init?: RequestInit & { user?: string; json?: unknown }): Promise<Response>;
  /** Row counts of every table: what "the database is unchanged" compares. */
  tableCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export interface TestServerOptions extends Omit<OpenVPluginOptions, "config"> {
  config?: Partial<LifecycleConfig>;
  /** PostgreSQL admin URL to make a fresh database on; null for in-memory PGlite. */
  adminUrl?: string | null;
  /** An existing database to share with other instances (not dropped on close). */
  databaseUrl?: string;
  /** Which binding serves the routes. Default "fastify". */
  binding?: Binding;
  /** Receives every log line of the server (parsed pino JSON), at level `debug` and up. */
  onLog?: (line: { level: number; msg: string; [field: string]: unknown }) => void;
}

/** The service on a random loopback port (Fastify, or the fetch handler), with a throwaway database. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { adminUrl = null, binding = "fastify", onLog, ...serviceOptions } = options;
  const database = adminUrl ? await createTestDatabase(adminUrl) : null;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "openv-test-"));
  const settings: OpenVPluginOptions = {
    dataDir: null,
    generateRateLimit: false,
    // Tests that exercise the reconciler turn it on (or call runOnce()); a background pass would
    // otherwise race with tests that drive jobs by hand.
    reconciler: false,
    // Likewise the outbox dispatcher: tests deliver outbound webhooks with `openv.outbox.runOnce()`.
    outbox: false,
    // posters21: likewise previews (an extra change after each completion); test/previews.test.ts turns them on.
    previews: false,
    ...serviceOptions,
    ...(database && { databaseUrl: database.url }),
  };
  const logger = testLogger(onLog);
  const served =
    binding === "fastify" ? await serveWithFastify(settings, logger) : await serveWithFetch(settings, logger);
  const { origin, openv: service } = served;
  return {
    binding,
    openv: service,
    origin,
    api(pathname, init = {}) {
      const { user = "alice", json, headers, ...rest } = init;
      return fetch(`${origin}/api${pathname}`, {
        ...rest,
        headers: {
          "x-openv-user": user,
          ...(json !== undefined && { "content-type": "application/json" }),
          ...(headers as Record<string, string>),
        },
        ...(json !== undefined && { body: JSON.stringify(json) }),
      });
    },
    tableCounts: () => tableCounts(service),
    async close() {
      await served.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Row counts of every table of `service`'s database: what "the database is unchanged" compares. */
export async function tableCounts(service: OpenVService): Promise<Record<string, number>> {
  const store = service.adapters.store as unknown as { client: { $queryRawUnsafe<T>(sql: string): Promise<T> } };
  const rows = await store.client.$queryRawUnsafe<{ table: string; count: number }[]>(
    `SELECT 'User' AS "table", count(*)::int AS count FROM "User"
     UNION ALL SELECT 'Video', count(*)::int FROM "Video"
     UNION ALL SELECT 'UsageEntry', count(*)::int FROM "UsageEntry"
     UNION ALL SELECT 'TermsAcceptance', count(*)::int FROM "TermsAcceptance"
     UNION ALL SELECT 'IdempotencyRecord', count(*)::int FROM "IdempotencyRecord"
     UNION ALL SELECT 'WebhookDelivery', count(*)::int FROM "WebhookDelivery"
     UNION ALL SELECT 'CreditEntry', count(*)::int FROM "CreditEntry"
     UNION ALL SELECT 'Upload', count(*)::int FROM "Upload"
     UNION ALL SELECT 'OutboxMessage', count(*)::int FROM "OutboxMessage"`,
  );
  return Object.fromEntries(rows.map((row) => [row.table, row.count]));
}

interface Served {
  origin: string;
  openv: OpenVService;
  close(): Promise<void>;
}

/**
 * The servers' logger: silent (or TEST_LOG_LEVEL on stdout), and, for a test that reads the log,
 * every line from `debug` up handed to `onLog` as well.
 */
function testLogger(onLog: TestServerOptions["onLog"]): Logger {
  const level = process.env.TEST_LOG_LEVEL ?? "silent";
  if (!onLog) return pino({ level });
  const capture = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split("\n")) if (line) onLog(JSON.parse(line));
      callback();
    },
  });
  const streams = [{ level: "debug" as const, stream: capture }];
  if (level !== "silent") streams.push({ level: level as "debug", stream: process.stdout as unknown as Writable });
  return pino({ level: "debug" }, pino.multistream(streams));
}

async function serveWithFastify(settings: OpenVPluginOptions, logger: Logger): Promise<Served> {
  // Opening an embedded database and applying migrations can take seconds on a busy machine.
  // On close, connections go too: undici may hold a connection it opened but never used, which
  // Node counts as busy until its headers timeout (60 s).
  const app = Fastify({
    loggerInstance: logger,
    pluginTimeout: 120_000,
    forceCloseConnections: true,
    frameworkErrors: openvFrameworkErrors,
  });
  await app.register(openv, settings);
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, openv: app.openv.service, close: () => app.close() };
}

async function serveWithFetch(settings: OpenVPluginOptions, logger: Logger): Promise<Served> {
  // The handler needs its public URL before the first request: listen first, then create it.
  let handler: OpenVHandler | undefined;
  const server = createAdaptorServer({
    fetch: (request, env) => (handler as OpenVHandler)(request, { clientAddress: env.incoming.socket.remoteAddress }),
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  handler = createOpenVHandler({ publicUrl: origin, ...settings, logger });
  const service = await handler.ready().catch(async (error: unknown) => {
    await new Promise((resolve) => server.close(resolve));
    throw error;
  });
  return {
    origin,
    openv: service,
    async close() {
      await handler?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

/**
 * A provider for tests that decide when and how jobs end: it records submissions and posts the
 * updates a test asks for to the submission's real webhook URL.
 */
export class ScriptedProvider implements Provider {
  readonly name = "scripted test provider";
  readonly submissions: (ProviderSubmission & { jobId: string })[] = [];
  readonly cancelled: string[] = [];
  /** When set, submit() throws this. */
  refuseWith: Error | null = null;
  /** When set, submit() waits for it. */
  gate: Promise<void> | null = null;
  #next = 0;

  async submit(submission: ProviderSubmission) {
    if (this.gate) await this.gate;
    if (this.refuseWith) throw this.refuseWith;
    const jobId = `job-${++this.#next}`;
    this.submissions.push({ ...submission, jobId });
    return { jobId };
  }

  async status(): Promise<RunPodJob | null> {
    return null;
  }

  async cancel(jobId: string) {
    this.cancelled.push(jobId);
  }

  /** Posts a job update to the webhook of submission `index` (default: the latest). */
  async send(update: Omit<RunPodJob, "id"> & { id?: string }, index = this.submissions.length - 1): Promise<Response> {
    const submission = this.submissions[index];
    if (!submission) throw new Error(`no submission #${index}`);
    return fetch(submission.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: submission.jobId, ...update }),
    });
  }
}

export const accepted = (server: TestServer, user = "alice") =>
  server.api("/terms/accept", { method: "POST", user, json: { version: "1.0.0" } });

/** Reads an SSE stream until `until` returns true for the events so far (or the timeout passes). */
export async function readEvents(
  response: Response,
  until: (events: { event: string; id: string | null; data: unknown }[]) => boolean,
  timeoutMs = 20_000,
) {
  const events: { event: string; id: string | null; data: unknown }[] = [];
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(events)) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`SSE: condition not met in ${timeoutMs} ms; got ${JSON.stringify(events)}`);
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("SSE read timed out")), remaining)),
      ]);
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block.split("\n").flatMap((line) => {
            const colon = line.indexOf(":");
            return colon > 0 ? [[line.slice(0, colon), line.slice(colon + 1).trim()]] : [];
          }),
        ) as Record<string, string>;
        if (fields.event) {
          events.push({
            event: fields.event,
            id: fields.id ?? null,
            data: fields.data ? JSON.parse(fields.data) : null,
          });
        }
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return events;
}

export const generateBody = { prompt: "a red fox running through snow, cinematic", frames: 7, width: 256, height: 256 };

/**
 * A valid worker-mochi output for a 7-frame 256×256 video whose file is in the test server's own
 * storage at the key the server chose for that attempt (the only place it adopts an output from),
 * for tests that complete jobs by hand (a foreign URL would be copied into storage first).
 */
export const completedOutput = (server: TestServer, of: { videoId: string; attempt?: number }) => ({
  url: `${server.origin}/api/files/${attemptOutputKey(of.videoId, of.attempt ?? 0)}`,
  key: attemptOutputKey(of.videoId, of.attempt ?? 0),
  frames: 7,
  fps: 30,
  width: 256,
  height: 256,
  seconds: 0.233,
});

/**
 * Sends `request` again while it answers 503, as the SDK (and RunPod, for webhooks) does, up to 5
 * times, after Retry-After (at most 5 s). A burst on a busy machine can wait past the database
 * pool's limit (5 s), which the server answers with 503 and Retry-After; a generate retried with
 * its Idempotency-Key replays, and a webhook retried is a duplicate: neither adds anything.
 */
export async function retryUnavailable(request: () => Promise<Response>): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await request();
    if (response.status !== 503 || attempt === 5) return response;
    await response.body?.cancel();
    const seconds = Number(response.headers.get("retry-after") ?? 1);
    await new Promise((resolve) => setTimeout(resolve, Math.min(5, seconds) * 1000));
  }
}
