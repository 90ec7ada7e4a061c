// @vitest-environment jsdom
// The query hooks' TanStack options (enabled, initialData) and useTerms' acceptance in the one
// mutation shape. Fake server (msw), so the requests can be counted.
import { ConflictError } from "@openv/sdk";
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { createElement, type ReactNode } from "react";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { OpenVProvider, useAcceptTerms, useCredits, useModels, useTerms, useUsage } from "../src/index.js";
import "./support/render.js";
import { creditsUsage, FakeApi, model, secondsUsage } from "./support/fake-api.js";

let api: FakeApi;
const network = new FakeApi().network;
beforeAll(() => network.listen({ onUnhandledRequest: "error" }));
beforeEach(() => {
  api = new FakeApi();
  network.resetHandlers(...api.network.listHandlers());
});
afterEach(cleanup);
afterAll(() => network.close());

const wrapper = ({ children }: { children: ReactNode }) =>
  createElement(OpenVProvider, { client: api.client(), watch: { mode: "polling", pollIntervalMs: 30 } }, children);

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 60)));

describe("query hook options", () => {
  it("enabled: false asks the server nothing; turning it on loads", async () => {
    const { result, rerender } = renderHook(
      ({ enabled }) => ({
        usage: useUsage({ enabled }),
        models: useModels({ enabled }),
        credits: useCredits({ enabled }),
        terms: useTerms({ enabled }),
      }),
      { wrapper, initialProps: { enabled: false } },
    );
    await settle();
    expect(api.received).toEqual([]);
    expect(result.current.usage).toMatchObject({ usage: null, loading: true });

    rerender({ enabled: true });
    await waitFor(() => expect(result.current.usage.usage).toEqual(secondsUsage));
    await waitFor(() => expect(result.current.terms.terms?.version).toBe("1.0.0"));
    expect(result.current.models.models?.map((m) => m.id)).toEqual(["mochi-1"]);
    expect(api.requests("GET /usage")).toHaveLength(1);
    expect(api.requests("GET /credits")).toHaveLength(1);
  });

  it("initialData is in the first render, not loading; the server's answer then replaces it", async () => {
    const seeded = [model("seeded-model")];
    const renders: { usage: unknown; loading: boolean }[] = [];
    const { result } = renderHook(
      () => {
        const hooks = {
          usage: useUsage({ initialData: creditsUsage(7) }),
          models: useModels({ initialData: seeded }),
          credits: useCredits({ initialData: { balance: 7, entries: [] } }),
          terms: useTerms({ initialData: { accepted: true, version: "1.0.0", acceptedAt: null } }),
        };
        renders.push({ usage: hooks.usage.usage, loading: hooks.usage.loading });
        return hooks;
      },
      { wrapper },
    );
    // The first render (the one a server renders too) already has the data.
    expect(renders[0]).toEqual({ usage: creditsUsage(7), loading: false });
    expect(result.current.models.models?.map((m) => m.id)).toEqual(["seeded-model"]);
    expect(result.current.credits.credits?.balance).toBe(7);
    expect(result.current.terms.terms?.accepted).toBe(true);
    // Like TanStack Query's default (stale at once), the server is asked on mount and its answer wins.
    await waitFor(() => expect(result.current.usage.usage).toEqual(secondsUsage));
  });
});

describe("useTerms' acceptance is the mutation shape", () => {
  it("mutateAsync resolves the accepted status; every useTerms sees it; no `accepting` in the store state", async () => {
    const onSuccess = vi.fn();
    const { result } = renderHook(() => ({ terms: useTerms(), accept: useAcceptTerms({ onSuccess }) }), { wrapper });
    await waitFor(() => expect(result.current.terms.terms?.accepted).toBe(false));
    expect(result.current.accept.status).toBe("idle");
    let accepted: unknown;
    await act(async () => {
      accepted = await result.current.accept.mutateAsync();
    });
    expect(accepted).toMatchObject({ accepted: true, version: "1.0.0" });
    expect(onSuccess).toHaveBeenCalledWith(accepted);
    expect(result.current.accept).toMatchObject({ status: "success", isPending: false, isError: false });
    expect(result.current.terms.terms?.accepted).toBe(true);
    expect(api.requests("POST /terms/accept")[0]?.body).toEqual({ version: "1.0.0" });
  });

  it("a refused acceptance rejects with the typed error, sets isError and error, loads the new version, and reset clears", async () => {
    const onError = vi.fn();
    const { result } = renderHook(() => useTerms(), { wrapper });
    const accept = renderHook(() => useAcceptTerms({ onError }), { wrapper });
    await waitFor(() => expect(result.current.terms?.version).toBe("1.0.0"));
    api.terms.version = "2.0.0";
    api.failNext("POST /terms/accept", 409, "terms_version_mismatch", "Version 2.0.0 is current.");
    let rejected: unknown;
    await act(async () => {
      rejected = await result.current.acceptance.mutateAsync("1.0.0").catch((error: unknown) => error);
    });
    expect(rejected).toBeInstanceOf(ConflictError);
    expect(result.current.acceptance).toMatchObject({ status: "error", isError: true, error: rejected });
    // The new version is shown for the user to read.
    expect(result.current.terms?.version).toBe("2.0.0");
    act(() => result.current.acceptance.reset());
    expect(result.current.acceptance).toMatchObject({ status: "idle", error: null });
    expect(onError).not.toHaveBeenCalled();
    expect(accept.result.current.status).toBe("idle");
  });
});
