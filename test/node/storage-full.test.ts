// A room whose storage is full (real SQLite answering SQLITE_FULL: here a database held to a few
// pages, as a full disk answers) closes the sender with 1013 "storage full; try again later", not
// 1011; the room's other sockets and everything stored before stay, and the room recovers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { serveRooms, type RoomServer } from "../../runtime-node/server.ts";
import { defineApp } from "../../src/router.ts";
import type { Connection, FrameData, Room, RoomHost } from "../../src/room.ts";
import { TestClient } from "../support/client.ts";

let pageLimit = 12;

class FillingRoom implements Room {
  constructor(private readonly host: RoomHost) {
    host.storage.sql.exec("CREATE TABLE IF NOT EXISTS notes (text TEXT)");
  }
  onMessage(connection: Connection, data: FrameData): void {
    const sql = this.host.storage.sql;
    if (data === "count") {
      connection.send(String(sql.exec<{ n: number }>("SELECT count(*) AS n FROM notes").one().n));
      return;
    }
    sql.exec(`PRAGMA max_page_count = ${pageLimit}`);
    sql.exec("INSERT INTO notes (text) VALUES (?)", String(data));
    connection.send("stored");
  }
}

const app = defineApp({ rooms: { filling: FillingRoom }, routes: [{ path: "/filling/:name/ws", room: "filling" }] });
const dataDir = mkdtempSync(join(tmpdir(), "roomkit-full-"));
let server: RoomServer | undefined;
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a room whose storage is full (Node, real SQLite)", () => {
  it("closes the sender with 1013, keeps the other sockets and what was stored, and stores again once there is room", async () => {
    server = await serveRooms(app, { port: 0, dataDir, env: { ROOMKIT_LOG: "silent", ROOMKIT_RATE_LIMIT: "off" } });
    const [writer, reader] = [await TestClient.open(server.url, "/filling/f/ws"), await TestClient.open(server.url, "/filling/f/ws")];
    const page = "x".repeat(3000);
    let stored = 0;
    let closed: { code: number; reason: string } | undefined;
    writer.closed.then((c) => (closed = c));
    while (!closed && stored < 200) {
      writer.send(`${stored} ${page}`);
      const frame = await writer.nextText().catch(() => undefined);
      if (frame === "stored") stored++;
    }
    expect(stored).toBeGreaterThan(0);
    expect(await writer.closed).toEqual({ code: 1013, reason: "storage full; try again later" });
    reader.send("count");
    expect(Number(await reader.nextText())).toBe(stored);
    pageLimit = 1000;
    const again = await TestClient.open(server.url, "/filling/f/ws");
    again.send("after");
    expect(await again.nextText()).toBe("stored");
    reader.send("count");
    expect(Number(await reader.nextText())).toBe(stored + 1);
    again.close();
    reader.close();
  });
});
