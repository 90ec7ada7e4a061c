import type { OpenVInitialState } from "@openv/react/server";
import { fetchInitialState } from "@openv/react/server";
import { createClient } from "@openv/sdk";
import { cookies } from "next/headers";
import { openvHandler } from "../lib/openv";
import { OpenVApp } from "./openv-app";

// Rendered per request: the server fetches the signed-in user's first page of videos, usage and
// terms (through the OpenV handler in this same process, no network hop) and renders the gallery
// with them; the browser hydrates that HTML and the live watcher takes over.
export const dynamic = "force-dynamic";

/**
 * The first render's data for whoever asks: the Clerk session (its `__session` cookie is the
 * session token) or, with development auth, the `?as=` user. Undefined when the server cannot
 * speak for them (signed out, or production without Clerk): the page then loads in the browser.
 */
async function loadInitialState(devUser: string | undefined): Promise<OpenVInitialState | undefined> {
  const sessionToken = (await cookies()).get("__session")?.value;
  const client = createClient({
    baseUrl: "http://openv.internal/api",
    fetch: async (input, init) => (await openvHandler())(new Request(input, init)),
    getToken: () => sessionToken,
    ...(devUser && { headers: { "x-openv-user": devUser } }),
    maxRetries: 0,
  });
  try {
    return await fetchInitialState(client, { usage: true, terms: true, timeoutMs: 5000 });
  } catch {
    return undefined;
  }
}

export default async function Home({ searchParams }: { searchParams: Promise<{ as?: string | string[] }> }) {
  const as = (await searchParams).as;
  const devUser = typeof as === "string" && as !== "" ? as : undefined;
  const initialState = await loadInitialState(devUser);
  return <OpenVApp initialState={initialState} devUser={devUser} />;
}
