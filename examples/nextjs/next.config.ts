import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The OpenV backend runs as a plain Node package, never bundled: it loads its migrations, Prisma's
  // and PGlite's WebAssembly and ffmpeg from beside its own files, and its dependencies (Prisma,
  // PGlite, pg, pino, uploadthing, …) stay external with it. Inside this monorepo @openv/server is a
  // workspace link, which Next bundles despite this list (vercel/next.js#84388), so lib/openv.ts
  // also imports it with `turbopackIgnore`.
  serverExternalPackages: ["@openv/server"],
  poweredByHeader: false,
};

export default nextConfig;
