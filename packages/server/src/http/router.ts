import { OpenVError } from "../core/errors.js";
import { isStorableText } from "./body.js";
import type { Route } from "./routes.js";

/**
 * What a request's method and path lead to, decided once per request before its body is read: the
 * bindings read at most `bodyLimit` bytes (none at all where it is 0) and hand the match to
 * `OpenVService.handle`, which serves it without matching again.
 */
export type RouteMatch =
  | {
      /** A route serves it. */
      kind: "route";
      /** The route. */
      route: Route;
      /** Path parameters, still percent-encoded. */
      params: Record<string, string>;
      /** The most body bytes this route reads (413 above it). */
      bodyLimit: number;
    }
  | {
      /** A known path, another method: 405 with `Allow`. */
      kind: "method_not_allowed";
      /** The methods the path takes, HEAD included where GET is. */
      allow: string[];
      /** Nothing is read. */
      bodyLimit: 0;
    }
  | {
      /** No route has this path: 404. */
      kind: "not_found";
      /** Nothing is read. */
      bodyLimit: 0;
    };

interface CompiledRoute {
  route: Route;
  segments: string[];
}

function matchPath(segments: string[], parts: string[]): Record<string, string> | null {
  if (segments.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    const part = parts[index] as string;
    if (segment.startsWith(":")) {
      if (part === "") return null;
      params[segment.slice(1)] = part;
    } else if (segment !== part) return null;
  }
  return params;
}

/** The routes of one service, matched by method and path (below the prefix). */
export class Router {
  readonly #routes: CompiledRoute[];
  readonly #bodyLimit: number;

  /** `bodyLimit` applies to every route that sets no `maxBodyBytes` of its own. */
  constructor(routes: Route[], bodyLimit: number) {
    this.#routes = routes.map((route) => ({ route, segments: route.path.split("/").slice(1) }));
    this.#bodyLimit = bodyLimit;
  }

  /** Every route, in the order they are matched. */
  get routes(): Route[] {
    return this.#routes.map(({ route }) => route);
  }

  /** The route `method` `path` leads to (HEAD is served as GET), or why there is none. */
  match(method: string, path: string): RouteMatch {
    const wanted = method === "HEAD" ? "GET" : method;
    const parts = path.split("/").slice(1);
    const allow = new Set<string>();
    for (const { route, segments } of this.#routes) {
      const params = matchPath(segments, parts);
      if (!params) continue;
      if (route.method === wanted) {
        return { kind: "route", route, params, bodyLimit: route.maxBodyBytes ?? this.#bodyLimit };
      }
      allow.add(route.method);
      if (route.method === "GET") allow.add("HEAD");
    }
    if (allow.size === 0) return { kind: "not_found", bodyLimit: 0 };
    return { kind: "method_not_allowed", allow: [...allow], bodyLimit: 0 };
  }
}

/** The contract's error for a request that matched no route: 404, or 405 with `Allow`. */
export function noRouteError(match: Exclude<RouteMatch, { kind: "route" }>, method: string, path: string): OpenVError {
  if (match.kind === "method_not_allowed") {
    return new OpenVError({
      code: "method_not_allowed",
      message: `${path} does not take ${method}; it takes ${match.allow.join(", ")}.`,
      details: { allow: match.allow },
      allow: match.allow,
    });
  }
  return new OpenVError({
    code: "not_found",
    message: `No route ${method} ${path}. See the API reference for the routes.`,
  });
}

/** Path parameters decoded; one that is not UTF-8 text a database could hold names nothing here. */
export function decodeParams(params: Record<string, string>): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    let text: string;
    try {
      text = decodeURIComponent(value);
    } catch {
      throw new OpenVError({
        code: "not_found",
        message: "No such resource: the path is not valid UTF-8 percent-encoding.",
      });
    }
    if (!isStorableText(text)) throw new OpenVError({ code: "not_found", message: "No such resource for this user." });
    decoded[key] = text;
  }
  return decoded;
}
