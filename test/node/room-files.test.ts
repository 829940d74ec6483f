// Node only: what a room's SQLite file costs and when it exists. A room that stored nothing has no
// file; open databases are capped; start-up reads one alarm index, not every room's file; a file
// that cannot be opened fails only its own room; a closed server's storage stays closed.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { descriptorLimit } from "../../runtime-node/descriptor-limit.ts";
import { autoOpenDatabases } from "../../runtime-node/open-databases.ts";
import { Database } from "../../runtime-node/peers.ts";
import { serveRooms, type NodeServerOptions, type RoomServer } from "../../runtime-node/server.ts";
import { SqliteRoomStorage, databasePath } from "../../runtime-node/storage.ts";
import { RoomkitError } from "../../src/errors.ts";
import { defineApp } from "../../src/router.ts";
import type { Connection, Room, RoomHost } from "../../src/room.ts";
import { fixtureApp } from "../fixtures/app.ts";
import { TestClient } from "../support/client.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "roomkit-files-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(app: Parameters<typeof serveRooms>[0], options: NodeServerOptions): Promise<RoomServer> {
  const server = await serveRooms(app, { port: 0, env: { ROOMKIT_LOG: "silent" }, ...options });
  let closed = false;
  const close = server.close.bind(server);
  server.close = async (...args) => {
    closed = true;
    await close(...args);
  };
  cleanups.push(() => (closed ? undefined : server.close()));
  return server;
}

async function open(url: string, path: string): Promise<TestClient> {
  const client = await TestClient.open(url, path);
  cleanups.push(() => client.close());
  return client;
}

const roomFiles = (dir: string) => readdirSync(dir).filter((file) => file.endsWith(".sqlite"));

/** This process's descriptors on room database files (the file, -wal, -shm). */
function sqliteDescriptors(dir: string): number {
  let count = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir) && /\.sqlite(-wal|-shm)?$/.test(readlinkSync(`/proc/self/fd/${fd}`))) count++;
    } catch {}
  }
  return count;
}

/** Whatever the test needs from inside a room: the host (kept after the server closed) and an alarm log. */
const hosts = new Map<string, RoomHost>();
const fired: string[] = [];

class ProbeRoom implements Room {
  constructor(readonly host: RoomHost) {
    hosts.set(host.name, host);
    // A schema in the constructor, as the chat does: not a stored row.
    host.storage.sql.exec("CREATE TABLE IF NOT EXISTS notes (text TEXT)");
  }
  async onMessage(connection: Connection, data: unknown): Promise<void> {
    const [command, arg] = String(data).split(" ");
    const storage = this.host.storage;
    if (command === "read") connection.send(JSON.stringify({ value: (await storage.get("k")) ?? null, notes: storage.sql.exec("SELECT count(*) AS n FROM notes").one().n }));
    if (command === "put") {
      await storage.put("k", arg);
      connection.send("stored");
    }
    if (command === "put-later") {
      connection.send("accepted");
      // A handler still awaiting when the server is asked to close: close waits for it.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await storage.put("k", arg);
    }
    if (command === "ddl") {
      storage.sql.exec("CREATE TABLE IF NOT EXISTS later (x)");
      connection.send("made");
    }
    if (command === "tables") connection.send(storage.sql.exec("SELECT group_concat(name) AS names FROM (SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name)").one().names as string);
    if (command === "sync") connection.send(String(storage.sql.exec("PRAGMA synchronous").one().synchronous));
    if (command === "alarm") {
      await this.host.setAlarm(Date.now() + Number(arg));
      connection.send("armed");
    }
  }
  async onAlarm(): Promise<void> {
    fired.push(this.host.name);
    await this.host.storage.put("alarm-fired", true);
  }
}

const probeApp = defineApp({ rooms: { probe: ProbeRoom }, routes: [{ path: "/p/:name/ws", room: "probe" }] });

async function ask(client: TestClient, command: string): Promise<string> {
  client.send(command);
  return client.nextText();
}

describe("Node runtime: room files", () => {
  it("creates no file for a room that stored nothing, and one with its first stored row", async () => {
    const dir = tempDir();
    const server = await start(probeApp, { dataDir: dir });
    const reader = await open(server.url, "/p/reader/ws");
    expect(JSON.parse(await ask(reader, "read"))).toEqual({ value: null, notes: 0 });
    // The chat creates its table in its constructor and reads its history: still no file.
    const chatServer = await start(fixtureApp, { dataDir: dir });
    const chat = await open(chatServer.url, "/rooms/visited/ws?roomkit=1");
    expect(await chat.next()).toMatchObject({ type: "synced", seq: 0 });
    chat.close();
    expect(roomFiles(dir)).toEqual([]);

    const writer = await open(server.url, "/p/writer/ws");
    expect(await ask(writer, "put one")).toBe("stored");
    expect(roomFiles(dir)).toEqual([databasePath(dir, "probe", "writer").slice(dir.length + 1)]);
    // The schema made in memory before the first row went into the file with it.
    server.hibernate("probe", "writer");
    expect(JSON.parse(await ask(writer, "read"))).toEqual({ value: "one", notes: 0 });
  });

  it("creates the file for a schema made outside the constructor, which a later wake-up still sees", async () => {
    const dir = tempDir();
    const server = await start(probeApp, { dataDir: dir });
    const client = await open(server.url, "/p/schema/ws");
    expect(await ask(client, "tables")).toBe("_roomkit_kv,_roomkit_meta,notes");
    expect(roomFiles(dir)).toEqual([]);
    expect(await ask(client, "ddl")).toBe("made");
    expect(roomFiles(dir)).toHaveLength(1);
    server.hibernate("probe", "schema");
    expect(await ask(client, "tables")).toBe("_roomkit_kv,_roomkit_meta,later,notes");
  });

  it("fails a first write whose file cannot be created with a STORAGE error, and keeps the room as it was before it", async () => {
    const dir = tempDir();
    const dataDir = join(dir, "data");
    const server = await start(probeApp, { dataDir });
    const client = await open(server.url, "/p/no-disk/ws");
    expect(JSON.parse(await ask(client, "read"))).toEqual({ value: null, notes: 0 });
    // The directory is gone and a file stands in its place: the room's file cannot be created.
    rmSync(dataDir, { recursive: true, force: true });
    writeFileSync(dataDir, "");
    const failure = await hosts.get("no-disk")!.storage.put("k", "lost").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((failure as RoomkitError).code).toBe("STORAGE");
    expect((failure as Error).message).toContain("cannot create the database");
    expect(JSON.parse(await ask(client, "read"))).toEqual({ value: null, notes: 0 });
    // Once the directory is back, the next write creates the file with that write alone.
    rmSync(dataDir);
    expect(await ask(client, "put kept")).toBe("stored");
    expect(JSON.parse(await ask(client, "read"))).toEqual({ value: "kept", notes: 0 });
  });

  it("keeps a room without a file readable across hibernation, still without a file", async () => {
    const dir = tempDir();
    const server = await start(probeApp, { dataDir: dir, hibernateAfterMs: 60_000 });
    const client = await open(server.url, "/p/empty/ws");
    expect(JSON.parse(await ask(client, "read"))).toEqual({ value: null, notes: 0 });
    expect(server.hibernate("probe", "empty")).toBe(1);
    expect(JSON.parse(await ask(client, "read"))).toEqual({ value: null, notes: 0 });
    expect(roomFiles(dir)).toEqual([]);
  });

  it("keeps at most maxOpenDatabases room databases open, closing hibernated rooms' first, and loses nothing", async () => {
    const dir = tempDir();
    const server = await start(fixtureApp, { dataDir: dir, limits: { maxOpenDatabases: 3 } });
    const clients: TestClient[] = [];
    for (let i = 0; i < 8; i++) {
      const client = await open(server.url, `/rooms/capped-${i}/ws?roomkit=1`);
      expect(await client.next()).toMatchObject({ type: "synced" });
      client.send({ user: "ann", message: `m${i}` });
      expect(await client.next()).toMatchObject({ type: "ack", seq: 1 });
      clients.push(client);
      expect(server.registry.openDatabases.size).toBeLessThanOrEqual(3);
      expect(sqliteDescriptors(dir)).toBeLessThanOrEqual(3 * 3);
    }
    expect(roomFiles(dir)).toHaveLength(8);
    // Every room, its database closed or not, still has its message and takes new ones.
    for (let i = 0; i < 8; i++) {
      clients[i]!.send({ user: "ann", message: `again ${i}` });
      expect(await clients[i]!.next()).toMatchObject({ type: "ack", seq: 2 });
      const late = await open(server.url, `/rooms/capped-${i}/ws`);
      expect([await late.next(), await late.next()].map((f) => f.message)).toEqual([`m${i}`, `again ${i}`]);
      expect(server.registry.openDatabases.size).toBeLessThanOrEqual(3);
    }
    // A hibernated room's database goes before an awake one's.
    server.hibernate("chat", "capped-0");
    const awake = await open(server.url, "/rooms/capped-1/ws");
    await awake.next();
    const newcomer = await open(server.url, "/rooms/capped-new/ws?roomkit=1");
    await newcomer.next();
    newcomer.send({ user: "ann", message: "x" });
    expect(await newcomer.next()).toMatchObject({ type: "ack" });
    expect(server.registry.database("chat", "capped-0")!.isOpen).toBe(false);
  });

  it("derives the default cap from the process's descriptor limit", async () => {
    expect(autoOpenDatabases(1024)).toBe(85);
    expect(autoOpenDatabases(Infinity)).toBeGreaterThan(0);
    const server = await start(probeApp, { dataDir: tempDir() });
    expect(server.registry.openDatabases.cap).toBe(autoOpenDatabases(descriptorLimit()));
  });

  it("starts on 10,000 room files without opening them, and an alarm in one of them still fires", async () => {
    const dir = tempDir();
    const first = await start(probeApp, { dataDir: dir });
    const client = await TestClient.open(first.url, "/p/sleeper/ws");
    expect(await ask(client, "alarm 1500")).toBe("armed");
    client.close();
    await first.close();
    // 10,000 real room databases, each with a stored row (one template written by the storage, copied).
    const template = new SqliteRoomStorage(join(dir, "template.sqlite.tmpl"), { type: "chat", name: "template" });
    await template.put("k", "v");
    template.close();
    const bytes = new Database(join(dir, "template.sqlite.tmpl")).serialize();
    for (let i = 0; i < 10_000; i++) writeFileSync(databasePath(dir, "chat", `room-${i}`), bytes);
    expect(roomFiles(dir).length).toBe(10_001);

    fired.length = 0;
    const startedAt = performance.now();
    const second = await start(probeApp, { dataDir: dir });
    const startMs = performance.now() - startedAt;
    console.log(`start with 10,001 room files: ${startMs.toFixed(0)} ms`);
    expect(second.registry.openDatabases.size).toBe(0);
    const deadline = Date.now() + 5000;
    while (!fired.includes("sleeper") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toEqual(["sleeper"]);
  }, 60_000);
});

describe("Node runtime: a data directory from before the alarm index", () => {
  it("indexes the alarms of its room files once at start, and they fire", async () => {
    const dir = tempDir();
    const old = new SqliteRoomStorage(databasePath(dir, "probe", "old-alarm"), { type: "probe", name: "old-alarm" });
    old.setMeta("alarm", Date.now() + 300);
    old.close();
    fired.length = 0;
    await start(probeApp, { dataDir: dir });
    const deadline = Date.now() + 5000;
    while (!fired.includes("old-alarm") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toEqual(["old-alarm"]);
  });
});

describe("Node runtime: storage that cannot be opened", () => {
  it("refuses with 503 and a body a connection to a room whose file is random bytes; other rooms work", async () => {
    const dir = tempDir();
    writeFileSync(databasePath(dir, "probe", "broken"), randomBytes(8192));
    const server = await start(probeApp, { dataDir: dir });
    const refusal = await TestClient.refusal(server.url, "/p/broken/ws");
    expect(refusal.status).toBe(503);
    expect(refusal.body).toContain('Room "broken" could not be started');
    const other = await open(server.url, "/p/fine/ws");
    expect(await ask(other, "put ok")).toBe("stored");
  });

  it("closes with 1011 only the socket that wakes a hibernated room whose file went bad; the server and other rooms go on", async () => {
    const dir = tempDir();
    const server = await start(probeApp, { dataDir: dir, hibernateAfterMs: 60_000 });
    const [a, b] = [await open(server.url, "/p/turns-bad/ws"), await open(server.url, "/p/turns-bad/ws")];
    expect(await ask(a, "put before")).toBe("stored");
    const watcher = await open(server.url, "/p/watcher/ws");
    expect(await ask(watcher, "put w")).toBe("stored");
    expect(server.hibernate("probe", "turns-bad")).toBe(1);
    writeFileSync(databasePath(dir, "probe", "turns-bad"), randomBytes(8192));

    a.send("read");
    expect(await a.closed).toEqual({ code: 1011, reason: "room could not be started" });
    expect(b.isOpen).toBe(true);
    expect(JSON.parse(await ask(watcher, "read"))).toEqual({ value: "w", notes: 0 });
  });

  it("logs and survives an alarm of a room whose file went bad", async () => {
    const dir = tempDir();
    const server = await start(probeApp, { dataDir: dir, hibernateAfterMs: 60_000 });
    const client = await open(server.url, "/p/bad-alarm/ws");
    expect(await ask(client, "alarm 200")).toBe("armed");
    client.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.registry.database("probe", "bad-alarm")?.release();
    writeFileSync(databasePath(dir, "probe", "bad-alarm"), randomBytes(8192));
    await new Promise((resolve) => setTimeout(resolve, 400));
    const watcher = await open(server.url, "/p/after-alarm/ws");
    expect(await ask(watcher, "put w")).toBe("stored");
  });

  it("refuses to start on a data directory it cannot write to, with one line", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a-file"), "");
    const error = await serveRooms(probeApp, { port: 0, dataDir: join(dir, "a-file", "data"), env: { ROOMKIT_LOG: "silent" } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RoomkitError);
    expect((error as RoomkitError).code).toBe("CONFIG");
    expect((error as Error).message).toMatch(/data directory ".*a-file\/data" is not writable \(ENOTDIR\)/);
    expect((error as Error).message).not.toContain("\n");
  });
});

describe("Node runtime: closing the server", () => {
  it("stores a handler's pending write before close() returns, and then every storage call fails with a STORAGE error", async () => {
    const dir = tempDir();
    const server = await start(probeApp, { dataDir: dir });
    const client = await open(server.url, "/p/closing/ws");
    expect(await ask(client, "put first")).toBe("stored");
    expect(await ask(client, "put-later second")).toBe("accepted");
    await server.close();

    const file = new Database(databasePath(dir, "probe", "closing"), { readonly: true });
    const row = file.prepare("SELECT value FROM _roomkit_kv WHERE key = 'k'").get() as { value: Buffer };
    file.close();
    expect((await import("node:v8")).deserialize(row.value)).toBe("second");

    const host = hosts.get("closing")!;
    const failure = await host.storage.get("k").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(RoomkitError);
    expect((failure as RoomkitError).code).toBe("STORAGE");
    expect((failure as Error).message).toContain("closed");
    expect(() => host.storage.sql.exec("SELECT 1")).toThrow(/STORAGE.*closed/);
    expect(server.registry.database("probe", "closing")!.isOpen).toBe(false);
  });
});

describe("Node runtime: ROOMKIT_SQLITE_SYNC", () => {
  it("is read from the server's env option, not process.env", async () => {
    const full = await start(probeApp, { dataDir: tempDir(), env: { ROOMKIT_LOG: "silent", ROOMKIT_SQLITE_SYNC: "FULL" } });
    const a = await open(full.url, "/p/sync/ws");
    expect(await ask(a, "put x")).toBe("stored");
    expect(await ask(a, "sync")).toBe("2");

    const saved = process.env.ROOMKIT_SQLITE_SYNC;
    process.env.ROOMKIT_SQLITE_SYNC = "FULL";
    cleanups.push(() => {
      if (saved === undefined) delete process.env.ROOMKIT_SQLITE_SYNC;
      else process.env.ROOMKIT_SQLITE_SYNC = saved;
    });
    const normal = await start(probeApp, { dataDir: tempDir(), env: { ROOMKIT_LOG: "silent" } });
    const b = await open(normal.url, "/p/sync/ws");
    expect(await ask(b, "put x")).toBe("stored");
    expect(await ask(b, "sync")).toBe("1");
  });
});
