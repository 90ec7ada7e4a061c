// A stand-in for the OpenV server over msw, for component tests that need exact answers (a price,
// a balance, a failed upload) rather than a real server. State is plain fields a test sets.
import type { CreditEntry, CreditsResponse, GenerateRequest, Model, Upload, Usage, Video } from "@openv/protocol";
import { createClient, type OpenVClient } from "@openv/sdk";
import { model, video } from "../../../sdk/test/support/fixtures.js";
import { HttpResponse, http, setupServer } from "../../../sdk/test/support/msw.js";

export { delay, HttpResponse, http } from "../../../sdk/test/support/msw.js";
export { model, video };

export const base = "http://openv.test/api";

/** Usage under the monthly-seconds policy: 10 minutes, 1 s used. */
export const secondsUsage: Usage = {
  usedSeconds: 1,
  limitSeconds: 600,
  remainingSeconds: 599,
  credits: null,
  periodStart: "2026-11-01T00:00:00.000Z",
  periodEnd: "2026-12-01T00:00:00.000Z",
};

/** Usage under the credits policy with `balance` credits. */
export const creditsUsage = (balance: number): Usage => ({
  ...secondsUsage,
  limitSeconds: null,
  remainingSeconds: null,
  credits: { balance },
});

/** A request the fake server received. */
export interface Received {
  /** `GET /models`, … (the path after the prefix). */
  route: string;
  /** The JSON body, or for uploads the bytes as numbers. */
  body: unknown;
  /** The request's content type. */
  contentType: string | null;
}

/** An uploaded image as the fake server stores it. */
export const upload = (id: string, bytes: number): Upload => ({
  id,
  url: `https://files.example/uploads/${id}.png`,
  contentType: "image/png",
  bytes,
  width: 640,
  height: 360,
  createdAt: "2026-11-02T10:00:00.000Z",
});

/**
 * The fake server: `models`, `usage`, the credits ledger and the videos are fields; `failNext`
 * answers the next request of a route with an error instead. Generating charges the model's price
 * under the credits policy and answers a queued video; uploads answer `upl_<n>`.
 */
export class FakeApi {
  models: Model[] = [model("mochi-1")];
  usage: Usage = secondsUsage;
  entries: CreditEntry[] = [];
  videos: Video[] = [];
  /** The current terms version and whether this user accepted it. */
  terms = { version: "1.0.0", accepted: false };
  readonly received: Received[] = [];
  readonly #failures = new Map<string, () => Response>();
  readonly network = setupServer(
    http.get(`${base}/models`, () => this.#answer("GET /models", null, null, () => ({ models: this.models }))),
    http.get(`${base}/usage`, () => this.#answer("GET /usage", null, null, () => this.usage)),
    http.get(`${base}/credits`, () =>
      this.#answer(
        "GET /credits",
        null,
        null,
        (): CreditsResponse => ({ balance: this.balance, entries: this.entries }),
      ),
    ),
    http.get(`${base}/terms/check`, () =>
      this.#answer("GET /terms/check", null, null, () => ({
        version: this.terms.version,
        accepted: this.terms.accepted,
        acceptedAt: this.terms.accepted ? "2026-11-02T10:00:00.000Z" : null,
      })),
    ),
    http.post(`${base}/terms/accept`, async ({ request }) => {
      const body = (await request.json()) as { version: string };
      return this.#answer("POST /terms/accept", body, request.headers.get("content-type"), () => {
        this.terms.accepted = true;
        return { accepted: true, version: body.version, acceptedAt: "2026-11-02T10:00:00.000Z" };
      });
    }),
    http.get(`${base}/videos`, () =>
      this.#answer("GET /videos", null, null, () => ({
        videos: this.videos,
        serverTime: Date.now(),
        nextCursor: null,
      })),
    ),
    http.post(`${base}/videos`, async ({ request }) => {
      const body = (await request.json()) as GenerateRequest;
      return this.#answer("POST /videos", body, request.headers.get("content-type"), () => this.#generate(body), 202);
    }),
    http.post(`${base}/uploads`, async ({ request }) => {
      const bytes = [...new Uint8Array(await request.arrayBuffer())];
      const contentType = request.headers.get("content-type");
      return this.#answer("POST /uploads", bytes, contentType, () => ({ upload: this.#upload(bytes.length) }), 201);
    }),
  );

  /** The credit balance (0 under the seconds policy). */
  get balance(): number {
    return this.usage.credits?.balance ?? 0;
  }

  /** The requests of one route (`"POST /videos"`), oldest first. */
  requests(route: string): Received[] {
    return this.received.filter((request) => request.route === route);
  }

  /** Answers the next request of `route` with `error` (status and contract body). */
  failNext(route: string, status: number, code: string, message: string, details?: Record<string, unknown>): void {
    this.#failures.set(route, () =>
      HttpResponse.json({ error: { code, message, ...(details && { details }) } }, { status }),
    );
  }

  /** A client of this fake server with fast retries. */
  client(): OpenVClient {
    return createClient({ baseUrl: base, retryDelayMs: 5, maxRetryDelayMs: 20 });
  }

  #answer(route: string, body: unknown, contentType: string | null, ok: () => unknown, status = 200): Response {
    this.received.push({ route, body, contentType });
    const failure = this.#failures.get(route);
    if (failure) {
      this.#failures.delete(route);
      return failure();
    }
    return HttpResponse.json(ok() as Record<string, unknown>, { status });
  }

  #generate(body: GenerateRequest) {
    const chosen = this.models.find((candidate) => candidate.id === body.model) ?? this.models[0];
    const price = chosen?.cost.credits ?? 0;
    const id = `v${this.videos.length + 1}`;
    const created = video(id, "queued", Date.now(), {
      prompt: body.prompt,
      model: chosen?.id ?? "mochi-1",
      frames: body.frames ?? 31,
      width: body.width ?? 848,
      height: body.height ?? 480,
      imageId: body.image ?? null,
      enhancedPrompt: body.enhancePrompt ? `${body.prompt}, golden hour, slow dolly-in` : null,
      creditCost: this.usage.credits ? price : null,
    });
    this.videos = [created, ...this.videos];
    if (this.usage.credits) {
      const balance = this.balance - price;
      this.usage = creditsUsage(balance);
      this.entries = [
        {
          id: `c${this.entries.length + 1}`,
          delta: -price,
          balanceAfter: balance,
          reason: "generation",
          videoId: id,
          createdAt: new Date().toISOString(),
        },
        ...this.entries,
      ];
    }
    return { video: created, usage: this.usage };
  }

  #upload(bytes: number): Upload {
    return upload(`upl_${this.requests("POST /uploads").length}`, bytes);
  }
}
