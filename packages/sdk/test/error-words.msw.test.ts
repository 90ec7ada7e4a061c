// What an SDK error says to the developer who reads it: the real path with the client's prefix,
// and for an unreachable server what to check (the connection, a cross-origin server's allowedOrigins).
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient, NetworkError, TermsRequiredError } from "../src/index.js";
import { errorBody } from "./support/fixtures.js";

const base = "http://openv.test/api";
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: "error" }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

describe("error messages name what to do", () => {
  it("terms_required names the accept call and its real path with the client's prefix", async () => {
    network.use(
      http.post(`${base}/videos`, () =>
        HttpResponse.json(
          errorBody(
            "terms_required",
            'Accept the terms of use (version 2.0.0) before generating videos: POST /api/terms/accept with {"version":"2.0.0"}.',
            {
              version: "2.0.0",
            },
          ),
          { status: 403 },
        ),
      ),
    );
    const error = await createClient({ baseUrl: base })
      .videos.create({ prompt: "a fox" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TermsRequiredError);
    expect((error as TermsRequiredError).message).toContain(`POST ${base}/terms/accept`);
    expect((error as TermsRequiredError).message).toContain('client.terms.accept("2.0.0")');
    expect((error as TermsRequiredError).version).toBe("2.0.0");
  });

  it("an unreachable server names the URL and what to check", async () => {
    network.use(http.get(`${base}/usage`, () => HttpResponse.error()));
    const error = await createClient({ baseUrl: base, maxRetries: 0 })
      .usage.get()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    const { message } = error as NetworkError;
    expect(message).toContain(`${base}/usage`);
    expect(message).toMatch(/allowedOrigins/);
    expect(message).not.toMatch(/<no response>/);
  });
});
