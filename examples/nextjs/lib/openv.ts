import type { OpenVHandler } from "@openv/server/fetch";

async function createHandler(): Promise<OpenVHandler> {
  // Loaded by Node at run time, not bundled (see README, "Not bundled"): the server reads its
  // migrations, Prisma's and PGlite's WebAssembly and ffmpeg from beside its own files. In an app
  // that installs @openv/server from npm, `serverExternalPackages` is enough and static imports work.
  // The same environment variables as the reference server (DATABASE_URL, OPENV_DATA_DIR,
  // PUBLIC_URL, CLERK_*, RUNPOD_*, UPLOADTHING_TOKEN, MONTHLY_LIMIT_SECONDS, …; see README).
  const [{ openvOptionsFromSettings, settingsFromEnv }, { createOpenVHandler }] = await Promise.all([
    import(/* turbopackIgnore: true */ /* webpackIgnore: true */ "@openv/server"),
    import(/* turbopackIgnore: true */ /* webpackIgnore: true */ "@openv/server/fetch"),
  ]);
  const options = openvOptionsFromSettings(settingsFromEnv(process.env));
  // Webhook and file URLs use PUBLIC_URL, never a request's Host header. `next dev` on this machine
  // may go without it; a deployment sets it (the handler refuses to start otherwise).
  const devOrigin = process.env.NODE_ENV === "development" ? `http://localhost:${process.env.PORT ?? 3000}` : undefined;
  const handler = createOpenVHandler({ ...options, publicUrl: options.publicUrl ?? devOrigin });
  // Open the database before the first answer, so a bad setting fails here (and is retried).
  await handler.ready();
  return handler;
}

// One handler per process: `next dev` re-evaluates modules on every change, and a second handler
// would open the embedded database (and start a second reconciler) beside the first.
const globalForOpenV = globalThis as typeof globalThis & { __openvHandler?: Promise<OpenVHandler> };

/**
 * The process's OpenV handler, created on the first request (not at import: `next build` imports
 * route modules to read their config, and must not open a database). A failed start (a bad
 * setting, an unreachable database) is not kept, so the next request tries again.
 */
export function openvHandler(): Promise<OpenVHandler> {
  globalForOpenV.__openvHandler ??= createHandler().catch((error: unknown) => {
    delete globalForOpenV.__openvHandler;
    throw error;
  });
  return globalForOpenV.__openvHandler;
}
