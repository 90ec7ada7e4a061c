import { createClient, type OpenVClient } from "@openv/sdk";
import { configure, type RenderResult, render } from "@testing-library/react";
import type { ReactNode } from "react";
import { GenerateForm, OpenVProvider, TermsGate, VideoGallery } from "../../src/index.js";

// findBy* and waitFor give up after 1 s by default; two suites, each with a server, ffmpeg and
// jsdom, share two cores, so an answer can take longer than that without anything being wrong.
configure({ asyncUtilTimeout: 10_000 });

/** A client of the test server for `user` (development auth: the X-OpenV-User header). */
export function clientFor(baseUrl: string, user: string): OpenVClient {
  return createClient({ baseUrl, headers: { "x-openv-user": user } });
}

/**
 * Renders `ui` inside an `<OpenVProvider>` that builds its own client from options, as an app
 * would, signed in as `user` on the test server.
 */
export function renderAsUser(ui: ReactNode, baseUrl: string, user: string): RenderResult {
  return render(
    <OpenVProvider baseUrl={baseUrl} headers={{ "x-openv-user": user }}>
      {ui}
    </OpenVProvider>,
  );
}

/**
 * The product page the example app shows: the terms gate around the form and the gallery, signed
 * in as `user`.
 */
export function renderProductPage(baseUrl: string, user: string): RenderResult {
  return renderAsUser(
    <TermsGate>
      <GenerateForm />
      <VideoGallery />
    </TermsGate>,
    baseUrl,
    user,
  );
}
