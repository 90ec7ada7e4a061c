"use client";

import {
  formatSeconds,
  GenerateForm,
  type OpenVInitialState,
  OpenVProvider,
  TermsGate,
  useUsage,
  VideoGallery,
} from "@openv/react";
import { type ReactNode, useEffect, useRef } from "react";
import { type BrowserClerk, useClerkSession } from "./clerk-session";

/** The OpenV routes: the catch-all route handler of this same app. */
const baseUrl = "/api";

/** Inlined at build time; when set, users sign in with Clerk instead of development auth. */
const clerkPublishableKey = process.env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY;

function QuotaBadge() {
  const { usage, error } = useUsage();
  if (!usage) {
    return <span className="app-quota">{error ? "Quota unavailable" : "Checking quota…"}</span>;
  }
  if (usage.credits) {
    // Credits billing: the balance is what limits the next video.
    return (
      <span className="app-quota" data-empty={usage.credits.balance <= 0 ? "" : undefined}>
        <strong>{usage.credits.balance}</strong> {usage.credits.balance === 1 ? "credit" : "credits"}
      </span>
    );
  }
  if (usage.limitSeconds === null || usage.remainingSeconds === null) {
    return (
      <span className="app-quota">
        <strong>{formatSeconds(usage.usedSeconds)}</strong> used
      </span>
    );
  }
  const empty = usage.remainingSeconds < 7 / 30;
  return (
    <span className="app-quota" data-empty={empty ? "" : undefined} title={`Resets ${usage.periodEnd.slice(0, 10)}`}>
      <strong>{formatSeconds(usage.remainingSeconds)}</strong> of {formatSeconds(usage.limitSeconds)} left
    </span>
  );
}

const terms = (
  <>
    <p>
      OpenV turns your prompt into a short video with an AI model (Mochi&nbsp;1). Before you start, please agree to a
      few ground rules:
    </p>
    <ul>
      <li>Do not ask for illegal, hateful or sexual content, or for real people without their consent.</li>
      <li>Generated videos may be inaccurate or surprising; check them before you share them.</li>
      <li>
        Each video counts against your allowance (monthly seconds or credits); a failed or unfinished deleted video is
        refunded.
      </li>
    </ul>
  </>
);

/** The studio: the generate form and the live gallery, behind the terms gate. */
function Studio({ actions }: { actions?: ReactNode }) {
  return (
    <>
      <header className="app-header">
        <a className="app-brand" href="/">
          <span className="app-logo" aria-hidden="true">
            ▶
          </span>
          OpenV
        </a>
        <span className="app-header-end">
          <QuotaBadge />
          {actions}
        </span>
      </header>
      <main className="app-main">
        <section className="app-intro">
          <h1>Turn a sentence into a video</h1>
          <p>Describe a scene, pick a length, and watch it render. Finished videos play right here.</p>
        </section>
        <TermsGate terms={terms} title="Before you start">
          <div className="app-studio">
            <div className="app-compose">
              <h2>New video</h2>
              <GenerateForm />
            </div>
            <div className="app-library">
              <h2>Your videos</h2>
              <VideoGallery />
            </div>
          </div>
        </TermsGate>
      </main>
    </>
  );
}

/** What the server component fetched for the first render, and the development user it asked as. */
interface InitialProps {
  initialState?: OpenVInitialState | undefined;
  devUser?: string | undefined;
}

/**
 * Development auth: the server takes the user from the `X-OpenV-User` header (default `dev-user`);
 * `?as=alice` in the page URL acts as `alice`. The page (a server component) reads it, so the
 * server-rendered HTML, seeded with that user's videos, and the first client render agree.
 */
function DevAuthApp({ initialState, devUser }: InitialProps) {
  return (
    <OpenVProvider
      baseUrl={baseUrl}
      initialState={initialState}
      {...(devUser && { headers: { "x-openv-user": devUser } })}
    >
      <Studio />
    </OpenVProvider>
  );
}

/** Clerk's sign-in form, mounted by ClerkJS into a div React leaves alone. */
function SignIn({ clerk }: { clerk: BrowserClerk }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    clerk.mountSignIn(element);
    return () => clerk.unmountSignIn(element);
  }, [clerk]);
  return <div className="app-sign-in" ref={ref} />;
}

/** Clerk auth: every request carries the session token (`Authorization: Bearer …`). */
function ClerkApp({ publishableKey, initialState }: { publishableKey: string } & InitialProps) {
  const state = useClerkSession(publishableKey);
  if (state.status === "loading") {
    return (
      <p className="app-status" role="status">
        Loading sign-in…
      </p>
    );
  }
  if (state.status === "failed") {
    return (
      <p className="app-status" role="alert">
        Sign-in could not load: {state.error.message}
      </p>
    );
  }
  const { clerk } = state;
  if (state.status === "signed-out") {
    return (
      <main className="app-main">
        <SignIn clerk={clerk} />
      </main>
    );
  }
  return (
    <OpenVProvider baseUrl={baseUrl} initialState={initialState} getToken={() => clerk.session?.getToken() ?? null}>
      <Studio
        actions={
          <button type="button" className="app-sign-out" onClick={() => void clerk.signOut()}>
            Sign out
          </button>
        }
      />
    </OpenVProvider>
  );
}

/** The whole page, with Clerk when `NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY` was set at build time. */
export function OpenVApp({ initialState, devUser }: InitialProps) {
  return (
    <div className="app-root" id="openv-app">
      {clerkPublishableKey ? (
        <ClerkApp publishableKey={clerkPublishableKey} initialState={initialState} />
      ) : (
        <DevAuthApp initialState={initialState} devUser={devUser} />
      )}
      <footer className="app-footer">
        Built with <code>@openv/react</code> and <code>@openv/sdk</code> on Next.js; the API is one route handler.
      </footer>
    </div>
  );
}
