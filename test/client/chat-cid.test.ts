// The chat room's side of exactly-once: a message retried with the same client id (`cid`) is
// acknowledged again with its first seq, never stored or relayed twice. Raw sockets, no client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roomName } from "../contract/context.ts";
import { nodeRuntime } from "../runtimes/node.ts";
import type { RunningRuntime } from "../runtimes/handle.ts";
import { TestClient } from "../support/client.ts";

describe("chat room: client message ids", () => {
  let rt: RunningRuntime;
  beforeAll(async () => {
    rt = await nodeRuntime.start();
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
