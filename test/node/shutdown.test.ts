// server.close() is a deploy: every client is told 1001 "server shutting down", and the room's
// onClose hears 1001 for every socket — also for one the server had to cut because its client
// never answered the close handshake (it stopped reading), which ws itself reports as 1006.
import { describe, expect, it } from "vitest";
import { serveRooms } from "../../runtime-node/server.ts";
import { defineApp } from "../../src/router.ts";
import type { Connection, Room } from "../../src/room.ts";
import { TestClient } from "../support/client.ts";

const heard: Array<{ id: string; code: number; reason: string; wasClean: boolean }> = [];

class ListeningRoom implements Room {
  onMessage(connection: Connection, data: unknown): void {
    if (data === "whoami") connection.send(connection.id);
  }
  onClose(connection: Connection, code: number, reason: string, wasClean: boolean): void {
    heard.push({ id: connection.id, code, reason, wasClean });
  }
}

const app = defineApp({ rooms: { room: ListeningRoom }, routes: [{ path: "/r/:name/ws", room: "room" }] });

describe("shutdown on Node", () => {
  it("closes every socket with 1001, and the room hears 1001 also for sockets whose client stopped reading", async () => {
    heard.length = 0;
    const server = await serveRooms(app, { port: 0, dataDir: ":memory:", env: { ROOMKIT_LOG: "silent" } });
    const open = async () => {
      const client = await TestClient.open(server.url, "/r/deploy/ws");
      client.send("whoami");
      return { client, id: await client.nextText() };
    };
    const [reading, paused] = [await open(), await open()];
    paused.client.pauseReading();

    await server.close();
    expect(await reading.client.closed).toEqual({ code: 1001, reason: "server shutting down" });
    paused.client.resumeReading();
    // Its Close frame was written before the cut: read late, it still says 1001.
    expect(await paused.client.closed).toEqual({ code: 1001, reason: "server shutting down" });

    const byId = new Map(heard.map((entry) => [entry.id, entry]));
    expect(byId.get(reading.id)).toEqual({ id: reading.id, code: 1001, reason: "server shutting down", wasClean: true });
    // Cut, not closed: not clean, but the reason is the server's, not ws's 1006.
    expect(byId.get(paused.id)).toEqual({ id: paused.id, code: 1001, reason: "server shutting down", wasClean: false });
  });
});
