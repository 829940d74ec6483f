// The outgoing buffer: bounded by count and bytes, refusing (not dropping) what does not fit, and
// flushed in order once connected — also past the server's rate limit.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Outbox, utf8Length } from "../../src/client/outbox.ts";
import { roomName } from "../contract/context.ts";
import { nodeFixture } from "../runtimes/fixture.ts";
import type { RunningRuntime } from "roomkit/testing";
import { TcpProxy } from "../support/proxy.ts";
import { chat, range, texts, until } from "./harness.ts";

const entry = (id: string, text: string) => ({ id, data: text, text, bytes: utf8Length(text), sent: false });

describe("outbox bounds", () => {
  it("refuses the message that would pass the count bound, keeping the others in order", () => {
    const box = new Outbox<string>({ maxMessages: 3, maxBytes: 1000 });
    for (const id of ["a", "b", "c"]) expect(box.add(entry(id, id))).toBe("ok");
    expect(box.add(entry("d", "d"))).toBe("full");
    expect(box.list().map((e) => e.id)).toEqual(["a", "b", "c"]);
    box.remove(box.get("a")!);
    expect(box.add(entry("d", "d"))).toBe("ok");
    expect(box.list().map((e) => e.id)).toEqual(["b", "c", "d"]);
  });

  it("counts UTF-8 bytes against the byte bound", () => {
    expect(utf8Length("aé€😀")).toBe(1 + 2 + 3 + 4);
    const box = new Outbox<string>({ maxMessages: 100, maxBytes: 10 });
    expect(box.add(entry("1", "😀😀"))).toBe("ok"); // 8 bytes
    expect(box.add(entry("2", "€"))).toBe("full"); // would be 11
    expect(box.add(entry("3", "é"))).toBe("ok"); // exactly 10
    expect(box.bytes).toBe(10);
    box.remove(box.get("1")!);
    expect(box.bytes).toBe(2);
  });
});

describe("client buffer (Node server)", () => {
  let rt: RunningRuntime;
  let limited: RunningRuntime;
  let proxy: TcpProxy | undefined;
  const cleanup: Array<{ close(): void }> = [];
  beforeAll(async () => {
    [rt, limited] = await Promise.all([
      nodeFixture.start({ env: { ROOMKIT_RATE_LIMIT: "off" } }),
      nodeFixture.start({ env: { ROOMKIT_RATE_LIMIT: "10/4" } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([rt?.stop(), limited?.stop()]);
  });
  afterEach(async () => {
    for (const client of cleanup.splice(0)) client.close();
    await proxy?.close();
  });

  it("holds what fits while offline, refuses the rest with buffer_full, then sends in order", async () => {
    proxy = await TcpProxy.start(rt.url);
    proxy.mode = "refuse";
    const room = roomName("buffer");
    const a = chat(proxy.url, room, { buffer: { maxMessages: 3, maxBytes: 10_000 } });
    const b = chat(rt.url, room);
    cleanup.push(a.client, b.client);
    await until(() => a.rec.count("reconnecting") >= 1);
    const ids = range("m", 1, 4).map((message) => a.client.send({ user: "ann", message }));
    expect(ids.slice(0, 3).every((id) => typeof id === "string")).toBe(true);
    expect(ids[3]).toBeNull();
    expect(a.rec.of("error")).toEqual([expect.objectContaining({ code: "buffer_full", fromServer: false, data: { user: "ann", message: "m4" } })]);
    expect(a.client.pending().map((p) => [p.data.message, p.sent])).toEqual([["m1", false], ["m2", false], ["m3", false]]);

    proxy.mode = "forward";
    await until(() => b.rec.count("message") === 3 && a.client.pending().length === 0);
    expect(texts(b.rec)).toEqual(["m1", "m2", "m3"]);
    expect(a.rec.of("ack").map((x) => x.id)).toEqual(ids.slice(0, 3));
  });

  it("bounds the buffer by bytes too", async () => {
    proxy = await TcpProxy.start(rt.url);
    proxy.mode = "refuse";
    const a = chat(proxy.url, roomName("bytes"), { buffer: { maxMessages: 100, maxBytes: 200 } });
    cleanup.push(a.client);
    // Each frame is about 90 bytes with its cid: two fit, the third does not.
    expect(a.client.send({ user: "ann", message: "x".repeat(20) })).not.toBeNull();
    expect(a.client.send({ user: "ann", message: "y".repeat(20) })).not.toBeNull();
    expect(a.client.send({ user: "ann", message: "z".repeat(20) })).toBeNull();
    expect(a.client.pendingBytes).toBeLessThanOrEqual(200);
    expect(a.client.pending()).toHaveLength(2);
  });

  it("flushes past the server's rate limit without losing or reordering a message", async () => {
    const room = roomName("rate");
    const a = chat(limited.url, room, { rateLimitPauseMs: 300, autoConnect: false });
    const b = chat(limited.url, room);
    cleanup.push(a.client, b.client);
    const sent = range("r", 1, 12);
    for (const message of sent) a.client.send({ user: "ann", message });
    a.client.reconnect();
    await until(() => b.rec.count("message") === 12);
    expect(texts(b.rec)).toEqual(sent);
    expect(b.rec.of("message").map((m) => m.seq)).toEqual(range("", 1, 12).map(Number));
    const refusals = a.rec.of("error");
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.every((e) => e.code === "rate_limited" && e.willRetry === true)).toBe(true);
    expect(a.client.state).toBe("open");
  });
});
