import net from "node:net";

/**
 * What the proxy does with connections:
 * - `forward`: pipes bytes both ways (a healthy network);
 * - `refuse`: stops listening, so connecting fails at once with ECONNREFUSED (the server is down);
 * - `reset`: accepts, then resets the connection (a server that dies as you connect);
 * - `blackhole`: accepts and never answers (a partition: packets vanish, nothing says so).
 */
export type ProxyMode = "forward" | "refuse" | "reset" | "blackhole";

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
}

/**
 * A TCP proxy on a loopback port in front of another server (PostgreSQL, in the fault suites): it
 * forwards until a test cuts the connections, changes how new ones are treated, or asks to cut
 * the connection that sends a given byte pattern (to fail a transaction at a chosen statement).
 */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #pairs = new Set<Pair>();
  readonly #held = new Set<Pair>();
  #server: net.Server | null = null;
  #port = 0;
  #mode: ProxyMode = "forward";
  #tripwires: { pattern: string; when: "before" | "after"; resolve: () => void }[] = [];
  /** Connections accepted so far (any mode). */
  accepted = 0;
  /** Connections cut by a tripwire so far. */
  tripped = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** Listens on a random loopback port (or `port`). */
  async start(port = 0): Promise<this> {
    const server = net.createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
    this.#port = (server.address() as net.AddressInfo).port;
    return this;
  }

  get port(): number {
    return this.#port;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** Open proxied connections. */
  get openConnections(): number {
    return this.#pairs.size;
  }

  /** `url` (e.g. a PostgreSQL connection string) with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(this.#port);
    return proxied.toString();
  }

  /**
   * Switches how new connections are treated; every mode but `forward` also resets every open
   * connection. `forward` after `refuse` listens again on the same port.
   */
  async setMode(mode: ProxyMode): Promise<void> {
    this.#mode = mode;
    if (mode !== "forward") this.cutAll();
    if (mode === "refuse" && this.#server) {
      const server = this.#server;
      this.#server = null;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (mode !== "refuse" && !this.#server) await this.start(this.#port);
    if (mode === "forward") {
      // A healed partition: what the held connections sent finally arrives.
      for (const pair of [...this.#held]) if (this.#pairs.has(pair)) this.#forward(pair);
      this.#held.clear();
    }
  }

  /** Resets every open connection, both sides (the peers see ECONNRESET). */
  cutAll(): void {
    for (const pair of [...this.#pairs]) this.#cut(pair);
  }

  /**
   * Cuts the next connection that sends `pattern` (client → server): `before` forwarding those
   * bytes, so the server never sees them, or `after` the server answered them, dropping the answer
   * (for a COMMIT: committed, but the client cannot know). Resolves when it has cut one.
   */
  cutOn(pattern: string, when: "before" | "after"): Promise<void> {
    return new Promise((resolve) => this.#tripwires.push({ pattern, when, resolve }));
  }

  /** Forgets every armed `cutOn`. */
  disarm(): void {
    this.#tripwires = [];
  }

  async close(): Promise<void> {
    this.disarm();
    this.cutAll();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    this.accepted += 1;
    client.on("error", () => {});
    const pair: Pair = { client, upstream: null };
    if (this.#mode === "reset") {
      client.resetAndDestroy();
      return;
    }
    this.#pairs.add(pair);
    client.on("close", () => this.#cut(pair));
    if (this.#mode === "blackhole") {
      // Held: its bytes wait in the socket until the network heals (`setMode("forward")`).
      client.pause();
      this.#held.add(pair);
      return;
    }
    this.#forward(pair);
  }

  #forward(pair: Pair): void {
    const { client } = pair;
    const upstream = net.connect(this.#target);
    pair.upstream = upstream;
    upstream.on("error", () => {});
    upstream.on("close", () => this.#cut(pair));
    upstream.pipe(client);
    client.on("data", (chunk: Buffer) => {
      const text = chunk.toString("latin1");
      const wire = this.#tripwires.find((candidate) => text.includes(candidate.pattern));
      if (wire) {
        this.#tripwires.splice(this.#tripwires.indexOf(wire), 1);
        this.tripped += 1;
        if (wire.when === "before") {
          this.#cut(pair);
          wire.resolve();
          return;
        }
        // `after`: the server gets these bytes (and what follows them); its answer, which it sends
        // only once it has acted on them, is dropped and the connection cut.
        upstream.unpipe(client);
        upstream.once("data", () => {
          this.#cut(pair);
          wire.resolve();
        });
        // Unpiped, it stopped flowing.
        upstream.resume();
      }
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once("drain", () => client.resume());
      }
    });
    client.resume();
  }

  #cut(pair: Pair): void {
    this.#held.delete(pair);
    if (!this.#pairs.delete(pair)) return;
    if (!pair.client.destroyed) pair.client.resetAndDestroy();
    if (pair.upstream && !pair.upstream.destroyed) pair.upstream.resetAndDestroy();
  }
}
