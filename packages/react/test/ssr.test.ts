// @vitest-environment node
// Server rendering, as in a Next.js or Remix app: no window, no document, and no request may be
// made; every component renders its loading state. (jsdom would hide a stray `window` access.)
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { GenerateForm, OpenVProvider, TermsGate, VideoGallery } from "../src/index.js";

describe("server rendering", () => {
  it("renders every component's loading state without a DOM and without fetching", () => {
    expect(typeof window).toBe("undefined");
    expect(typeof document).toBe("undefined");
    const calls: string[] = [];
    const fetch: typeof globalThis.fetch = async (input) => {
      calls.push(String(input));
      throw new Error("no requests during server rendering");
    };
    const page = renderToString(
      createElement(
        OpenVProvider,
        { baseUrl: "http://127.0.0.1:9/api", fetch },
        createElement(TermsGate, null, createElement(GenerateForm)),
        createElement(GenerateForm),
        createElement(VideoGallery),
      ),
    );
    expect(page).toContain("Checking the terms of use…");
    expect(page).toContain("Checking your remaining video time…");
    expect(page).toContain("Loading your videos…");
    expect(page).toContain('data-state="loading"');
    expect(page).toContain('class="openv-prompt"');
    expect(calls).toEqual([]);
  });
});
