#!/usr/bin/env node
import { settingsFromEnv } from "./config-env.js";
import { createReferenceServer } from "./reference-server.js";

async function main(): Promise<void> {
  const settings = settingsFromEnv(process.env);
  const app = await createReferenceServer(settings);
  // The adapters line comes from the service itself, on every binding.
  const { perUser, perIp } = settings.generateRateLimit;
  app.log.info(
    {
      requestTimeoutMs: settings.requestTimeoutMs,
      generatePerUserPerMinute: perUser ? perUser.max : "off",
      generatePerIpPerMinute: perIp ? perIp.max : "off",
    },
    "OpenV request limits",
  );
  if (settings.databaseUrl && !settings.webhookSecret) {
    app.log.warn(
      `DATABASE_URL is set but OPENV_WEBHOOK_SECRET is not: this instance signs webhook URLs with the secret in ${settings.dataDir}. When several instances share the database, give them all the same OPENV_WEBHOOK_SECRET, or a webhook landing on another instance is refused.`,
    );
  }
  if (settings.services.runpod && !settings.publicUrl) {
    app.log.warn(
      "RunPod is configured but PUBLIC_URL is not: webhook URLs will name this machine's listening address, which RunPod cannot reach unless RUNPOD_BASE_URL points at a local stand-in. Set PUBLIC_URL to this server's public address (the reconciler still polls job status meanwhile).",
    );
  }
  if ((settings.services.fal || settings.services.workflow) && !settings.publicUrl) {
    app.log.warn(
      `${settings.services.fal ? "fal.ai" : "The workflow provider"} is configured but PUBLIC_URL is not: callback URLs will name this machine's listening address, which the provider cannot reach. Set PUBLIC_URL to this server's public address.`,
    );
  }
  // Development auth's warning is logged by the service itself, on every binding (once).
  await app.listen({ port: settings.port, host: settings.host });
  const url = app.openv.publicUrl();
  process.stdout.write(`\nOpenV is running at ${url}  (health: ${url}/api/health)\n\n`);
  const stop = async (signal: string) => {
    app.log.info({ signal }, "shutting down");
    await app.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(`openv-server could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
