// The Request roomkit hands to the routes and hooks for an upgrade it takes itself is built lazily
// (runtime-node/upgrade-request.ts): it must be indistinguishable from the Request undici would build
// from the same upgrade. Checked on real upgrades that Node parsed, against `new Request`.
import { createServer, type IncomingMessage } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestUrl, upgradeHeader, upgradeRequest } from "../../runtime-node/upgrade-request.ts";

const server = createServer();
const upgrades: IncomingMessage[] = [];
let port = 0;

beforeAll(async () => {
  server.on("upgrade", (incoming: IncomingMessage, socket) => {
    upgrades.push(incoming);
    socket.on("error", () => {}); // the client hangs up as soon as it was parsed
    socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends `head` as an upgrade and returns the IncomingMessage Node made of it. */
async function upgradeOf(head: string): Promise<IncomingMessage> {
  const before = upgrades.length;
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  socket.write(head);
  while (upgrades.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
  socket.destroy();
  return upgrades[before]!;
}

const HEAD = [
  "GET /rooms/a%20b/../lobby/ws?since=4&roomkit=1 HTTP/1.1",
  "Host: Example.COM:8787",
  "Connection: Upgrade",
  "Upgrade: websocket",
  "X-User: ada",
  "Cookie: a=1",
  "Accept: text/plain",
  "Accept: application/json",
  "",
  "",
].join("\r\n");

/** What undici builds from the same upgrade: the reference the lazy Request must match. */
function eager(incoming: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return new Request(new URL(`http://${incoming.headers.host}${incoming.url}`), { headers });
}

describe("the lazy upgrade Request", () => {
  it("is a Request with the URL and method undici would give it", async () => {
    const incoming = await upgradeOf(HEAD);
    const lazy = upgradeRequest(incoming);
    const reference = eager(incoming);
    expect(lazy).toBeInstanceOf(Request);
    expect(Object.prototype.toString.call(lazy)).toBe("[object Request]");
    expect(lazy.url).toBe(reference.url);
    expect(lazy.url).toBe("http://example.com:8787/rooms/lobby/ws?since=4&roomkit=1");
    expect(lazy.method).toBe("GET");
    expect(new URL(lazy.url).searchParams.get("since")).toBe("4");
  });

  it("answers headers, and every other Request member, as the eager Request does", async () => {
    const incoming = await upgradeOf(HEAD);
    const lazy = upgradeRequest(incoming);
    const reference = eager(incoming);
    expect(lazy.headers).toBeInstanceOf(Headers);
    expect(lazy.headers.get("x-user")).toBe("ada");
    expect([...lazy.headers]).toEqual([...reference.headers]);
    for (const key of ["cache", "credentials", "destination", "integrity", "keepalive", "mode", "redirect", "referrer", "referrerPolicy", "bodyUsed"] as const) {
      expect(lazy[key], key).toEqual(reference[key]);
    }
    expect(lazy.signal).toBeInstanceOf(AbortSignal);
    expect(lazy.body).toBeNull();
    expect(await lazy.text()).toBe("");
  });

  it("clones into a real Request, and a Request can be built from it", async () => {
    const lazy = upgradeRequest(await upgradeOf(HEAD));
    const clone = lazy.clone();
    expect(clone).toBeInstanceOf(Request);
    expect(clone.url).toBe(lazy.url);
    expect(clone.headers.get("cookie")).toBe("a=1");
    const rebuilt = new Request(lazy, { headers: { "x-extra": "1" } });
    expect(rebuilt.url).toBe(lazy.url);
    expect(rebuilt.headers.get("x-extra")).toBe("1");
    // What fetch(request) does with it first.
    expect(new Request(lazy).headers.get("x-user")).toBe("ada");
  });


  it("has the URL the WHATWG parser gives, also for hosts and targets it normalizes", () => {
    const hosts = ["example.com", "Example.COM:8787", "127.0.0.1:80", "localhost:443", "127.1", "[::1]:8080", "bücher.example", "xn--bcher-kva.example:1234", "a.b.", "user@host"];
    const targets = [
      "/rooms/lobby/ws",
      "/rooms/lobby/ws?since=4&roomkit=1",
      "/rooms/a%20b/ws",
      "/rooms/./lobby/ws",
      "/rooms/x/../lobby/ws?x=/..",
      "/rooms/lobby/ws?q='quoted'",
      "/rooms/a\\b/ws",
      "/rooms/é/ws",
      "/rooms/{x}/ws?a=<b>",
      "/rooms/lobby/ws?",
      "/",
      "/..",
      "/a/.",
      "//double//slash",
    ];
    expect(requestUrl("http", "example.com", "http://other.example/x")).toBe("http://other.example/x");
    for (const scheme of ["http", "https"]) {
      for (const host of hosts) {
        for (const target of targets) {
          // The target is a path of the Host's origin, even "//double//slash" (not a host of its own).
          expect(requestUrl(scheme, host, target), `${scheme} ${host} ${target}`).toBe(new URL(`${scheme}://${host}${target}`).href);
        }
      }
    }
  });

  it("reads headers as Node parsed them, repeated ones joined as Headers joins them", async () => {
    const incoming = await upgradeOf(HEAD);
    expect(upgradeHeader(incoming, "upgrade")).toBe("websocket");
    expect(upgradeHeader(incoming, "x-missing")).toBeUndefined();
    expect(upgradeHeader(incoming, "accept")).toBe(eager(incoming).headers.get("accept"));
  });
});
