"use client";

import { useEffect, useState } from "react";

/** The part of ClerkJS (the browser bundle's `window.Clerk`) this example uses. */
export interface BrowserClerk {
  load(): Promise<void>;
  readonly session: { getToken(): Promise<string | null> } | null | undefined;
  readonly user: unknown;
  addListener(listener: (resources: { session?: unknown }) => void): () => void;
  mountSignIn(element: HTMLDivElement): void;
  unmountSignIn(element: HTMLDivElement): void;
  signOut(): Promise<void>;
}

declare global {
  interface Window {
    Clerk?: BrowserClerk;
  }
}

/** The Clerk frontend API host a publishable key names (`pk_test_<base64 of "host$">`). */
function frontendApi(publishableKey: string): string {
  const encoded = publishableKey.split("_")[2] ?? "";
  return atob(encoded).replace(/\$$/, "");
}

let loading: Promise<BrowserClerk> | undefined;

/**
 * Loads ClerkJS from the Clerk instance's own frontend API, in the browser, at run time (never at
 * build time). `NEXT_PUBLIC_CLERK_JS_URL` overrides the script address (a self-hosted copy).
 */
function loadClerk(publishableKey: string): Promise<BrowserClerk> {
  loading ??= new Promise<BrowserClerk>((resolve, reject) => {
    const ready = () => {
      const clerk = window.Clerk;
      if (!clerk) return reject(new Error("ClerkJS loaded but window.Clerk is missing"));
      clerk.load().then(() => resolve(clerk), reject);
    };
    if (window.Clerk) return ready();
    const script = document.createElement("script");
    script.src =
      process.env.NEXT_PUBLIC_CLERK_JS_URL ??
      `https://${frontendApi(publishableKey)}/npm/@clerk/clerk-js@5/dist/clerk.browser.js`;
    script.async = true;
    script.crossOrigin = "anonymous";
    script.dataset.clerkPublishableKey = publishableKey;
    script.addEventListener("load", ready);
    script.addEventListener("error", () => reject(new Error(`Could not load ClerkJS from ${script.src}`)));
    document.head.append(script);
  });
  return loading;
}

/** Where the Clerk session stands in this tab. */
export type ClerkState =
  | { status: "loading" }
  | { status: "failed"; error: Error }
  | { status: "signed-out"; clerk: BrowserClerk }
  | { status: "signed-in"; clerk: BrowserClerk };

/** Loads Clerk and follows sign-in and sign-out. */
export function useClerkSession(publishableKey: string): ClerkState {
  const [state, setState] = useState<ClerkState>({ status: "loading" });
  useEffect(() => {
    let unsubscribe: (() => void) | undefined;
    let cancelled = false;
    loadClerk(publishableKey).then(
      (clerk) => {
        if (cancelled) return;
        const update = () => setState({ status: clerk.session ? "signed-in" : "signed-out", clerk });
        update();
        unsubscribe = clerk.addListener(update);
      },
      (error: unknown) => {
        if (!cancelled)
          setState({ status: "failed", error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => {
      cancelled = true;
      unsubscribe?.();
    };
  }, [publishableKey]);
  return state;
}
