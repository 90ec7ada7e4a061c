import type { OpenVClientError } from "@openv/sdk";
import { toClientError } from "@openv/sdk/store";
import { useCallback, useRef, useState } from "react";

/** Where a mutation stands: TanStack Query's four states. */
export type MutationStatus = "idle" | "pending" | "success" | "error";

/** Callbacks every mutation hook takes. */
export interface MutationOptions<TVariables extends unknown[], TData> {
  /** Called after each call that succeeded, with its data and the call's arguments. */
  onSuccess?: ((data: TData, ...variables: TVariables) => void) | undefined;
  /** Called after each call that failed, with the typed error and the call's arguments. */
  onError?: ((error: OpenVClientError, ...variables: TVariables) => void) | undefined;
  /** Called after each call, either way. */
  onSettled?: ((data: TData | undefined, error: OpenVClientError | null, ...variables: TVariables) => void) | undefined;
}

/** The one shape of every mutation hook (`useGenerate`, `useDeleteVideos`, `useUploadImage`, …). */
export interface MutationResult<TVariables extends unknown[], TData> {
  /** Starts the call and returns nothing: the outcome is in `status`/`data`/`error` and the callbacks. */
  mutate: (...variables: TVariables) => void;
  /** Starts the call; resolves with its data, **rejects** with the SDK's typed error. */
  mutateAsync: (...variables: TVariables) => Promise<TData>;
  /** `idle` before a call (and after `reset`), `pending` while one is in flight, then `success` or `error`. */
  status: MutationStatus;
  /** `status === "idle"`. */
  isIdle: boolean;
  /** `status === "pending"`. */
  isPending: boolean;
  /** `status === "success"`. */
  isSuccess: boolean;
  /** `status === "error"`. */
  isError: boolean;
  /** The latest successful call's data; undefined before one (and after `reset`). */
  data: TData | undefined;
  /**
   * Why the latest call failed, as the SDK's typed error: test it with `instanceof`
   * (`QuotaExceededError`, `TermsRequiredError`, `ConflictError`, …). Null otherwise.
   */
  error: OpenVClientError | null;
  /** Back to `idle`: clears `data` and `error` (a call in flight still settles, unseen). */
  reset: () => void;
}

interface State<TData> {
  status: MutationStatus;
  data: TData | undefined;
  error: OpenVClientError | null;
}

const idle = { status: "idle", data: undefined, error: null } as const;

/**
 * Runs an async action and tracks it for rendering, in the shape of TanStack Query's
 * `useMutation`. The latest call wins: an older call finishing late changes nothing on screen (its
 * own `mutateAsync` promise and callbacks still settle).
 */
export function useMutation<TVariables extends unknown[], TData>(
  action: (...variables: TVariables) => Promise<TData>,
  options: MutationOptions<TVariables, TData> = {},
): MutationResult<TVariables, TData> {
  const [state, setState] = useState<State<TData>>(idle);
  const latest = useRef(0);
  // The callbacks of the latest render, without making mutate change identity each render.
  const callbacks = useRef(options);
  callbacks.current = options;

  const mutateAsync = useCallback(
    async (...variables: TVariables): Promise<TData> => {
      const call = ++latest.current;
      setState((previous) => ({ ...previous, status: "pending", error: null }));
      try {
        const data = await action(...variables);
        if (call === latest.current) setState({ status: "success", data, error: null });
        callbacks.current.onSuccess?.(data, ...variables);
        callbacks.current.onSettled?.(data, null, ...variables);
        return data;
      } catch (caught) {
        const error = toClientError(caught);
        if (call === latest.current) setState({ status: "error", data: undefined, error });
        callbacks.current.onError?.(error, ...variables);
        callbacks.current.onSettled?.(undefined, error, ...variables);
        throw error;
      }
    },
    [action],
  );

  const mutate = useCallback(
    (...variables: TVariables): void => {
      // The error is in `error` and onError; mutate itself never rejects.
      mutateAsync(...variables).catch(() => {});
    },
    [mutateAsync],
  );

  const reset = useCallback(() => {
    latest.current++;
    setState(idle);
  }, []);

  return {
    mutate,
    mutateAsync,
    ...state,
    isIdle: state.status === "idle",
    isPending: state.status === "pending",
    isSuccess: state.status === "success",
    isError: state.status === "error",
    reset,
  };
}

/**
 * The pre-1.0 shape the hooks also keep for one minor version: a call that resolves with the data
 * or `null` on failure (never rejecting), and `pending`/`result`.
 */
export function legacyCall<TVariables extends unknown[], TData>(
  mutation: MutationResult<TVariables, TData>,
): (...variables: TVariables) => Promise<TData | null> {
  return (...variables) => mutation.mutateAsync(...variables).catch(() => null);
}
