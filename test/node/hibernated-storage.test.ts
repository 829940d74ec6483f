// A hibernated room on the Node runtime holds its sockets and attachments and nothing else: its
// SQLite connection is closed (it costs more memory than 100 idle sockets) and reopened by the
// next event. An empty room stays, awake, for the same idle time, and its database closes with it. Nothing
// stored may be lost on the way, and an in-memory database is never closed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MEMORY } from "../../runtime-node/storage.ts";
import { serveRooms, type RoomServer } from "../../runtime-node/server.ts";
import { fixtureApp } from "../fixtures/app.ts";
import { TestClient } from "../support/client.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(dataDir: string, hibernateAfterMs = 60_000): Promise<RoomServer> {
  const server = await serveRooms(fixtureApp, { port: 0, dataDir, env: { ROOMKIT_LOG: "silent" }, hibernateAfterMs });
  cleanups.push(() => server.close());
  return server;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "roomkit-release-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function open(url: string, path: string): Promise<TestClient> {
  const client = await TestClient.open(url, path);
  cleanups.push(() => client.close());
  return client;
}

/** A roomkit client in a new room that stores one message and sees it acknowledged as seq 1. */
async function firstMessage(url: string, room: string, message: string): Promise<TestClient> {
  const client = await open(url, `/rooms/${room}/ws?roomkit=1`);
  expect(await client.next()).toMatchObject({ type: "synced", seq: 0 });
  client.send({ user: "ann", message });
  expect(await client.next()).toMatchObject({ type: "ack", seq: 1 });
  return client;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("Node runtime: a hibernated room's database", () => {
  it("is closed by hibernate() and reopened by the next event, with every message kept", async () => {
    const server = await start(tempDir());
    const [ann, bob] = [await open(server.url, "/rooms/lobby/ws"), await open(server.url, "/rooms/lobby/ws")];
    for (const message of ["one", "two"]) {
      ann.send({ user: "ann", message });
      expect(await bob.next()).toMatchObject({ message });
    }
    const storage = server.registry.database("chat", "lobby")!;
    expect(storage.isOpen).toBe(true);
    expect(storage.opens).toBe(1);

    expect(server.hibernate("chat", "lobby")).toBe(1);
    expect(storage.isOpen).toBe(false);

    // A live message wakes the room: the database reopens, the message is stored after the others.
    bob.send({ user: "bob", message: "three" });
    expect(await ann.next()).toMatchObject({ message: "three", seq: 3 });
    expect(storage.isOpen).toBe(true);
    expect(storage.opens).toBe(2);

    const late = await open(server.url, "/rooms/lobby/ws");
    const history = [await late.next(), await late.next(), await late.next()];
    expect(history.map((frame) => [frame.seq, frame.message])).toEqual([[1, "one"], [2, "two"], [3, "three"]]);
  });

  it("is closed when the idle sweeper hibernates the room, and a joiner still gets the history", async () => {
    const server = await start(tempDir(), 100);
    const ann = await firstMessage(server.url, "quiet", "before the nap");
    const storage = server.registry.database("chat", "quiet")!;
    await until(() => !storage.isOpen, "the sweeper to close the database");
    expect(server.registry.slot("chat", "quiet")?.awake).toBe(false);

    const late = await open(server.url, "/rooms/quiet/ws");
    expect(await late.next()).toMatchObject({ message: "before the nap", seq: 1 });
    expect(storage.opens).toBe(2);
  });

  it("answers an alarm of a hibernated room from a reopened database", async () => {
    const server = await start(tempDir());
    const [chair, voter] = [await open(server.url, "/polls/fast/ws"), await open(server.url, "/polls/fast/ws")];
    chair.send({ type: "start", question: "Tea?", options: ["yes", "no"], seconds: 0.5 });
    expect(await voter.next()).toMatchObject({ type: "poll", open: true });
    chair.send({ type: "vote", option: 0 });
    expect(await voter.nextMatching((f) => f.type === "poll" && f.counts[0] === 1)).toMatchObject({ open: true });
    server.hibernate("poll", "fast");
    expect(server.registry.database("poll", "fast")!.isOpen).toBe(false);
    expect(await voter.nextMatching((f) => f.type === "result")).toMatchObject({ counts: [1, 0], winners: [0] });
  });

  it("stays open for the idle time after the last socket left, so a returning visitor reuses it", async () => {
    const server = await start(tempDir());
    const first = await firstMessage(server.url, "drop-in", "hello");
    const slot = server.registry.slot("chat", "drop-in")!;
    first.close();
    await until(() => slot.size === 0, "the last socket to leave");
    const storage = server.registry.database("chat", "drop-in")!;
    expect(storage.isOpen).toBe(true);

    const second = await open(server.url, "/rooms/drop-in/ws");
    expect(await second.next()).toMatchObject({ message: "hello", seq: 1 });
    // The same room, still awake: not rebuilt, its database not reopened.
    expect(server.registry.slot("chat", "drop-in")).toBe(slot);
    expect(slot.wakeups).toBe(1);
    expect(server.registry.database("chat", "drop-in")).toBe(storage);
    expect(storage.opens).toBe(1);
  });

  it("is closed by the sweeper once an empty room stayed empty for the idle time", async () => {
    const server = await start(tempDir(), 100);
    const first = await firstMessage(server.url, "left", "bye");
    const storage = server.registry.database("chat", "left")!;
    first.close();
    await until(() => server.registry.database("chat", "left") === undefined, "the database to be closed");
    expect(storage.isOpen).toBe(false);
    const late = await open(server.url, "/rooms/left/ws");
    expect(await late.next()).toMatchObject({ message: "bye", seq: 1 });
  });

  it("stays open when the data directory is :memory:, since closing it would drop the data", async () => {
    const server = await start(MEMORY);
    const ann = await firstMessage(server.url, "volatile", "kept");
    server.hibernate("chat", "volatile");
    expect(server.registry.database("chat", "volatile")!.isOpen).toBe(true);
    const late = await open(server.url, "/rooms/volatile/ws");
    expect(await late.next()).toMatchObject({ message: "kept", seq: 1 });
  });
});
