import type { Video } from "@openv/protocol";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Reconciler } from "../src/core/reconciler.js";
import {
  completedOutput,
  createTestDatabase,
  generateBody,
  ScriptedProvider,
  startTestServer,
  type TestServer,
} from "./helpers.js";
import { SseRecorder } from "./support/sse-recorder.js";
import { type ProxyMode, TcpProxy } from "./support/tcp-proxy.js";

const adminUrl = process.env.OPENV_TEST_DATABASE_URL;
const user = "outage-user";
/** No request may take longer than this, outage or not: a hung request fails the test. */
const requestBoundMs = 15_000;
/** After the proxy is restored, the same server must answer 200 again within this. */
const recoveryBoundMs = 10_000;

/** What one request ended with: its status, or `hung`/`failed` when no answer came. */
interface Outcome {
  route: string;
  status: number | "hung" | "failed";
  retryAfter: string | null;
  body: unknown;
  ms: number;
}

/**
 * A real PostgreSQL server behind a TCP proxy the test controls, the OpenV server on it: the
 * database goes away (connections cut, new ones refused, reset, or left hanging as in a partition;
 * or one transaction cut at a chosen statement) while requests are in flight and after, then comes
 * back. Every answer meanwhile is 503 `service_unavailable` with Retry-After, never a 500, never a
 * hang; afterwards the same server, not restarted, serves again within a bound, and a stream opened
 * before the outage ends up showing every video as the database has it.
 *
 * The ledger invariant, checked against the database directly after each scenario:
 * - every video has exactly one charge of its duration, and a refund only if it failed;
 * - no charge without a video; `GET /usage` equals the charges minus the refunds;
 * - each generate request (told apart by a unique prompt) that got 202 left exactly its video;
 *   one that got 503 left none or exactly one (its commit may land with the answer lost), which is
 *   then visible through the API like any other and completes like any other.
 */
describe.skipIf(!adminUrl)("PostgreSQL unreachable mid-request: 503 with Retry-After, then recovery", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let server: TestServer;
  let direct: pg.Client;
  let reconciler: Reconciler;
  const provider = new ScriptedProvider();
  /** Each generate request: its unique prompt and what it got. */
  const generates: { prompt: string; outcome: Outcome; videoId: string | null }[] = [];
  let sse: SseRecorder;

  /** Sends a request bounded by `requestBoundMs`; never throws. */
  async function call(route: string, init: RequestInit & { json?: unknown } = {}): Promise<Outcome> {
    const started = Date.now();
    const [method, pathname] = route.split(" ") as [string, string];
    try {
      const response = await server.api(pathname, {
        ...init,
        method,
        user,
        signal: AbortSignal.timeout(requestBoundMs),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      return {
        route,
        status: response.status,
        retryAfter: response.headers.get("retry-after"),
        body,
        ms: Date.now() - started,
      };
    } catch (error) {
      const hung = error instanceof Error && error.name === "TimeoutError";
      return {
        route,
        status: hung ? "hung" : "failed",
        retryAfter: null,
        body: String(error),
        ms: Date.now() - started,
      };
    }
  }

  let prompts = 0;
  async function generate(label: string, idempotencyKey?: string): Promise<Outcome> {
    const prompt = `${label} #${++prompts}`;
    const outcome = await call("POST /videos", {
      json: { ...generateBody, prompt },
      ...(idempotencyKey && { headers: { "idempotency-key": idempotencyKey } }),
    });
    const videoId = outcome.status === 202 ? (outcome.body as { video: Video }).video.id : null;
    generates.push({ prompt, outcome, videoId });
    return outcome;
  }

  /** Every route a client uses, at once. */
  const everyRoute = (label: string) =>
    Promise.all([
      generate(label),
      call("GET /videos"),
      call("GET /videos?updatedSince=0"),
      call("GET /videos/vid_missing"),
      call("GET /usage"),
      call("GET /terms/check"),
      call("POST /terms/accept", { json: { version: "1.0.0" } }),
    ]);

  const expectUnavailable = (outcomes: Outcome[]) => {
    for (const outcome of outcomes) {
      expect(outcome, `${outcome.route} while the database is away`).toMatchObject({
        status: 503,
        body: { error: { code: "service_unavailable", message: expect.any(String) } },
        retryAfter: expect.stringMatching(/^\d+$/),
      });
    }
  };

  /** In flight when the database went: a normal answer, or 503 as above; nothing else. */
  const expectAnsweredOrUnavailable = (outcomes: Outcome[]) => {
    for (const outcome of outcomes) {
      if (outcome.status === 503) expectUnavailable([outcome]);
      else expect([200, 202, 404], `${outcome.route}: ${JSON.stringify(outcome)}`).toContain(outcome.status);
    }
  };

  async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Whether a video with `prompt` is in the database (read directly). */
  async function committed(prompt: string): Promise<true | undefined> {
    const { rowCount } = await direct.query(`SELECT 1 FROM "Video" WHERE prompt = $1`, [prompt]);
    return rowCount ? true : undefined;
  }

  /** `promise`, or a failure naming `what` after `timeoutMs`. */
  async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    });
    try {
      return await Promise.race([promise, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Restores the proxy and waits (bounded) until the same server answers every route with 200. */
  async function restore(): Promise<number> {
    const started = Date.now();
    await proxy.setMode("forward");
    await until(
      "the server to answer 200 again",
      async () => ((await call("GET /usage")).status === 200 ? true : undefined),
      recoveryBoundMs,
    );
    for (const route of ["GET /videos", "GET /videos?updatedSince=0", "GET /terms/check"]) {
      expect((await call(route)).status, route).toBe(200);
    }
    return Date.now() - started;
  }

  /** The ledger invariant (see the describe's comment), read from the database itself. */
  async function expectLedgerConsistent(): Promise<void> {
    const { rows: videos } = await direct.query<{
      id: string;
      prompt: string;
      status: string;
      durationSeconds: number;
      charges: number;
      charged: number;
      refunds: number;
      refunded: number;
    }>(`SELECT v.id, v.prompt, v.status, v."durationSeconds",
          count(u.id) FILTER (WHERE u.kind = 'charge')::int AS charges,
          coalesce(sum(u.seconds) FILTER (WHERE u.kind = 'charge'), 0)::float AS charged,
          count(u.id) FILTER (WHERE u.kind = 'refund')::int AS refunds,
          coalesce(sum(u.seconds) FILTER (WHERE u.kind = 'refund'), 0)::float AS refunded
        FROM "Video" v LEFT JOIN "UsageEntry" u ON u."videoId" = v.id
        GROUP BY v.id`);
    for (const video of videos) {
      expect(video.charges, `charges of ${video.prompt}`).toBe(1);
      expect(video.charged).toBeCloseTo(video.durationSeconds, 6);
      expect(video.refunds, `refunds of ${video.prompt} (${video.status})`).toBe(video.status === "failed" ? 1 : 0);
      expect(video.refunded).toBeCloseTo(video.status === "failed" ? -video.durationSeconds : 0, 6);
    }
    const orphans = await direct.query(`SELECT 1 FROM "UsageEntry" u WHERE NOT EXISTS
      (SELECT 1 FROM "Video" v WHERE v.id = u."videoId")`);
    expect(orphans.rowCount, "charges without a video").toBe(0);

    const byPrompt = new Map<string, typeof videos>();
    for (const video of videos) byPrompt.set(video.prompt, [...(byPrompt.get(video.prompt) ?? []), video]);
    for (const request of generates) {
      const stored = byPrompt.get(request.prompt) ?? [];
      if (request.outcome.status === 202) {
        expect(
          stored.map((video) => video.id),
          `videos of ${request.prompt} (202)`,
        ).toEqual([request.videoId]);
      } else {
        expect(request.outcome.status, `${request.prompt}: ${JSON.stringify(request.outcome)}`).toBe(503);
        expect(stored.length, `videos of ${request.prompt} (503)`).toBeLessThanOrEqual(1);
      }
      byPrompt.delete(request.prompt);
    }
    expect([...byPrompt.keys()], "videos no request asked for").toEqual([]);

    // Through the API, which must agree with the database: usage, and every stored video visible.
    const usage = await call("GET /usage");
    expect(usage.status).toBe(200);
    const net = videos.reduce((sum, video) => sum + video.charged + video.refunded, 0);
    expect((usage.body as { usedSeconds: number }).usedSeconds).toBeCloseTo(net, 3);
    for (const video of videos) expect((await call(`GET /videos/${video.id}`)).status, video.prompt).toBe(200);
  }

  /**
   * Brings every video to its end as a provider would: each job submitted so far completes through
   * its real webhook (again for finished ones: a duplicate changes nothing); videos left without a
   * job (their commit landed, their answer was lost) are handed to the provider by a reconciler
   * pass, and complete too. Returns how many the pass submitted.
   */
  async function settle(): Promise<number> {
    const completeAll = async () => {
      for (let index = 0; index < provider.submissions.length; index++) {
        const submission = provider.submissions[index] as { videoId: string; attempt: number };
        const response = await provider.send(
          { status: "COMPLETED", output: completedOutput(server, submission) },
          index,
        );
        expect(response.status).toBe(200);
      }
    };
    await completeAll();
    const pass = await reconciler.runOnce();
    expect(pass.outcomes.error ?? 0).toBe(0);
    await completeAll();
    const { rows } = await direct.query<{ prompt: string; status: string }>(
      `SELECT prompt, status FROM "Video" WHERE status <> 'completed'`,
    );
    expect(rows, "videos not completed").toEqual([]);
    return pass.outcomes.submitted ?? 0;
  }

  beforeAll(async () => {
    database = await createTestDatabase(adminUrl as string);
    const target = new URL(database.url);
    proxy = await new TcpProxy({ host: target.hostname, port: Number(target.port) }).start();
    server = await startTestServer({
      databaseUrl: proxy.urlFor(database.url),
      provider,
      config: { maxActiveJobs: 100, monthlyLimitSeconds: 1000 },
    });
    // The database as it is, never through the proxy.
    direct = new pg.Client({ connectionString: database.url });
    await direct.connect();
    // Submits videos left without a provider job (a commit whose answer was lost) when the test
    // says so; the plugin's own loop is off.
    reconciler = new Reconciler({
      lifecycle: server.openv.lifecycle,
      store: server.openv.adapters.store,
      logger: { info() {}, warn() {}, error() {} },
      // Run only by settle(), after every submitted job completed: it then claims only job-less videos.
      options: { joblessGraceMs: 0, silentMs: 0 },
    });
    expect((await call("POST /terms/accept", { json: { version: "1.0.0" } })).status).toBe(200);
    // A watcher's stream, open across every outage below: it must hear changes after each recovery.
    sse = await SseRecorder.open(`${server.origin}/api/videos/events`, { "x-openv-user": user });
  }, 60_000);

  let testStartedAt = new Date();
  /** Lets a generate held at the provider go on. */
  let release = () => {};
  beforeEach(() => {
    testStartedAt = new Date();
  });
  // A failed test leaves no outage, armed cut or held generate behind for the next one.
  afterEach(async () => {
    proxy.disarm();
    release();
    provider.gate = null;
    await proxy.setMode("forward");
  });

  afterAll(async () => {
    await sse?.close();
    await proxy?.setMode("forward");
    await server?.close();
    await proxy?.close();
    await direct?.end();
    await database?.drop();
  });

  /** After a recovery: a new video is accepted, completes through its webhook, and the open stream hears it. */
  async function expectWorkingAgain(label: string): Promise<void> {
    const created = await generate(label);
    expect(created.status, JSON.stringify(created)).toBe(202);
    const { id } = (created.body as { video: Video }).video;
    const sent = await provider.send({ status: "COMPLETED", output: completedOutput(server, { videoId: id }) });
    expect(sent.status).toBe(200);
    const got = await call(`GET /videos/${id}`);
    expect(got.body).toMatchObject({ video: { id, status: "completed", url: expect.stringContaining("/api/files/") } });
    await expectStreamMatchesDatabase();
  }

  /**
   * The watcher's stream, open since before the first outage (reopened with Last-Event-ID if the
   * server ends it, as EventSource does), shows every video as the database has it: no change
   * committed around an outage is lost to it.
   */
  async function expectStreamMatchesDatabase(): Promise<void> {
    // This test's videos: a change lost in an earlier test fails that test only.
    const { rows } = await direct.query<{ id: string; status: string; url: string | null }>(
      `SELECT id, status, url FROM "Video" WHERE "deletedAt" IS NULL AND "updatedAt" >= $1`,
      [testStartedAt],
    );
    const mismatches = () => {
      const view = sse.view();
      return rows.filter((row) => view.get(row.id)?.status !== row.status || view.get(row.id)?.url !== row.url);
    };
    await sse
      .waitFor("the open stream to show every video as the database has it", () => mismatches().length === 0)
      .catch((error: Error) => {
        throw new Error(`${error.message}\nstale in the stream: ${JSON.stringify(mismatches())}`);
      });
  }

  const scenarios: Record<Exclude<ProxyMode, "forward">, string> = {
    refuse: "connections cut, new ones refused",
    reset: "connections cut, new ones reset, long enough for the LISTEN reconnects to back off",
    blackhole: "connections cut, new ones hang (a partition)",
  };
  for (const [mode, what] of Object.entries(scenarios) as [keyof typeof scenarios, string][]) {
    it(`${what}: every route answers 503 with Retry-After; restored, the same server serves and streams again`, async () => {
      expect((await generate(`before ${mode}`)).status).toBe(202);
      // A generate whose provider call is held: its video is committed when the database goes.
      provider.gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const heldSubmissions = provider.submissions.length;
      const held = generate(`held across ${mode}`);
      const heldPrompt = `held across ${mode} #${prompts}`;
      await until("the held generate's video to be committed", () => committed(heldPrompt), 10_000);
      const inFlight = everyRoute(`in flight ${mode}`);
      await proxy.setMode(mode);
      release();
      provider.gate = null;
      expectAnsweredOrUnavailable([...(await inFlight), await held]);
      expect(provider.submissions.length).toBeGreaterThanOrEqual(heldSubmissions + 1);

      const during = await everyRoute(`during ${mode}`);
      expectUnavailable(during);
      if (mode === "blackhole") {
        // Bounded by the store's connect timeout, not by the test's request bound.
        for (const outcome of during) expect(outcome.ms, outcome.route).toBeLessThan(requestBoundMs - 5_000);
      }
      if (mode === "reset") {
        // Nothing else connects now: each connection the proxy resets is a LISTEN reconnect
        // attempt. After five, the next is 1.6–3.2 s away, so what settle() commits right after
        // the restore lands while this instance is not listening.
        const attempts = proxy.accepted;
        await until(
          "five LISTEN reconnect attempts",
          async () => (proxy.accepted >= attempts + 5 ? true : undefined),
          15_000,
        );
      }
      const recoveredInMs = await restore();
      expect(recoveredInMs).toBeLessThan(recoveryBoundMs);

      // The held video was committed before the outage: charged once, and its job (submitted
      // while the database was away) completes it through the webhook like any other.
      await settle();
      await expectLedgerConsistent();
      await expectWorkingAgain(`after ${mode}`);
    });
  }

  it("a generate's transaction cut before its charge is written: 503, and no video, no charge", async () => {
    // The admission (checks, charge, video) is one statement: cut before it reaches the database.
    const cut = proxy.cutOn("openv_admit_video", "before");
    const outcome = await generate("cut before the charge");
    await within(cut, 5_000, "the proxy to cut the transaction");
    expectUnavailable([outcome]);
    await restore();
    await expectLedgerConsistent();
    const prompt = generates.at(-1)?.prompt;
    expect((await direct.query(`SELECT 1 FROM "Video" WHERE prompt = $1`, [prompt])).rowCount).toBe(0);
    await expectWorkingAgain("after a cut before the charge");
  });

  it("a generate's COMMIT reaches the database but the answer is lost: 503 saying it may be stored, the video is stored, charged once, its key answers with it, and it completes", async () => {
    const submitted = provider.submissions.length;
    // The admission is one statement, its own transaction: it commits, and its answer is lost.
    const cut = proxy.cutOn("openv_admit_video", "after");
    const outcome = await generate("commit answer lost", "commit-answer-lost");
    await within(cut, 5_000, "the proxy to cut the transaction");
    expectUnavailable([outcome]);
    const { error } = outcome.body as { error: { message: string; details?: { videoId?: string } } };
    expect(error.message).not.toMatch(/nothing was changed/);
    expect(error.message).toMatch(/may have been stored/);
    await restore();
    // The same key answers with the stored video (not 409 for two minutes), and makes no other.
    const retried = await call("POST /videos", {
      json: { ...generateBody, prompt: generates.at(-1)?.prompt },
      headers: { "idempotency-key": "commit-answer-lost" },
    });
    expect(retried.status, JSON.stringify(retried)).toBe(202);
    expect((retried.body as { video: Video }).video.id).toBe(error.details?.videoId);
    await expectLedgerConsistent();
    const prompt = generates.at(-1)?.prompt;
    const { rows } = await direct.query<{ id: string; status: string; jobId: string | null }>(
      `SELECT id, status, "jobId" FROM "Video" WHERE prompt = $1`,
      [prompt],
    );
    // The commit landed: the video exists, queued, charged (checked above), never submitted.
    expect(rows).toEqual([{ id: expect.any(String), status: "queued", jobId: null }]);
    expect(provider.submissions.length).toBe(submitted);
    // The reconciler hands the job-less video to the provider; its webhook completes it.
    expect(await settle()).toBe(1);
    expect(provider.submissions.length).toBe(submitted + 1);
    const id = rows[0]?.id as string;
    expect((await call(`GET /videos/${id}`)).body).toMatchObject({ video: { status: "completed" } });
    await expectLedgerConsistent();
  });

  it("connections cut during a burst of concurrent generates: each answers 202 or 503, the ledger holds", async () => {
    // Cut everything the moment the burst's first video insert reaches the database.
    const firstInsert = proxy.cutOn("openv_admit_video", "after");
    const burst = Promise.all(Array.from({ length: 12 }, (_, index) => generate(`burst ${index}`)));
    await within(firstInsert, 10_000, "the burst's first video insert");
    proxy.cutAll();
    const outcomes = await burst;
    expectAnsweredOrUnavailable(outcomes);
    expect(outcomes.some((outcome) => outcome.status === 503)).toBe(true);
    await restore();
    await settle();
    await expectLedgerConsistent();
    await expectWorkingAgain("after the burst");
  });
});
