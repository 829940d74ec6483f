// The Request handed to the rooms' routes, onBeforeConnect and onConnect for an upgrade roomkit
// takes itself (serveRooms, attach). Built lazily: undici's Request and Headers cost kilobytes per
// upgrade, and since they live through the handshake they are promoted to V8's old generation, where
// an idle server (no allocation, so no full collection) keeps them for good. Most upgrades need the
// URL only (route, room name, query); the real Request is built the first time anything else of it
// is read, and from then on answers every property itself.
import type { IncomingMessage } from "node:http";

/** The headers of an upgrade as Node parsed them (lower-case names), without building a Headers. */
export function upgradeHeader(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

export function upgradeRequest(incoming: IncomingMessage): Request {
  const scheme = (incoming.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
  // The URL as the WHATWG parser normalizes it, as `new Request(url)` would report it.
  const url = new URL(incoming.url ?? "/", `${scheme}://${incoming.headers.host ?? "localhost"}`).href;
  return new LazyRequest(url, incoming.method ?? "GET", incoming.headers) as unknown as Request;
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
