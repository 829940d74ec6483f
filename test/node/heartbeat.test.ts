// Heartbeat replies are bounded on Node: they count against maxBufferedBytes (a client that floods
// `ping` and never reads is closed with 1013) and against a rate. On workerd the reply is the
// runtime's own auto-response, which roomkit does not see (README, "Node vs Cloudflare").
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { serveRooms, type RoomServer } from "../../runtime-node/index.ts";
import type { Limits } from "../../src/limits.ts";
import { fixtureApp } from "../fixtures/app.ts";
import { TestClient } from "../support/client.ts";

let server: RoomServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const start = async (limits: Partial<Limits>) =>
  (server = await serveRooms(fixtureApp, { port: 0, dataDir: ":memory:", env: { ROOMKIT_LOG: "silent" }, limits }));

describe("heartbeat replies (Node)", () => {
  it("a client that floods ping and never reads is closed with 1013; the room carries on", async () => {
    const { url, registry } = await start({ rateLimit: null, maxBufferedBytes: 64 * 1024 });
    const watcher = await TestClient.open(url, "/probe/hb/ws");
    const flooder = new WebSocket(`${url.replace("http", "ws")}/probe/hb/ws`);
    await new Promise((resolve) => flooder.once("open", resolve));
    expect(registry.connectionCount("probe", "hb")).toBe(2);
    // Stop reading: the pongs pile up in the kernel's buffers, then in the server's.
    flooder.pause();
    let sent = 0;
    const flooderGone = new Promise((resolve) => flooder.once("close", resolve));
    let gone = false;
    void flooderGone.then(() => (gone = true));
    while (!gone && sent < 3_000_000 && registry.connectionCount("probe", "hb") === 2) {
      for (let i = 0; i < 5_000; i++) flooder.send("ping");
      sent += 5_000;
      while (flooder.bufferedAmount > 256 * 1024 && !gone) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const closed = await watcher.nextMatching((f: any) => f.type === "closed", 10_000);
    expect(closed).toMatchObject({ code: 1013, reason: "slow consumer: too much unsent data", remaining: 1 });
    expect(registry.connectionCount("probe", "hb")).toBe(1);
    watcher.send({ cmd: "whoami" });
    expect(await watcher.nextMatching((f: any) => f.re === "whoami")).toBeTruthy();
    flooder.terminate();
  }, 60_000);

  it("pings faster than rateLimit get no reply past the burst", async () => {
    const { url } = await start({ rateLimit: { perSecond: 1, burst: 5 } });
    const client = await TestClient.open(url, "/probe/hb-rate/ws");
    for (let i = 0; i < 50; i++) client.send("ping");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const pongs = client.pending().filter((frame) => frame === "pong").length;
    expect(pongs).toBeGreaterThanOrEqual(5);
    expect(pongs).toBeLessThanOrEqual(6);
    // The socket stays open and the heartbeat recovers with the rate.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    client.send("ping");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.pending().filter((frame) => frame === "pong").length).toBeGreaterThan(pongs);
    expect(client.isOpen).toBe(true);
    client.close();
  });
});
