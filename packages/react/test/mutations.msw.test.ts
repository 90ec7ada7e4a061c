// @vitest-environment jsdom
// The one mutation shape of every mutation hook (useGenerate, useDeleteVideos, useUploadImage):
// mutateAsync rejects with the typed error, mutate never rejects, status / isPending / isError /
// data / error / reset, and the onSuccess / onError / onSettled callbacks. Fake server (msw).
import { QuotaExceededError } from "@openv/sdk";
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { createElement, type ReactNode } from "react";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { OpenVProvider, useDeleteVideos, useGenerate, useUploadImage } from "../src/index.js";
import "./support/render.js";
import { FakeApi } from "./support/fake-api.js";

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

const quota = { limitSeconds: 600, usedSeconds: 600, remainingSeconds: 0, requestedSeconds: 1 };

describe("the mutation shape", () => {
  it("mutateAsync rejects with the typed error; status, isError, error and onError follow; reset clears", async () => {
    const onError = vi.fn();
    const onSettled = vi.fn();
    const { result } = renderHook(() => useGenerate({ onError, onSettled }), { wrapper });
    expect(result.current).toMatchObject({
      status: "idle",
      isIdle: true,
      isPending: false,
      data: undefined,
      error: null,
    });

    api.failNext("POST /videos", 403, "quota_exceeded", "No seconds left.", quota);
    let rejected: unknown;
    await act(async () => {
      rejected = await result.current.mutateAsync({ prompt: "waves" }).catch((error: unknown) => error);
    });
    expect(rejected).toBeInstanceOf(QuotaExceededError);
    expect(result.current).toMatchObject({ status: "error", isError: true, isPending: false });
    expect(result.current.error).toBe(rejected);
    expect(onError).toHaveBeenCalledWith(rejected, { prompt: "waves" });
    expect(onSettled).toHaveBeenCalledWith(undefined, rejected, { prompt: "waves" });

    act(() => result.current.reset());
    expect(result.current).toMatchObject({ status: "idle", error: null, data: undefined });
  });

  it("mutate never rejects; isPending while in flight, then success with data and onSuccess", async () => {
    const onSuccess = vi.fn();
    const { result } = renderHook(() => useGenerate({ onSuccess }), { wrapper });
    act(() => result.current.mutate({ prompt: "a lighthouse" }));
    expect(result.current.isPending).toBe(true);
    expect(result.current.status).toBe("pending");
    await waitFor(() => expect(result.current.status).toBe("success"));
    expect(result.current.isSuccess).toBe(true);
    expect(result.current.data?.video.prompt).toBe("a lighthouse");
    expect(onSuccess).toHaveBeenCalledWith(result.current.data, { prompt: "a lighthouse" });
  });

  it("the deprecated call still resolves null on failure, for one minor version", async () => {
    const { result } = renderHook(() => useGenerate(), { wrapper });
    api.failNext("POST /videos", 403, "quota_exceeded", "No seconds left.", quota);
    let answer: unknown = "unset";
    await act(async () => {
      answer = await result.current.generate({ prompt: "waves" });
    });
    expect(answer).toBeNull();
    expect(result.current.error).toBeInstanceOf(QuotaExceededError);
  });

  it("useDeleteVideos and useUploadImage have the same shape", async () => {
    const deletes = renderHook(() => useDeleteVideos(), { wrapper });
    const uploads = renderHook(() => useUploadImage(), { wrapper });
    for (const hook of [deletes.result.current, uploads.result.current]) {
      expect(Object.keys(hook)).toEqual(
        expect.arrayContaining(["mutate", "mutateAsync", "status", "isPending", "isError", "error", "data", "reset"]),
      );
    }
    api.failNext("POST /uploads", 415, "unsupported_media_type", "Not an image.");
    await act(async () => {
      await expect(uploads.result.current.mutateAsync(new Uint8Array([1, 2]))).rejects.toMatchObject({
        code: "unsupported_media_type",
      });
    });
    expect(uploads.result.current.isError).toBe(true);
  });
});
