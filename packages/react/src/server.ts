// `@openv/react/server`: what a React Server Component (or a loader, or getServerSideProps) calls
// to fetch the first render's data. No "use client": nothing here renders or holds state.
import type { OpenVClient, RequestOptions } from "@openv/sdk";
import type { OpenVInitialState } from "@openv/sdk/store";

export type { OpenVInitialState } from "@openv/sdk/store";

/** What {@link fetchInitialState} fetches. */
export interface FetchInitialStateOptions extends RequestOptions {
  /** The first page of the user's videos. Default true. */
  videos?: boolean | undefined;
  /** How many videos that page holds, 1–200. Default 50 (the server's). */
  limit?: number | undefined;
  /** The current period's usage. Default false. */
  usage?: boolean | undefined;
  /** The terms status. Default false. */
  terms?: boolean | undefined;
  /** The model catalog. Default false. */
  models?: boolean | undefined;
  /** The credit balance and ledger (only on a server with credits billing). Default false. */
  credits?: boolean | undefined;
}

/**
 * Fetches, in parallel, what the first render needs, as plain JSON: hand it to
 * `<OpenVProvider initialState>` or `<OpenVHydrate state>` and the page renders the gallery on the
 * server and hydrates it without a spinner. Use a client that speaks for the signed-in user (e.g.
 * created per request with the session token).
 *
 * @example Next.js (app router)
 * ```tsx
 * // app/page.tsx: a server component
 * import { createClient } from "@openv/sdk";
 * import { fetchInitialState } from "@openv/react/server";
 * import { Studio } from "./studio"; // "use client": <OpenVProvider initialState={state}>…
 *
 * export default async function Page() {
 *   const client = createClient({ baseUrl: process.env.OPENV_URL!, getToken: () => auth().getToken() });
 *   return <Studio initialState={await fetchInitialState(client, { usage: true })} />;
 * }
 * ```
 */
export async function fetchInitialState(
  client: OpenVClient,
  options: FetchInitialStateOptions = {},
): Promise<OpenVInitialState> {
  const { videos = true, limit, usage = false, terms = false, models = false, credits = false, ...request } = options;
  const [page, usageAnswer, termsAnswer, modelsAnswer, creditsAnswer] = await Promise.all([
    videos ? client.videos.list({ ...request, limit }) : undefined,
    usage ? client.usage.get(request) : undefined,
    terms ? client.terms.get(request) : undefined,
    models ? client.models.list(request) : undefined,
    credits ? client.credits.get(request) : undefined,
  ]);
  return {
    ...(page && { videos: page.videos }),
    ...(usageAnswer && { usage: usageAnswer }),
    ...(termsAnswer && { terms: termsAnswer }),
    ...(modelsAnswer && { models: modelsAnswer }),
    ...(creditsAnswer && { credits: creditsAnswer }),
  };
}
