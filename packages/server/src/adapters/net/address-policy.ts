import ipaddr from "ipaddr.js";

// Which addresses a server-side fetch may connect to, and the operator's allow-list. Parsing and
// range tables come from ipaddr.js; only the few ranges it files under "unicast" but that must not
// be reached from a server are listed here.

/** Ranges ipaddr.js counts as ordinary unicast that a server-side fetch must not reach either. */
const alsoRefused: { range: [ipaddr.IPv4 | ipaddr.IPv6, number]; name: string }[] = [
  // Azure's host endpoint (wireserver), reachable from every VM without authentication.
  { range: ipaddr.parseCIDR("168.63.129.16/32"), name: "metadata" },
  // IPv4-compatible IPv6 (::a.b.c.d, deprecated): some stacks route it to the embedded IPv4 address.
  { range: ipaddr.parseCIDR("::/96"), name: "ipv4Compatible" },
  // Documentation prefix; never a real server.
  { range: ipaddr.parseCIDR("2001:db8::/32"), name: "documentation" },
];

/**
 * Why `address` (an IPv4 or IPv6 address, no brackets) may not be connected to, or null when it is
 * an ordinary public unicast address. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4
 * address it carries; NAT64 (`64:ff9b::/96`), 6to4 and Teredo, which can lead to any IPv4 address,
 * are refused outright.
 */
export function refusedAddressClass(address: string): string | null {
  if (!ipaddr.isValid(address)) return "unparsable";
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  if (range !== "unicast") return range;
  for (const extra of alsoRefused) {
    if (parsed.kind() === extra.range[0].kind() && parsed.match(extra.range)) return extra.name;
  }
  return null;
}

/** One allow-list entry: a host name or address, and a port (null: any port). */
export interface AllowedHost {
  /** The host as WHATWG URL parsing writes it (`example.com`, `127.0.0.1`, `[::1]`). */
  hostname: string;
  /** The port, or null for any. */
  port: number | null;
}

/**
 * Parses `OPENV_OUTPUT_ALLOWED_HOSTS`-style entries, `host[:port]` each (`worker.lan:8000`,
 * `10.0.0.5`, `[fd00::5]:9000`), a comma-separated string or a list. Throws on an entry that is not
 * one, naming it.
 */
export function parseAllowedHosts(value: string | readonly string[] | undefined): AllowedHost[] {
  if (value === undefined) return [];
  const entries = typeof value === "string" ? value.split(",") : value;
  const hosts: AllowedHost[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === "") continue;
    hosts.push(parseAllowedHost(entry));
  }
  return hosts;
}

function parseAllowedHost(entry: string): AllowedHost {
  const invalid = () =>
    new Error(
      `"${entry}" in outputAllowedHosts (OPENV_OUTPUT_ALLOWED_HOSTS) is not host[:port]; write e.g. worker.lan:8000, 10.0.0.5 or [fd00::5]:9000.`,
    );
  let host: string;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    host = `[${bracketed[1]}]`;
    port = bracketed[2];
  } else if (ipaddr.IPv6.isValid(entry)) {
    host = `[${entry}]`;
  } else {
    const plain = /^([^:/?#@[\]\s]+)(?::(\d+))?$/.exec(entry);
    if (!plain) throw invalid();
    host = plain[1] as string;
    port = plain[2];
  }
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    throw invalid();
  }
  const portNumber = port === undefined ? null : Number(port);
  if (portNumber !== null && (portNumber < 1 || portNumber > 65535)) throw invalid();
  return { hostname, port: portNumber };
}

/** The port `url` connects to: its own, else its scheme's default. */
export function portOf(url: URL): number {
  if (url.port !== "") return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/** Whether the allow-list admits `url`'s host and port. */
export function isAllowedHost(allowed: readonly AllowedHost[], url: URL): boolean {
  const port = portOf(url);
  return allowed.some((entry) => entry.hostname === url.hostname && (entry.port === null || entry.port === port));
}

/** The host and port of each URL, as allow-list entries (a configured provider's own endpoints). */
export function hostsOfUrls(urls: readonly (string | undefined)[]): AllowedHost[] {
  const hosts: AllowedHost[] = [];
  for (const value of urls) {
    if (!value) continue;
    try {
      const url = new URL(value);
      hosts.push({ hostname: url.hostname, port: portOf(url) });
    } catch {
      // Not a URL: the adapter that owns it reports that itself.
    }
  }
  return hosts;
}

/** The address inside a URL's hostname (`127.0.0.1`, `::1` from `[::1]`), or null for a name. */
export function addressInHostname(hostname: string): string | null {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) && (bare.includes(":") || ipaddr.IPv4.isValidFourPartDecimal(bare)) ? bare : null;
}
