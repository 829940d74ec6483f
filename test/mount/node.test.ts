// Rooms mounted into an app the user already has, on Node: a Hono app served by @hono/node-server's
// serve({ websocket }), and a plain node:http server with its own handler and a second ws server.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import WebSocket, { WebSocketServer } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { nodeRooms, type NodeRooms } from "../../runtime-node/index.ts";
import { defineApp } from "../../src/router.ts";
import type { Connection, Room } from "../../src/room.ts";
import { ProbeRoom, SlowConnectRoom } from "../fixtures/rooms.ts";
import { TestClient } from "../support/client.ts";


/** Its constructor throws once `broken` is true (a room that can no longer start or wake). */
let broken = false;
class FragileRoom implements Room {
  constructor() {
    if (broken) throw new Error("cannot open storage");
  }
  onMessage(conn: Connection, data: string | ArrayBuffer) {
    conn.send(String(data));
  }
}

const app = defineApp({
  rooms: { probe: ProbeRoom, slow: SlowConnectRoom, fragile: FragileRoom },
  routes: [
    { path: "/fragile/:name/ws", room: "fragile" },
    { path: "/probe/:name/ws", room: "probe" },
    { path: "/slow/:name/ws", room: "slow" },
  ],
  onBeforeConnect: ({ request }) => ({ state: { user: request.headers.get("x-user") }, tags: [] }),
});

let rooms: NodeRooms | undefined;
let server: Server | undefined;
afterEach(async () => {
  await rooms?.close();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  rooms = server = undefined;
});
const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
const whoami = async (client: TestClient) => {
  client.send({ cmd: "whoami" });
  return client.nextMatching((frame: any) => frame.re === "whoami");
};

describe("nodeRooms mounted in a Hono app on @hono/node-server", () => {
  it("serves the app's own routes and the rooms under a base path, the app's middleware first", async () => {
    rooms = nodeRooms(app, { dataDir: ":memory:", env: { ROOMKIT_LOG: "silent" } });
    const hono = new Hono();
    hono.get("/api/health", (c) => c.json({ ok: true }));
    hono.use("/realtime/*", async (c, next) => {
      if (c.req.query("token") !== "let-me-in") return c.text("login required", 401);
      c.req.raw.headers.set("x-user", "ann");
      await next();
    });
    hono.route("/realtime", rooms.routes);
    server = serve({ fetch: hono.fetch, port: 0, hostname: "127.0.0.1", websocket: rooms.websocket }) as Server;
    await new Promise((resolve) => server!.once("listening", resolve));
    const url = urlOf(server);
    expect(await (await fetch(`${url}/api/health`)).json()).toEqual({ ok: true });
    const client = await TestClient.open(url, "/realtime/probe/m1/ws?token=let-me-in");
    expect((await whoami(client)).state).toEqual({ user: "ann" });
    expect((await TestClient.refusal(url, "/realtime/probe/m2/ws")).status).toBe(401);
    expect(await TestClient.refusal(url, "/realtime/probe/bad%20name/ws?token=let-me-in")).toMatchObject({ status: 400, body: expect.stringContaining("Invalid room name") });
    // Closing the rooms closes their sockets with 1001.
    await rooms.close();
    expect((await client.closed).code).toBe(1001);
  });
});

describe("nodeRooms attached to a plain node:http server", () => {
  it("leaves plain HTTP to the server's handler and other upgrade paths to another ws server", async () => {
    server = createServer((_req, res) => res.end("own handler"));
    const other = new WebSocketServer({ noServer: true });
    other.on("connection", (ws) => ws.send("other server"));
    server.on("upgrade", (req, socket, head) => {
      if (req.url === "/other") other.handleUpgrade(req, socket, head, (ws) => other.emit("connection", ws, req));
    });
    rooms = nodeRooms(app, { dataDir: ":memory:", env: { ROOMKIT_LOG: "silent" } });
    rooms.attach(server);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = urlOf(server);
    expect(await (await fetch(`${url}/anything`)).text()).toBe("own handler");
    const client = await TestClient.open(url, "/probe/a1/ws");
    expect((await whoami(client)).state).toEqual({ user: null });
    const foreign = new WebSocket(`${url.replace("http", "ws")}/other`);
    expect(await new Promise((resolve) => foreign.once("message", (data) => resolve(String(data))))).toBe("other server");
    foreign.close();
    expect(await TestClient.refusal(url, "/probe/bad%20name/ws")).toMatchObject({ status: 400, body: expect.stringContaining("Invalid room name") });
    other.close();
  });
});

describe("order of events with an async onConnect (Node; Cloudflare answers the upgrade after onConnect)", () => {
  it("answers the upgrade only once onConnect has settled, and its frames come first", async () => {
    rooms = nodeRooms(app, { dataDir: ":memory:", env: { ROOMKIT_LOG: "silent" } });
    server = createServer();
    rooms.attach(server);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const started = Date.now();
    const client = await TestClient.open(urlOf(server), "/slow/s1/ws");
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    client.send("hi");
    expect(await client.nextText()).toBe("connected");
    expect(await client.nextText()).toBe("echo:hi");
  });
});

describe("a room that cannot start or wake (Node)", () => {
  it("refuses that upgrade with 503 and a body, closes a woken socket with 1011, and other rooms go on", async () => {
    rooms = nodeRooms(app, { dataDir: ":memory:", env: { ROOMKIT_LOG: "silent" } });
    server = createServer();
    rooms.attach(server);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = urlOf(server);
    const watcher = await TestClient.open(url, "/probe/watcher/ws");
    const early = await TestClient.open(url, "/fragile/f1/ws");
    broken = true;
    try {
      expect(await TestClient.refusal(url, "/fragile/f2/ws")).toEqual({ status: 503, body: 'Room "f2" could not be started; try again later.' });
      expect(rooms.hibernate("fragile", "f1")).toBe(1);
      early.send("wake up");
      expect(await early.closed).toEqual({ code: 1011, reason: "room could not be started" });
    } finally {
      broken = false;
    }
    expect((await whoami(watcher)).state).toEqual({ user: null });
  });
});
