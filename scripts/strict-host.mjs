// A strict host app compiled against the packed tarballs (run by scripts/check-packages.mjs): a
// fresh project installs @openv/server, @openv/sdk, @openv/react and @openv/protocol from their
// .tgz files, with fastify and react at their peer ranges, and compiles, with `skipLibCheck: false`
// and `exactOptionalPropertyTypes`, code that mounts the Fastify plugin, builds the fetch handler,
// calls the SDK and renders the React components. Any error in our published .d.ts files (or in the
// types they pull in) fails the check, as it would fail such a host.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const hostSource = `
import Fastify from "fastify";
import { openv, type OpenVPluginOptions } from "@openv/server";
import { createOpenVHandler } from "@openv/server/fetch";
import { createClient, verifyWebhook } from "@openv/sdk";
import { OpenVProvider, VideoGallery, GenerateForm, TermsGate, useVideos } from "@openv/react";
import type { Video } from "@openv/protocol";
import { createElement, type ReactElement } from "react";

const options: OpenVPluginOptions = { prefix: "/api", dataDir: ".openv" };
const app = Fastify({ logger: true });
await app.register(openv, options);
const lifecycle = app.openv.lifecycle;

const handler = createOpenVHandler({ prefix: "/api", publicUrl: "https://videos.example.com" });
const response: Response = await handler(new Request("https://videos.example.com/api/health"));

const client = createClient({ baseUrl: "https://videos.example.com/api" });
const videos: Video[] = (await client.videos.list()).videos;

function Gallery(): ReactElement {
  const state = useVideos();
  return createElement(TermsGate, null, createElement(GenerateForm), createElement(VideoGallery), String(state.videos.length));
}
export const page = createElement(OpenVProvider, { client }, createElement(Gallery));
export { lifecycle, response, videos, verifyWebhook };
`;

const tsconfig = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2023", "DOM", "DOM.Iterable"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    noEmit: true,
    types: ["node"],
  },
  include: ["src"],
};

/**
 * Compiles the strict host against the tarballs (package name → .tgz path). Returns null when it
 * compiles, or what failed.
 * @param {Record<string, string>} tarballs
 * @param {{ tsc: string, peers: Record<string, string> }} tools
 */
export function checkStrictHost(tarballs, { tsc, peers }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "openv-strict-host-"));
  try {
    const files = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
    const manifest = {
      name: "strict-host",
      private: true,
      type: "module",
      dependencies: { ...files, ...peers },
      // The tarballs name each other by version; point those at the tarballs too, not the registry.
      pnpm: { overrides: files },
    };
    writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2));
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
    mkdirSync(path.join(dir, "src"));
    writeFileSync(path.join(dir, "src", "host.ts"), hostSource);
    const env = { ...process.env, FORCE_COLOR: "0" };
    execFileSync(
      "pnpm",
      ["install", "--prefer-offline", "--ignore-workspace", "--config.strict-peer-dependencies=true"],
      {
        cwd: dir,
        stdio: "pipe",
        env,
      },
    );
    execFileSync(tsc, ["-p", "tsconfig.json"], { cwd: dir, stdio: "pipe", encoding: "utf8", env });
    return null;
  } catch (error) {
    const output = `${error.stdout ?? ""}${error.stderr ?? ""}`;
    const relevant = output.split("\n").filter((line) => !/^(Progress:|Packages:|\++$)/.test(line.trim()));
    return relevant.join("\n").trim() || error.message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
