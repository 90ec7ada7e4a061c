import autocannon from "autocannon";
import { percentile } from "./stats.js";

/** One autocannon run: what was asked and what came back. */
export interface LoadOptions {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationSeconds: number;
  /** Called before each request to vary it (user, idempotency key, target video…). */
  setupRequest?: (request: autocannon.Request) => autocannon.Request;
}

export interface LoadResult {
  /** 2xx answers per second over the run. */
  rps: number;
  /** Latency percentiles of the 2xx answers in ms (exact, from every response time). */
  p50: number;
  p95: number;
  p99: number;
  ok: number;
  /** Requests sent, including those still in flight when the run stopped (the server did their work too). */
  sent: number;
  /** Answers that were not 2xx, by status code. */
  failures: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
  durationSeconds: number;
}

/**
 * Runs autocannon and keeps every 2xx response time itself: autocannon's histogram rounds
 * latencies to whole milliseconds, too coarse for requests that take a few.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: options.method ?? "GET",
        connections: options.connections,
        duration: options.durationSeconds,
        headers: options.headers ?? {},
        ...(options.body !== undefined && { body: options.body }),
        ...(options.setupRequest && { requests: [{ setupRequest: options.setupRequest }] }),
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        resolve({
          rps: latencies.length / result.duration,
          p50: percentile(latencies, 50),
          p95: percentile(latencies, 95),
          p99: percentile(latencies, 99),
          ok: latencies.length,
          sent: result.requests.sent,
          failures,
          errors: result.errors + result.timeouts,
          durationSeconds: result.duration,
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      else failures[statusCode] = (failures[statusCode] ?? 0) + 1;
    });
  });
}

/** "2 × 429, 1 × 500", or "" when every answer was 2xx. */
export function describeFailures(result: Pick<LoadResult, "failures" | "errors">): string {
  const parts = Object.entries(result.failures).map(([status, count]) => `${count} × ${status}`);
  if (result.errors > 0) parts.push(`${result.errors} connection errors/timeouts`);
  return parts.join(", ");
}
