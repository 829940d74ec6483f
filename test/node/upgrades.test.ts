// Every upgrade the Node runtime receives is answered and its socket closed by the server, over raw
// TCP: a request that cannot become a WebSocket gets a 4xx, a handshake that never finishes is cut
// after handshakeTimeoutMs. Node's HTTP handling, so Node only (workerd parses HTTP itself).
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { nodeRooms, serveRooms, type NodeRooms, type RoomServer } from "../../runtime-node/index.ts";
import { defineApp } from "../../src/router.ts";
import { ProbeRoom, SlowConnectRoom } from "../fixtures/rooms.ts";

const app = defineApp({
  rooms: { probe: ProbeRoom, slow: SlowConnectRoom },
  routes: [
    { path: "/probe/:name/ws", room: "probe" },
    { path: "/slow/:name/ws", room: "slow" },
  ],
});
const env = { ROOMKIT_LOG: "silent" };
const KEY = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

interface Exchange {
  /** Everything the server wrote. */
  reply: string;
  /** The server ended the connection (the client never does). */
  closedByServer: boolean;
  afterMs: number;
}

/** Writes `request` on a raw TCP socket and waits up to `waitMs` for the server to close it. */
function exchange(port: number, request: string, waitMs = 3000): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (reply += chunk));
    socket.on("error", () => {});
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve({ reply, closedByServer: false, afterMs: Date.now() - started });
    }, waitMs);
    socket.on("end", () => {
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ reply, closedByServer: true, afterMs: Date.now() - started });
    });
    socket.write(request);
  });
}

const status = (reply: string) => Number(/^HTTP\/1\.[01] (\d{3})/.exec(reply)?.[1]);

let server: RoomServer | undefined;
let rooms: NodeRooms | undefined;
let own: Server | undefined;
afterEach(async () => {
  await server?.close();
  await rooms?.close();
  await new Promise((resolve) => (own ? own.close(resolve) : resolve(undefined)));
  server = rooms = own = undefined;
});

async function start(handshakeTimeoutMs?: number): Promise<number> {
  server = await serveRooms(app, { port: 0, dataDir: ":memory:", env, limits: handshakeTimeoutMs ? { handshakeTimeoutMs } : {} });
  return Number(new URL(server.url).port);
}

describe("upgrades that cannot become a WebSocket (Node)", () => {
  const cases: Array<[string, (port: number) => string, number]> = [
    ["a non-WebSocket Upgrade (h2c)", (p) => `GET /probe/a/ws HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`, 426],
    ["h2c on a path that is no room's", (p) => `GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`, 404],
    ["Upgrade: websocket without Connection: upgrade", (p) => `GET /probe/a/ws HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nUpgrade: websocket\r\n${KEY}\r\n`, 400],
    ["no Host header", () => `GET /probe/a/ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${KEY}\r\n`, 400],
    ["HTTP/1.0", (p) => `GET /probe/a/ws HTTP/1.0\r\nHost: 127.0.0.1:${p}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${KEY}\r\n`, 400],
  ];
  for (const [what, request, expected] of cases) {
    it(`${what}: ${expected}, and the server closes the connection`, async () => {
      const port = await start();
      const { reply, closedByServer } = await exchange(port, request(port));
      expect(status(reply), reply).toBe(expected);
      expect(closedByServer).toBe(true);
      expect(server!.registry.connectionCount("probe", "a")).toBe(0);
    });
  }

  it("a well-formed upgrade still gets its 101 and stays open", async () => {
    const port = await start();
    const { reply, closedByServer } = await exchange(port, `GET /probe/a/ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${KEY}\r\n`, 500);
    expect(status(reply)).toBe(101);
    expect(closedByServer).toBe(false);
  });
});

describe("the handshake timeout (Node, handshakeTimeoutMs)", () => {
  it("cuts a client whose headers never finish", async () => {
    const port = await start(300);
    const { reply, closedByServer, afterMs } = await exchange(port, `GET /probe/a/ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n`);
    expect(closedByServer).toBe(true);
    expect(status(reply)).toBe(408);
    expect(afterMs).toBeGreaterThanOrEqual(250);
    expect(afterMs).toBeLessThan(1500);
  });

  it("cuts an upgrade whose onConnect does not finish in time, and the room forgets it", async () => {
    const port = await start(100);
    const { reply, closedByServer, afterMs } = await exchange(port, `GET /slow/s/ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${KEY}\r\n`);
    // The 101 is held (corked) until onConnect settles, so the client got nothing at all.
    expect(reply).toBe("");
    expect(closedByServer).toBe(true);
    expect(afterMs).toBeLessThan(290);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server!.registry.connectionCount("slow", "s")).toBe(0);
  });

  it("leaves a handshake that finishes in time alone", async () => {
    const port = await start(2000);
    const { reply, closedByServer } = await exchange(port, `GET /slow/s/ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${KEY}\r\n`, 2500);
    expect(status(reply)).toBe(101);
    expect(closedByServer).toBe(false);
  });
});

describe("upgrades on a server the rooms are attached to (Node)", () => {
  it("h2c and WebSocket upgrades for other paths still reach the server's other listener", async () => {
    own = createServer();
    const seen: string[] = [];
    own.on("upgrade", (req, socket) => {
      if (!req.url?.startsWith("/other")) return;
      seen.push(`${req.headers.upgrade} ${req.url}`);
      socket.end("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    rooms = nodeRooms(app, { dataDir: ":memory:", env });
    rooms.attach(own);
    await new Promise<void>((resolve) => own!.listen(0, "127.0.0.1", resolve));
    const port = (own.address() as AddressInfo).port;
    expect(status((await exchange(port, `GET /other/h2 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`)).reply)).toBe(418);
    expect(status((await exchange(port, `GET /other/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${KEY}\r\n`)).reply)).toBe(418);
    expect(seen).toEqual(["h2c /other/h2", "websocket /other/ws"]);
    // The rooms' own paths are still refused properly on this server.
    const h2c = await exchange(port, `GET /probe/a/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`);
    expect(status(h2c.reply)).toBe(426);
    expect(h2c.closedByServer).toBe(true);
  });
});

describe("what a path means: the rooms' own upgrade listener and their routes mounted in a Hono app agree (Node)", () => {
  // serveRooms/attach match the path themselves, without a Hono app; @hono/node-server's serve()
  // dispatches to the routes mounted in one. Every path must reach the same room, or neither.
  const paths: Array<[string, number, string?]> = [
    ["/probe/abc/ws", 101, "abc"],
    ["/probe/query/ws?roomkit=1&x=%20", 101, "query"],
    ["/probe/%78y%7A/ws", 101, "xyz"],
    ["/probe/a~b.c_d-e/ws", 101, "a~b.c_d-e"],
    ["/lobby", 101, "the-lobby"],
    ["/probe/a%2Fb/ws", 400],
    ["/probe/a%2/ws", 400],
    ["/probe/a%20b/ws", 400],
    ["/probe//ws", 404],
    ["/probe/abc/ws/", 404],
    ["/probe/abc", 404],
    ["/", 404],
  ];
  const pathApp = defineApp({
    rooms: { probe: ProbeRoom },
    routes: [
      { path: "/probe/:name/ws", room: "probe" },
      { path: "/lobby", room: "probe", name: "the-lobby" },
    ],
  });
  const upgrade = (port: number, path: string, method = "GET") =>
    exchange(port, `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${KEY}\r\n`, 300);

  async function answers(port: number, listRooms: () => Array<{ type: string; name: string }>): Promise<Array<[string, number, string?]>> {
    const seen: Array<[string, number, string?]> = [];
    for (const [path] of paths) {
      const before = new Set(listRooms().map((r) => r.name));
      const code = status((await upgrade(port, path)).reply);
      const added = listRooms().map((r) => r.name).filter((name) => !before.has(name));
      // Each accepted path names a room of its own: the one that appeared is the room it reached.
      seen.push(code === 101 ? [path, code, added.join(",")] : [path, code]);
    }
    return seen;
  }

  it("serveRooms answers each path as expected, and a Hono app serving the mounted routes answers the same", async () => {
    server = await serveRooms(pathApp, { port: 0, dataDir: ":memory:", env });
    const own = await answers(Number(new URL(server.url).port), () => server!.rooms());
    expect(own).toEqual(paths);

    rooms = nodeRooms(pathApp, { dataDir: ":memory:", env });
    const hono = new Hono();
    hono.route("/", rooms.routes);
    const mounted = serve({ fetch: hono.fetch, port: 0, hostname: "127.0.0.1", websocket: rooms.websocket }) as Server;
    await new Promise((resolve) => mounted.once("listening", resolve));
    try {
      const port = (mounted.address() as AddressInfo).port;
      expect(await answers(port, () => rooms!.rooms())).toEqual(paths);
      // Other methods: @hono/node-server refuses a non-GET upgrade itself (405) before any route; the
      // rooms' own listener leaves it to the server's other listeners (a 404 when there are none).
      const ownPort = Number(new URL(server.url).port);
      expect(status((await upgrade(port, "/probe/abc/ws", "POST")).reply)).toBe(405);
      expect(status((await upgrade(ownPort, "/probe/abc/ws", "POST")).reply)).toBe(404);
    } finally {
      await new Promise((resolve) => mounted.close(resolve));
    }
  });
});
