import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, createServer as createTcpServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllowedHosts, refusedAddressClass } from "../src/adapters/net/address-policy.js";
import {
  createGuardedFetch,
  type GuardedFetchOptions,
  OutboundFetchError,
  type ResolvedAddress,
  unavailableMessage,
} from "../src/adapters/net/guarded-fetch.js";

// The guarded fetcher's table test (issue 16, item 4): each refused address class in its IPv4 and
// IPv6 spellings, names that resolve to them, redirects into them, each limit, the allow-list, and
// one error message for whatever fails before an answer.

interface Stand {
  server: Server;
  port: number;
  requests: { url: string; headers: IncomingMessage["headers"] }[];
}

async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<Stand> {
  const requests: Stand["requests"] = [];
  const server = createServer((request, response) => {
    requests.push({ url: request.url ?? "", headers: request.headers });
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/** A resolver over a fixed table (names not in it do not exist), counting lookups. */
function tableResolver(table: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { resolve, calls };
}

function recordingLogger() {
  const lines: { fields: Record<string, unknown>; message: string }[] = [];
  return { lines, warn: (fields: object, message: string) => void lines.push({ fields: { ...fields }, message }) };
}

async function failure(promise: Promise<unknown>): Promise<OutboundFetchError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OutboundFetchError) return error;
    throw error;
  }
  throw new Error("expected the fetch to fail");
}

let target: Stand;
let redirector: Stand;
beforeAll(async () => {
  target = await listen((_request, response) => response.end("inside"));
  redirector = await listen((request, response) => {
    const to = new URL(request.url ?? "/", "http://x").searchParams.get("to");
    if (to === null) return void response.end("redirector");
    response.writeHead(Number(new URL(request.url ?? "/", "http://x").searchParams.get("status") ?? 302), {
      location: to,
    });
    response.end();
  });
});
afterAll(async () => {
  await close(target.server);
  await close(redirector.server);
});

describe("refused addresses, written into the URL", () => {
  // [URL, the class it falls in]: WHATWG URL parsing turns decimal, hex and octal IPv4 spellings
  // into dotted form first, so each must land on the same refusal.
  const table: [string, string][] = [
    ["http://127.0.0.1/", "loopback"],
    ["http://127.1/", "loopback"],
    ["http://2130706433/", "loopback"],
    ["http://0x7f.1/", "loopback"],
    ["http://0x7f000001/", "loopback"],
    ["http://0177.0.0.1/", "loopback"],
    ["http://017700000001/", "loopback"],
    ["http://[::1]/", "loopback"],
    ["http://[::ffff:127.0.0.1]/", "loopback"],
    ["http://[::ffff:7f00:1]/", "loopback"],
    ["http://[::127.0.0.1]/", "ipv4Compatible"],
    ["http://0.0.0.0/", "unspecified"],
    ["http://0/", "unspecified"],
    ["http://[::]/", "unspecified"],
    ["http://10.0.0.1/", "private"],
    ["http://172.16.5.4/", "private"],
    ["http://192.168.1.1/", "private"],
    ["http://0xc0.0xa8.1.1/", "private"],
    ["http://[::ffff:10.0.0.1]/", "private"],
    ["http://169.254.169.254/latest/meta-data/", "linkLocal"],
    ["http://2852039166/", "linkLocal"],
    ["http://[::ffff:169.254.169.254]/", "linkLocal"],
    ["http://[fe80::1]/", "linkLocal"],
    ["http://100.64.0.1/", "carrierGradeNat"],
    ["http://100.100.100.200/", "carrierGradeNat"],
    ["http://224.0.0.1/", "multicast"],
    ["http://[ff02::1]/", "multicast"],
    ["http://255.255.255.255/", "broadcast"],
    ["http://[fc00::1]/", "uniqueLocal"],
    ["http://[fd00:ec2::254]/", "uniqueLocal"],
    ["http://[64:ff9b::7f00:1]/", "rfc6052"],
    ["http://[64:ff9b:1::a00:1]/", "rfc6052"],
    ["http://[2002:7f00:1::]/", "6to4"],
    ["http://168.63.129.16/", "metadata"],
    ["http://240.0.0.1/", "reserved"],
  ];
  for (const [url, range] of table) {
    it(`refuses ${url} (${range}) without connecting or resolving`, async () => {
      const logger = recordingLogger();
      const { resolve, calls } = tableResolver({});
      const guarded = createGuardedFetch({ resolve, logger });
      const error = await failure(guarded(url));
      expect(error.kind).toBe("unavailable");
      expect(error.message).toBe(unavailableMessage);
      expect(calls).toEqual([]);
      expect(logger.lines).toHaveLength(1);
      expect(String(logger.lines[0]?.fields.reason)).toContain(range);
    });
  }

  it("classifies addresses with ipaddr.js: public unicast passes, IPv4-mapped is judged as its IPv4 address", () => {
    expect(refusedAddressClass("93.184.216.34")).toBeNull();
    expect(refusedAddressClass("2606:4700::1111")).toBeNull();
    expect(refusedAddressClass("::ffff:93.184.216.34")).toBeNull();
    expect(refusedAddressClass("::ffff:192.168.0.1")).toBe("private");
    expect(refusedAddressClass("not an address")).toBe("unparsable");
  });

  it("refuses other schemes and URLs with credentials", async () => {
    const logger = recordingLogger();
    const guarded = createGuardedFetch({ logger });
    for (const url of ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/", "data:text/plain,hi"]) {
      expect((await failure(guarded(url))).message).toBe(unavailableMessage);
    }
    expect((await failure(guarded("https://user:secret@example.com/x"))).message).toBe(unavailableMessage);
    expect(JSON.stringify(logger.lines)).not.toContain("secret");
  });
});

describe("names that resolve to refused addresses", () => {
  const names: Record<string, string[]> = {
    "loopback.test": ["127.0.0.1"],
    "private.test": ["10.1.2.3"],
    "metadata.test": ["169.254.169.254"],
    "ula.test": ["fd00:ec2::254"],
    "v6-loopback.test": ["::1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "nat64.test": ["64:ff9b::a9fe:a9fe"],
    // One bad address among good ones is enough: the connection could pick any of them.
    "mixed.test": ["93.184.216.34", "127.0.0.1"],
  };
  for (const name of Object.keys(names)) {
    it(`refuses ${name} (${names[name]?.join(", ")}) and connects to nothing`, async () => {
      const { resolve } = tableResolver(names);
      const guarded = createGuardedFetch({ resolve });
      const error = await failure(guarded(`http://${name}:${target.port}/secret`));
      expect(error.message).toBe(unavailableMessage);
      expect(target.requests.filter((request) => request.url === "/secret")).toEqual([]);
    });
  }

  it("refuses localhost through the system resolver", async () => {
    const guarded = createGuardedFetch();
    expect((await failure(guarded(`http://localhost:${target.port}/secret`))).message).toBe(unavailableMessage);
    expect(target.requests.filter((request) => request.url === "/secret")).toEqual([]);
  });

  it("connects to the address it checked: a name is resolved once per connection, not again after the check", async () => {
    let calls = 0;
    // A rebinding resolver: public on the first answer, loopback on every later one.
    const resolve = async (): Promise<ResolvedAddress[]> =>
      calls++ === 0 ? [{ address: "93.184.216.34", family: 4 }] : [{ address: "127.0.0.1", family: 4 }];
    const guarded = createGuardedFetch({ resolve, connectTimeoutMs: 500 });
    await failure(guarded(`http://rebind.test:${target.port}/secret`));
    expect(target.requests.filter((request) => request.url === "/secret")).toEqual([]);
  });
});

describe("redirects", () => {
  const names = { "public.test": ["127.0.0.1"], "loopback.test": ["127.0.0.1"] };
  const via = (to: string, status = 302) =>
    `http://public.test:${redirector.port}/r?status=${status}&to=${encodeURIComponent(to)}`;
  // The redirector stands for a public host: allowed by name and port, nothing else.
  const guarded = () =>
    createGuardedFetch({
      resolve: tableResolver(names).resolve,
      allowedHosts: [`public.test:${redirector.port}`],
    });

  const insides: [string, () => string][] = [
    ["127.0.0.1", () => `http://127.0.0.1:${target.port}/secret`],
    ["[::1]", () => `http://[::1]:${target.port}/secret`],
    ["2130706433 (decimal 127.0.0.1)", () => `http://2130706433:${target.port}/secret`],
    ["a name resolving to 127.0.0.1", () => `http://loopback.test:${target.port}/secret`],
    ["the allowed name on another port", () => `http://public.test:${target.port}/secret`],
    ["169.254.169.254", () => "http://169.254.169.254/latest/meta-data/"],
    ["file:", () => "file:///etc/passwd"],
  ];
  for (const [label, inside] of insides) {
    for (const status of [301, 302, 303, 307, 308]) {
      it(`refuses a ${status} into ${label}`, async () => {
        const error = await failure(guarded()(via(inside(), status)));
        expect(error.message).toBe(unavailableMessage);
        expect(target.requests.filter((request) => request.url === "/secret")).toEqual([]);
      });
    }
  }

  it("follows a redirect within the allowed host, and gives up after 5", async () => {
    const fetchAllowed = guarded();
    const ok = await fetchAllowed(via(`http://public.test:${redirector.port}/done`));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("redirector");
    let chain = `http://public.test:${redirector.port}/done`;
    for (let hop = 0; hop < 6; hop++) chain = via(chain);
    expect((await failure(fetchAllowed(chain))).message).toBe(unavailableMessage);
  });

  it("drops credentials on a redirect to another origin", async () => {
    const both = createGuardedFetch({
      resolve: tableResolver(names).resolve,
      allowedHosts: [`public.test:${redirector.port}`, `127.0.0.1:${target.port}`],
    });
    const answer = await both(via(`http://127.0.0.1:${target.port}/landed`), {
      headers: { authorization: "Bearer do-not-forward", accept: "video/mp4", "x-api-key": "nope" },
    });
    expect(await answer.text()).toBe("inside");
    const landed = target.requests.find((request) => request.url === "/landed");
    expect(landed?.headers.authorization).toBeUndefined();
    expect(landed?.headers["x-api-key"]).toBeUndefined();
    expect(landed?.headers.accept).toBe("video/mp4");
  });
});

describe("limits", () => {
  let big: Stand;
  let raw: ReturnType<typeof createTcpServer>;
  let rawPort = 0;
  let silent: ReturnType<typeof createTcpServer>;
  let silentPort = 0;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    big = await listen((request, response) => {
      const declared = request.url === "/declared";
      response.writeHead(200, { "content-type": "video/mp4", ...(declared && { "content-length": "10000" }) });
      if (request.url === "/trickle") return void response.write(Buffer.alloc(10));
      for (let chunk = 0; chunk < 10; chunk++) response.write(Buffer.alloc(1000, chunk));
      response.end();
    });
    // No Content-Length and no chunking: the body runs until the connection closes.
    raw = createTcpServer((socket) => {
      sockets.push(socket);
      socket.once("data", () => {
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\nconnection: close\r\n\r\n");
        socket.end(Buffer.alloc(50_000, 1));
      });
    });
    silent = createTcpServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    rawPort = (raw.address() as AddressInfo).port;
    silentPort = (silent.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await close(big.server);
    await new Promise((resolve) => raw.close(resolve));
    await new Promise((resolve) => silent.close(resolve));
  });
  const allowing = (options: GuardedFetchOptions = {}) =>
    createGuardedFetch({
      allowedHosts: `127.0.0.1:${big.port}, 127.0.0.1:${rawPort}, 127.0.0.1:${silentPort}`,
      ...options,
    });

  it("refuses a declared length over the limit before reading the body", async () => {
    const error = await failure(allowing()(`http://127.0.0.1:${big.port}/declared`, { maxBytes: 5000 }));
    expect(error.kind).toBe("too_large");
  });

  it("cuts off a chunked body past the limit", async () => {
    const answer = await allowing({ maxBytes: 5000 })(`http://127.0.0.1:${big.port}/chunked`);
    const error = await failure(answer.arrayBuffer());
    expect(error.kind).toBe("too_large");
  });

  it("cuts off a body with no length at all (read until close)", async () => {
    const answer = await allowing()(`http://127.0.0.1:${rawPort}/`, { maxBytes: 20_000 });
    expect((await failure(answer.arrayBuffer())).kind).toBe("too_large");
    const within = await allowing()(`http://127.0.0.1:${rawPort}/`, { maxBytes: 60_000 });
    expect((await within.arrayBuffer()).byteLength).toBe(50_000);
  });

  it("gives up on headers that never come (headers timeout) with the one message", async () => {
    const error = await failure(allowing({ headersTimeoutMs: 200 })(`http://127.0.0.1:${silentPort}/`));
    expect(error.message).toBe(unavailableMessage);
  });

  it("gives up on a body that never ends (total timeout)", async () => {
    const answer = await allowing({ timeoutMs: 300 })(`http://127.0.0.1:${big.port}/trickle`);
    await expect(answer.arrayBuffer()).rejects.toThrow();
  });

  it("says the same for a refused address, a closed port, a silent port and a total timeout", async () => {
    const closed = await listen(() => {});
    await close(closed.server);
    const guarded = allowing({ headersTimeoutMs: 200 });
    const withClosed = createGuardedFetch({ allowedHosts: [`127.0.0.1:${closed.port}`] });
    const messages = new Set(
      await Promise.all(
        [
          guarded(`http://127.0.0.1:${target.port}/`),
          withClosed(`http://127.0.0.1:${closed.port}/`),
          guarded(`http://127.0.0.1:${silentPort}/`),
          allowing()(`http://127.0.0.1:${silentPort}/`, { timeoutMs: 200 }),
          guarded("http://10.0.0.1/"),
        ].map(async (attempt) => {
          const error = await failure(attempt);
          return `${error.name}|${error.kind}|${error.message}`;
        }),
      ),
    );
    expect([...messages]).toEqual([`OutboundFetchError|unavailable|${unavailableMessage}`]);
  });
});

describe("the allow-list", () => {
  it("admits a listed host on its port only", async () => {
    const guarded = createGuardedFetch({ allowedHosts: `127.0.0.1:${target.port}` });
    expect(await (await guarded(`http://127.0.0.1:${target.port}/ok`)).text()).toBe("inside");
    expect((await failure(guarded(`http://127.0.0.1:${redirector.port}/`))).message).toBe(unavailableMessage);
  });

  it("admits a listed host on any port when no port is given, and names by name only", async () => {
    const guarded = createGuardedFetch({ allowedHosts: ["127.0.0.1"] });
    expect((await guarded(`http://127.0.0.1:${redirector.port}/`)).status).toBe(200);
    expect((await failure(guarded(`http://localhost:${redirector.port}/`))).message).toBe(unavailableMessage);
    const byName = createGuardedFetch({ allowedHosts: ["localhost"] });
    expect((await byName(`http://localhost:${target.port}/`)).status).toBe(200);
  });

  it("parses host[:port] entries, IPv6 included, and refuses what is not one", () => {
    expect(parseAllowedHosts(" gpu-box.lan:8000, 10.0.0.5,[fd00::5]:9000, ::1 ,, WORKER.Lan ")).toEqual([
      { hostname: "gpu-box.lan", port: 8000 },
      { hostname: "10.0.0.5", port: null },
      { hostname: "[fd00::5]", port: 9000 },
      { hostname: "[::1]", port: null },
      { hostname: "worker.lan", port: null },
    ]);
    expect(parseAllowedHosts(["0x7f.1:80"])).toEqual([{ hostname: "127.0.0.1", port: 80 }]);
    for (const bad of ["http://x.test", "x.test:99999", "x.test:0", "a b", "x.test/path", "user@x.test"]) {
      expect(() => parseAllowedHosts(bad)).toThrow(/OPENV_OUTPUT_ALLOWED_HOSTS/);
    }
  });
});

describe("the log line", () => {
  it("says why, without the query string or credentials", async () => {
    const logger = recordingLogger();
    const guarded = createGuardedFetch({ logger });
    await failure(guarded("http://169.254.169.254/latest/meta-data/iam?X-Amz-Signature=do-not-leak"));
    expect(logger.lines).toEqual([
      {
        fields: { url: "http://169.254.169.254/latest/meta-data/iam", reason: "169.254.169.254 is linkLocal" },
        message: "a server-side fetch was refused or failed",
      },
    ]);
  });
});
