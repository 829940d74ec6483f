// The chat room's side of exactly-once: a message retried with the same client id (`cid`) is
// acknowledged again with its first seq, never stored or relayed twice. Raw sockets, no client;
// on both runtimes, since the room's SQL runs on each one's SQLite.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveRooms } from "../../runtime-node/server.ts";
import { databasePath } from "../../runtime-node/storage.ts";
import { exampleApp } from "../../examples/chat/app.ts";
import { roomName } from "../contract/context.ts";
import { nodeFixture, workerdFixture } from "../runtimes/fixture.ts";
import type { RunningRuntime } from "roomkit/testing";
import { TestClient } from "../support/client.ts";

describe.each([nodeFixture, workerdFixture])("chat room: client message ids ($name)", (handle) => {
  let rt: RunningRuntime;
  beforeAll(async () => {
    rt = await handle.start();
  });
  afterAll(async () => {
    await rt?.stop();
  });

  it("stores and relays a retried message once, and acks the retry with the first seq", async () => {
    const path = `/rooms/${roomName("cid")}/ws`;
    const sender = await TestClient.open(rt.url, `${path}?roomkit=1`);
    const article = await TestClient.open(rt.url, path);
    expect(await sender.next()).toEqual({ type: "synced", seq: 0 });
    const message = { user: "ann", message: "once", cid: "c-1_x" };
    sender.send(message);
    const ack = await sender.next();
    expect(ack).toEqual({ type: "ack", seq: 1, timestamp: expect.any(Number), cid: "c-1_x" });
    sender.send(message);
    expect(await sender.next()).toEqual(ack);
    sender.send({ user: "ann", message: "next" });
    expect(await sender.next()).toMatchObject({ type: "ack", seq: 2 });
    // The article client sees each once; the extra `cid` field does not change its shape.
    expect(await article.next()).toEqual({ user: "ann", message: "once", timestamp: ack.timestamp, seq: 1, cid: "c-1_x" });
    expect(await article.next()).toMatchObject({ user: "ann", message: "next", seq: 2 });
    const late = await TestClient.open(rt.url, `${path}?roomkit=1&since=0`);
    expect([await late.next(), await late.next(), await late.next()]).toEqual([
      expect.objectContaining({ seq: 1, cid: "c-1_x" }),
      expect.not.objectContaining({ cid: expect.anything() }),
      { type: "synced", seq: 2 },
    ]);
    for (const client of [sender, article, late]) client.close();
  });

  it("refuses a malformed cid as an invalid message", async () => {
    const client = await TestClient.open(rt.url, `/rooms/${roomName("bad-cid")}/ws?roomkit=1`);
    await client.next();
    for (const cid of ["", "x".repeat(65), "white space", 42]) {
      client.send({ user: "ann", message: "m", cid });
      expect(await client.next()).toMatchObject({ type: "error", code: "invalid_message", detail: expect.stringMatching(/cid/) });
    }
    client.close();
  });
});

it("adds the cid column to a chat database written before it existed (Node)", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "roomkit-cid-"));
  const room = roomName("old-schema");
  const old = new Database(databasePath(dataDir, "chat", room));
  old.exec("CREATE TABLE chat_messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, message TEXT NOT NULL, timestamp INTEGER NOT NULL)");
  old.prepare("INSERT INTO chat_messages (user, message, timestamp) VALUES (?, ?, ?)").run("ann", "from the old days", 1);
  old.close();
  const server = await serveRooms(exampleApp, { port: 0, dataDir, env: { ROOMKIT_LOG: "silent" } });
  try {
    const client = await TestClient.open(server.url, `/rooms/${room}/ws?roomkit=1`);
    expect(await client.next()).toEqual({ user: "ann", message: "from the old days", timestamp: 1, seq: 1 });
    expect(await client.next()).toEqual({ type: "synced", seq: 1 });
    client.send({ user: "bob", message: "new", cid: "n1" });
    expect(await client.next()).toMatchObject({ type: "ack", seq: 2, cid: "n1" });
    client.send({ user: "bob", message: "new", cid: "n1" });
    expect(await client.next()).toMatchObject({ type: "ack", seq: 2, cid: "n1" });
    client.close();
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
