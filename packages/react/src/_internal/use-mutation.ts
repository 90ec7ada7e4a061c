import type { OpenVClientError } from "@openv/sdk";
import { toClientError } from "@openv/sdk/store";
import { useCallback, useRef, useState } from "react";

export interface MutationState<TResult> {
  pending: boolean;
  error: OpenVClientError | null;
  result: TResult | null;
}

const idle = { pending: false, error: null, result: null } as const;

/**
 * Runs an async action and tracks it for rendering: `pending` while any call is in flight, and the
 * error or result of the latest call (an older call finishing late does not overwrite it).
 */
export function useMutation<TArgs extends unknown[], TResult>(
  action: (...args: TArgs) => Promise<TResult>,
): MutationState<TResult> & { run: (...args: TArgs) => Promise<TResult | null>; reset: () => void } {
  const [state, setState] = useState<MutationState<TResult>>(idle);
  const latest = useRef(0);
  const inFlight = useRef(0);

  const run = useCallback(
    async (...args: TArgs): Promise<TResult | null> => {
      const call = ++latest.current;
      inFlight.current++;
      setState((previous) => ({ ...previous, pending: true, error: null }));
      try {
        const result = await action(...args);
        inFlight.current--;
        setState((previous) =>
          call === latest.current
            ? { pending: inFlight.current > 0, error: null, result }
            : { ...previous, pending: inFlight.current > 0 },
        );
        return result;
      } catch (error) {
        inFlight.current--;
        const clientError = toClientError(error);
        setState((previous) =>
          call === latest.current
            ? { pending: inFlight.current > 0, error: clientError, result: null }
            : { ...previous, pending: inFlight.current > 0 },
        );
        return null;
      }
    },
    [action],
  );

  const reset = useCallback(() => {
    latest.current++;
    setState({ pending: inFlight.current > 0, error: null, result: null });
  }, []);

  return { ...state, run, reset };
}
