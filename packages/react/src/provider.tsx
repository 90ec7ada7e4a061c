import { type ClientOptions, createClient, type OpenVClient, type WatchOptions } from "@openv/sdk";
import { type OpenVInitialState, OpenVStore } from "@openv/sdk/store";
import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef } from "react";

interface ProviderCommonProps {
  /** The components that use the OpenV hooks. */
  children?: ReactNode;
  /**
   * Options of the one watcher the provider's hooks share (`mode`, `pollIntervalMs`, …), read when
   * the provider creates its state (on mount, and when the client changes). Default: the SDK's
   * (Server-Sent Events with a polling fallback).
   */
  watch?: WatchOptions;
  /**
   * What a server fetched for the first render (`fetchInitialState` from `@openv/react/server`):
   * the gallery, usage and terms render with data on the server and hydrate without a spinner.
   */
  initialState?: OpenVInitialState | undefined;
}

/** A provider given a ready client. */
export interface OpenVProviderClientProps extends ProviderCommonProps {
  /** The client every hook below uses. Create it once (outside render or in `useState`). */
  client: OpenVClient;
  /** Not used with `client`: the client carries its own. */
  baseUrl?: never;
  /** Not used with `client`: the client carries its own. */
  getToken?: never;
  /** Not used with `client`: the client carries its own. */
  headers?: never;
  /** Not used with `client`: the client carries its own. */
  fetch?: never;
}

/** A provider that creates its own client from these options. */
export interface OpenVProviderOptionsProps extends ProviderCommonProps {
  /** Not used with options: the provider creates the client. */
  client?: never;
  /** Where the OpenV routes are mounted, prefix included, e.g. `"/api"` on the same origin. */
  baseUrl: string;
  /**
   * Returns the session token (e.g. Clerk's `getToken`). The latest function passed is used, so
   * an inline arrow function does not recreate the client. Default: none (cookies or dev auth).
   */
  getToken?: ClientOptions["getToken"];
  /** Headers for every request, e.g. `{"x-openv-user": "alice"}` against a development server. */
  headers?: Record<string, string>;
  /** The fetch to use. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
}

/** Props of {@link OpenVProvider}: a `client`, or the options to create one. */
export type OpenVProviderProps = OpenVProviderClientProps | OpenVProviderOptionsProps;

const OpenVContext = createContext<OpenVStore | null>(null);

/**
 * Gives the OpenV hooks and components below it a client and one shared, live view of the user's
 * videos. Safe to render on the server: nothing is fetched until a component mounts in the browser.
 *
 * @example With a client
 * ```tsx
 * const client = createClient({ baseUrl: "/api" });
 * <OpenVProvider client={client}><VideoGallery /></OpenVProvider>
 * ```
 *
 * @example With options (Clerk)
 * ```tsx
 * const { getToken } = useAuth();
 * <OpenVProvider baseUrl="/api" getToken={getToken}><App /></OpenVProvider>
 * ```
 */
export function OpenVProvider(props: OpenVProviderProps): ReactNode {
  const { children, watch } = props;
  const getTokenRef = useRef(props.getToken);
  useEffect(() => {
    getTokenRef.current = props.getToken;
  });
  const { client, baseUrl, fetch } = props;
  // Headers by value: an inline object literal must not recreate the client on every render.
  const headersKey = props.headers === undefined ? "" : JSON.stringify(props.headers);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the watch options are read once per client, as documented
  const store = useMemo(() => {
    if (client) return new OpenVStore(client, watch);
    const headers = headersKey === "" ? undefined : (JSON.parse(headersKey) as Record<string, string>);
    const created = createClient({
      baseUrl: baseUrl ?? "",
      getToken: () => getTokenRef.current?.(),
      ...(headers && { headers }),
      ...(fetch && { fetch }),
    });
    return new OpenVStore(created, watch);
  }, [client, baseUrl, headersKey, fetch]);
  if (props.initialState) store.seed(props.initialState);
  return <OpenVContext.Provider value={store}>{children}</OpenVContext.Provider>;
}

/** @internal The provider's state, or null outside a provider (issue 21: the card's actions, which render without one too). */
export function useOptionalOpenVStore(): OpenVStore | null {
  return useContext(OpenVContext);
}

/** The provider's state; throws a helpful error outside a provider. */
export function useOpenVStore(): OpenVStore {
  const store = useContext(OpenVContext);
  if (!store) throw new Error("OpenV hooks and components must be rendered inside <OpenVProvider>.");
  return store;
}

/**
 * The provider's {@link OpenVClient}, for calls the hooks do not cover (e.g. `client.get(id)`).
 *
 * @example
 * ```tsx
 * const client = useOpenVClient();
 * const onRetry = () => client.generate({ prompt: video.prompt, frames: video.frames });
 * ```
 */
export function useOpenVClient(): OpenVClient {
  return useOpenVStore().client;
}

/** Props of {@link OpenVHydrate}. */
export interface OpenVHydrateProps {
  /** What `fetchInitialState` (from `@openv/react/server`) returned. */
  state: OpenVInitialState;
  /** The part of the tree that reads the seeded data. */
  children?: ReactNode;
}

/**
 * Seeds the surrounding `<OpenVProvider>` with what a server fetched, for the part of the tree
 * below it (the same as the provider's `initialState`, placed where the data is fetched). Parts
 * the provider already has are left as they are.
 *
 * @example Next.js (app router)
 * ```tsx
 * // app/page.tsx, a server component
 * import { fetchInitialState } from "@openv/react/server";
 * const state = await fetchInitialState(serverClient);
 * return <OpenVHydrate state={state}><VideoGallery /></OpenVHydrate>;
 * ```
 */
export function OpenVHydrate({ state, children }: OpenVHydrateProps): ReactNode {
  useOpenVStore().seed(state);
  return children;
}
