// The request the rooms' routes read, and the Request handed to onBeforeConnect and onConnect, for
// an upgrade roomkit takes itself (serveRooms, attach). Built lazily: undici's Request and Headers cost kilobytes per
// upgrade, and since they live through the handshake they are promoted to V8's old generation, where
// an idle server (no allocation, so no full collection) keeps them for good. Most upgrades need the
// URL only (route, room name, query); the real Request is built the first time anything else of it
// is read, and from then on answers every property itself.
import type { IncomingMessage } from "node:http";
import { getQueryParam } from "hono/utils/url";
import type { RouteRequest } from "../src/room-routes.ts";

/** The headers of an upgrade as Node parsed them (lower-case names), without building a Headers. */
export function upgradeHeader(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/**
 * What the rooms' routes read of an upgrade on Node: headers as Node parsed them (no Headers object
 * unless the app asks for the Request's), the query as Hono's `c.req.query` reads it.
 */
export class IncomingRouteRequest implements RouteRequest {
  constructor(
    private readonly incoming: IncomingMessage,
    /** The Request @hono/node-server built, on its path; else one of ours, built when first read. */
    readonly raw: Request = upgradeRequest(incoming),
  ) {}

  get url(): string {
    return this.raw.url;
  }

  header(name: string): string | undefined {
    return upgradeHeader(this.incoming, name);
  }

  query(name: string): string | undefined {
    return getQueryParam(this.raw.url, name) as string | undefined;
  }
}

export function upgradeRequest(incoming: IncomingMessage): Request {
  const scheme = (incoming.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
  return new LazyRequest(requestUrl(scheme, incoming.headers.host ?? "localhost", incoming.url ?? "/"), incoming.method ?? "GET", incoming.headers) as unknown as Request;
}

/**
 * A request target the WHATWG parser leaves exactly as it is: a path and query of unreserved and
 * sub-delimiter characters (nothing it percent-encodes, no `%`, no backslash) with no `.` or `..`
 * segment to resolve.
 */
const VERBATIM_TARGET = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@/?]*$/;
const DOT_SEGMENT = /\/\.\.?(?:[/?]|$)/;
/** Origins as the parser normalizes them (case, default port, IDNA), per scheme and Host header. */
const origins = new Map<string, string>();
/** Host headers are few in practice; a client sending a new one per request only fills this up to here. */
const MAX_ORIGINS = 64;

/**
 * The URL as the WHATWG parser normalizes it, as `new Request(url)` would report it. The parser runs
 * once per distinct Host, and per request only for a target it could change.
 */
export function requestUrl(scheme: string, host: string, target: string): string {
  const base = `${scheme}://${host}`;
  let origin = origins.get(base);
  if (origin === undefined) {
    origin = new URL("/", base).href.slice(0, -1);
    if (origins.size >= MAX_ORIGINS) origins.clear();
    origins.set(base, origin);
  }
  if (VERBATIM_TARGET.test(target) && !DOT_SEGMENT.test(target)) return origin + target;
  // A path is this origin's even when it starts with "//" (resolved against the origin, that would
  // be read as another host); an absolute-form target (a proxy's request) names its own.
  return new URL(target.startsWith("/") ? origin + target : target, origin).href;
}

const REAL = Symbol("the real Request");

class LazyRequest {
  readonly #url: string;
  readonly #method: string;
  readonly #headers: IncomingMessage["headers"];
  #real: Request | undefined;

  constructor(url: string, method: string, headers: IncomingMessage["headers"]) {
    this.#url = url;
    this.#method = method;
    this.#headers = headers;
  }

  get url(): string {
    return this.#url;
  }

  get method(): string {
    return this.#method;
  }

  [REAL](): Request {
    if (!this.#real) {
      const headers = new Headers();
      for (const [name, value] of Object.entries(this.#headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      this.#real = new Request(this.#url, { method: this.#method, headers });
    }
    return this.#real;
  }
}

// `instanceof Request` holds; every other member of Request.prototype is answered by the real one,
// and so are the symbol-keyed fields undici reads off a Request it is given (`new Request(request)`,
// `fetch(request)` starts with the same): a sample Request says which those are on this Node. test/node/upgrade-request
// checks both on every Node the tests run on.
Object.setPrototypeOf(LazyRequest.prototype, Request.prototype);
for (const key of Reflect.ownKeys(Request.prototype)) {
  if (key === "constructor" || Object.prototype.hasOwnProperty.call(LazyRequest.prototype, key)) continue;
  const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, key)!;
  if (descriptor.get) {
    Object.defineProperty(LazyRequest.prototype, key, {
      configurable: true,
      get(this: LazyRequest) {
        return Reflect.get(this[REAL](), key);
      },
    });
  } else if (typeof descriptor.value === "function") {
    const method = descriptor.value as (...args: unknown[]) => unknown;
    Object.defineProperty(LazyRequest.prototype, key, {
      configurable: true,
      writable: true,
      value(this: LazyRequest, ...args: unknown[]) {
        return method.apply(this[REAL](), args);
      },
    });
  }
}
for (const key of Object.getOwnPropertySymbols(new Request("http://localhost/"))) {
  Object.defineProperty(LazyRequest.prototype, key, {
    configurable: true,
    get(this: LazyRequest) {
      return Reflect.get(this[REAL](), key);
    },
    set(this: LazyRequest, value: unknown) {
      Reflect.set(this[REAL](), key, value);
    },
  });
}
