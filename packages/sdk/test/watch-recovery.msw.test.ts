// How a watcher says it lost the server and found it again (what a gallery's offline / reconnecting
// banner reads).
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient, type WatchStatus } from "../src/index.js";
import { video } from "./support/fixtures.js";

const base = "http://openv.test/api";
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "error" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

const until = async (check: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe("a polling watcher that loses the server", () => {
  it("is reconnecting while polls fail, and polling again once one answers", async () => {
    let down = false;
    let lists = 0;
    network.use(
      http.get(`${base}/videos`, () => {
        lists++;
        if (down) return HttpResponse.error();
        return HttpResponse.json({
          videos: [video("v1", "processing", 1000)],
          serverTime: Date.now(),
          nextCursor: null,
        });
      }),
    );
    const client = createClient({ baseUrl: base, maxRetries: 0, retryDelayMs: 1, maxRetryDelayMs: 1 });
    const watcher = client.watch({ mode: "polling", pollIntervalMs: 20, idlePollMaxMs: 60_000 });
    const statuses: WatchStatus[] = [];
    watcher.on("status", (status) => statuses.push(status));
    await until(() => watcher.getSnapshot().ready);
    down = true;
    await until(() => watcher.status === "reconnecting");
    // Still reconnecting after more failed polls, not back to "polling" on each try.
    await until(() => lists >= 4);
    expect(watcher.status).toBe("reconnecting");
    down = false;
    watcher.refresh();
    await until(() => watcher.status === "polling");
    expect(statuses).toEqual(expect.arrayContaining(["polling", "reconnecting"]));
    expect(statuses.at(-1)).toBe("polling");
    watcher.close();
  });
});
