// server.rooms(): what an operator sees of a Node server's live rooms, over real sockets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveRooms, type RoomInfo, type RoomServer } from "roomkit/node";
import { fixtureApp } from "../fixtures/app.ts";
import { TestClient } from "../support/client.ts";

const hibernateAfterMs = 300;

async function until<T>(read: () => T, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("server.rooms()", () => {
  let server: RoomServer;
  beforeAll(async () => {
    server = await serveRooms(fixtureApp, { port: 0, dataDir: ":memory:", hibernateAfterMs, env: { ROOMKIT_LOG: "silent" } });
  });
  afterAll(() => server?.close());

  const room = (type: string, name: string): RoomInfo | undefined => server.rooms().find((info) => info.type === type && info.name === name);

  it("lists each live room with its type, name, sockets, awake state and last event time", async () => {
    expect(server.rooms()).toEqual([]);
    const started = Date.now();
    const [a, b] = [await TestClient.open(server.url, "/probe/listed/ws"), await TestClient.open(server.url, "/probe/listed/ws")];
    const c = await TestClient.open(server.url, "/rooms/other/ws");
    a.send({ cmd: "whoami" });
    await a.nextMatching((frame) => frame.re === "whoami");
    const probe = room("probe", "listed")!;
    expect(probe).toEqual({ type: "probe", name: "listed", connections: 2, awake: true, lastEventAt: expect.any(Number) });
    expect(probe.lastEventAt).toBeGreaterThanOrEqual(started);
    expect(probe.lastEventAt).toBeLessThanOrEqual(Date.now());
    expect(room("chat", "other")).toMatchObject({ connections: 1, awake: true });
    expect(server.rooms()).toHaveLength(2);

    // Hibernated by the idle sweeper: shown as such, its sockets still counted.
    const asleep = await until(() => room("probe", "listed"), (info) => info?.awake === false, "the probe room to hibernate");
    expect(asleep).toMatchObject({ connections: 2, awake: false, lastEventAt: probe.lastEventAt });

    // An event wakes it and moves its last event time.
    await new Promise((resolve) => setTimeout(resolve, 5));
    b.send({ cmd: "whoami" });
    await b.nextMatching((frame) => frame.re === "whoami");
    const woken = room("probe", "listed")!;
    expect(woken).toMatchObject({ connections: 2, awake: true });
    expect(woken.lastEventAt).toBeGreaterThan(probe.lastEventAt);

    // Dropped on demand too; then its sockets leave and the room leaves the list.
    expect(server.hibernate("probe", "listed")).toBe(1);
    expect(room("probe", "listed")).toMatchObject({ connections: 2, awake: false });
    a.close();
    await until(() => room("probe", "listed")?.connections, (count) => count === 1, "one socket left");
    b.close();
    await until(() => room("probe", "listed"), (info) => info === undefined, "the room to leave the list");
    expect(server.rooms().map((info) => `${info.type}/${info.name}`)).toEqual(["chat/other"]);
    c.close();
  });

  it("lists a room whose last socket left, awake with no connections, until it has been idle for hibernateAfterMs", async () => {
    const a = await TestClient.open(server.url, "/probe/emptied/ws");
    a.close();
    await a.closed;
    const left = await until(() => room("probe", "emptied"), (info) => info?.connections === 0, "the last socket to leave");
    expect(left).toMatchObject({ connections: 0, awake: true });
    await until(() => room("probe", "emptied"), (info) => info === undefined, "the emptied room to leave the list");
    expect(Date.now() - left!.lastEventAt).toBeGreaterThanOrEqual(hibernateAfterMs);
  });

  it("hands out a snapshot, not the registry", async () => {
    const a = await TestClient.open(server.url, "/probe/snapshot/ws");
    const list = server.rooms() as RoomInfo[];
    list.length = 0;
    expect(room("probe", "snapshot")?.connections).toBe(1);
    expect(Object.keys(server.rooms()[0]!).sort()).toEqual(["awake", "connections", "lastEventAt", "name", "type"]);
    a.close();
  });
});
