import net from "node:net";

/**
 * A loopback TCP proxy in front of a PostgreSQL server that reads the frontend protocol going
 * through it and records every statement the database is asked to run, whatever the client
 * (Prisma's driver adapter, a `pg` Pool, the LISTEN connection): a simple-protocol `Query`
 * message is one statement (its text as sent, which may hold several, such as `BEGIN; …`), and an
 * extended-protocol `Execute` is one statement, named by the text of the `Parse` it runs. This is
 * what "statements per request" means in issue 17, counted where the database sees them; bytes
 * are forwarded unchanged.
 *
 * Background loops (reconciler, outbox dispatcher) also speak through it: tests that count turn
 * them off, or measure a window in which they cannot run.
 */
export class PgStatementCounter {
  readonly #target: URL;
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | null = null;
  #port = 0;
  /** Every statement run through the proxy so far, in the order they reached it. */
  readonly statements: string[] = [];

  private constructor(databaseUrl: string) {
    this.#target = new URL(databaseUrl);
  }

  /** Starts a counter in front of the server of `databaseUrl` (a `postgresql://` URL). */
  static async start(databaseUrl: string): Promise<PgStatementCounter> {
    const counter = new PgStatementCounter(databaseUrl);
    const server = net.createServer((client) => counter.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    counter.#server = server;
    counter.#port = (server.address() as net.AddressInfo).port;
    return counter;
  }

  /** `databaseUrl` (any database on the same server) with its host and port replaced by the counter's. */
  urlFor(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = "127.0.0.1";
    url.port = String(this.#port);
    return url.toString();
  }

  /** Runs `work` and returns the statements that reached the database while it ran. */
  async measure<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    const from = this.statements.length;
    const result = await work();
    return { result, statements: this.statements.slice(from) };
  }

  /**
   * The statements one request costs, as texts folded to one line for messages: `request` runs
   * `runs` times (given the run's index), each in a window that closes once the database has been
   * quiet for `quietMs`, and the run with the fewest statements is kept. Work a request leaves
   * running after its answer is counted in its own window; should a loaded machine delay some past
   * that, the extra lands in the next window and the fewest is still one request's own.
   */
  async fewestOf(
    request: (run: number) => Promise<void>,
    { runs = 3, quietMs = 250 }: { runs?: number; quietMs?: number } = {},
  ): Promise<string[]> {
    let fewest: string[] | null = null;
    for (let run = 0; run < runs; run++) {
      const { statements } = await this.measure(async () => {
        await request(run);
        await this.quiet(quietMs);
      });
      if (!fewest || statements.length < fewest.length) fewest = statements;
    }
    return (fewest ?? []).map((text) => text.replace(/\s+/g, " ").trim().slice(0, 160));
  }

  /** Resolves once no statement has reached the proxy for `ms` milliseconds. */
  async quiet(ms: number): Promise<void> {
    for (;;) {
      const seen = this.statements.length;
      await new Promise((resolve) => setTimeout(resolve, ms));
      if (this.statements.length === seen) return;
    }
  }

  /** Stops listening and cuts every proxied connection. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #accept(client: net.Socket): void {
    const upstream = net.connect(Number(this.#target.port || 5432), this.#target.hostname);
    this.#sockets.add(client).add(upstream);
    const forget = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on("error", forget).on("close", forget);
    upstream.on("error", forget).on("close", forget);
    upstream.pipe(client);
    const reader = new FrontendReader((text) => this.statements.push(text));
    client.on("data", (chunk: Buffer) => {
      reader.push(chunk);
      upstream.write(chunk);
    });
  }
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/** Splits one connection's frontend bytes into messages and reports each statement run. */
class FrontendReader {
  #buffer: Buffer = Buffer.alloc(0);
  /** Until the startup message, messages carry no type byte. */
  #started = false;
  /** Texts of prepared statements by name ("" is the unnamed one), for `Execute` of a named portal's statement. */
  readonly #prepared = new Map<string, string>();
  /** The statement text bound to each portal by `Bind`. */
  readonly #portals = new Map<string, string>();
  readonly #onStatement: (text: string) => void;

  constructor(onStatement: (text: string) => void) {
    this.#onStatement = onStatement;
  }

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (!this.#started) {
        if (this.#buffer.length < 8) return;
        const length = this.#buffer.readInt32BE(0);
        if (this.#buffer.length < length) return;
        const code = this.#buffer.readInt32BE(4);
        // SSL and GSS requests are answered with one byte and followed by the real startup.
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST && code !== CANCEL_REQUEST) this.#started = true;
        this.#buffer = this.#buffer.subarray(length);
        continue;
      }
      if (this.#buffer.length < 5) return;
      const length = this.#buffer.readInt32BE(1);
      if (this.#buffer.length < 1 + length) return;
      this.#read(String.fromCharCode(this.#buffer[0] as number), this.#buffer.subarray(5, 1 + length));
      this.#buffer = this.#buffer.subarray(1 + length);
    }
  }

  #read(type: string, body: Buffer): void {
    if (type === "Q") {
      this.#onStatement(cString(body, 0).text);
    } else if (type === "P") {
      const name = cString(body, 0);
      this.#prepared.set(name.text, cString(body, name.end).text);
    } else if (type === "B") {
      const portal = cString(body, 0);
      const statement = cString(body, portal.end);
      this.#portals.set(portal.text, this.#prepared.get(statement.text) ?? `<prepared ${statement.text}>`);
    } else if (type === "E") {
      const portal = cString(body, 0);
      this.#onStatement(this.#portals.get(portal.text) ?? "<unknown portal>");
    }
  }
}

/** The NUL-terminated string at `start`, and where the next field begins. */
function cString(body: Buffer, start: number): { text: string; end: number } {
  const nul = body.indexOf(0, start);
  const end = nul === -1 ? body.length : nul;
  return { text: body.toString("utf8", start, end), end: end + 1 };
}
