import proxyaddr from "proxy-addr";

/**
 * Which proxies in front of the server to trust when reading `X-Forwarded-For`: a hop count, a list
 * of addresses or CIDR ranges (`"10.0.0.0/8"`, or proxy-addr's names `"loopback"`, `"linklocal"`,
 * `"uniquelocal"`), `true` for every hop, or `false` for none.
 */
export type TrustProxy = boolean | number | string[];

type TrustFunction = (address: string, hop: number) => boolean;

function trustFunction(trust: TrustProxy): TrustFunction {
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === "number") {
    if (!Number.isInteger(trust) || trust < 0)
      throw new Error(`trustProxy must be a whole number of hops ≥ 0 (got ${trust}).`);
    return (_address, hop) => hop < trust;
  }
  return proxyaddr.compile(trust);
}

const compiled = new WeakMap<object, TrustFunction>();
const byValue = new Map<boolean | number, TrustFunction>();

/** The trust function of `trust`, compiled once per list or value. */
function cachedTrustFunction(trust: TrustProxy): TrustFunction {
  const cached = Array.isArray(trust) ? compiled.get(trust) : byValue.get(trust);
  if (cached) return cached;
  const check = trustFunction(trust);
  if (Array.isArray(trust)) compiled.set(trust, check);
  else byValue.set(trust, check);
  return check;
}

/**
 * The client's address: the runtime's peer address, or — when that peer is a trusted proxy — the
 * rightmost `X-Forwarded-For` entry that is not a trusted proxy (proxy-addr's rule, as Express and
 * Fastify apply it). Entries to the left of it are written by the client and never used.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | undefined,
  trust: TrustProxy,
): string | undefined {
  if (!peer) return undefined;
  if (trust === false || !forwardedFor) return peer;
  const check = cachedTrustFunction(trust);
  // proxy-addr reads the peer from the socket and the chain from the header of a Node request.
  const request = {
    headers: { "x-forwarded-for": forwardedFor },
    socket: { remoteAddress: peer },
    connection: { remoteAddress: peer },
  };
  return proxyaddr(request as unknown as Parameters<typeof proxyaddr>[0], check);
}
