// Resume bookkeeping end to end: a real Node server, real sockets, connections really lost (through
// a TCP proxy) or the server really restarted. The app must see every message exactly once, in
// order, and never its own messages back.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { roomName } from "../contract/context.ts";
import { nodeFixture } from "../runtimes/fixture.ts";
import type { RunningRuntime } from "roomkit/testing";
import { TestClient } from "../support/client.ts";
import { TcpProxy } from "../support/proxy.ts";
import { ackTexts, chat, range, sendAll, texts, until } from "./harness.ts";

let rt: RunningRuntime;
let proxy: TcpProxy;
const cleanup: Array<{ close(): void }> = [];

beforeAll(async () => {
  rt = await nodeFixture.start({ env: { ROOMKIT_RATE_LIMIT: "off" } });
});
afterAll(async () => {
  await rt?.stop();
});
afterEach(async () => {
  for (const client of cleanup.splice(0)) client.close();
  await proxy?.close();
});

/** `a` reaches the server through the proxy, `b` directly. */
async function pair(label: string, options = {}) {
  proxy = await TcpProxy.start(rt.url);
  const room = roomName(label);
  const a = chat(proxy.url, room, options);
  const b = chat(rt.url, room);
  cleanup.push(a.client, b.client);
  await until(() => a.rec.count("synced") === 1 && b.rec.count("synced") === 1);
  return { a, b, room };
}

describe("client resume (Node server)", () => {
  it("delivers every message exactly once, in order, across a lost connection; buffered ones follow in order", async () => {
    const { a, b } = await pair("resume");
    await sendAll(b.client, b.rec, "bob", range("m", 1, 5));
    await until(() => a.rec.count("message") === 5);
    expect(a.client.lastSeq).toBe(5);

    proxy.mode = "refuse";
    proxy.cut();
    await until(() => a.rec.count("reconnecting") >= 2);
    // While a is away: the room moves on, and a's app keeps sending.
    await sendAll(b.client, b.rec, "bob", range("m", 6, 10));
    for (const text of range("a", 1, 3)) expect(a.client.send({ user: "ann", message: text })).not.toBeNull();
    expect(a.client.pending().map((p) => p.data.message)).toEqual(["a1", "a2", "a3"]);

    proxy.mode = "forward";
    await until(() => a.rec.count("ack") === 3 && b.rec.count("message") === 3);

    expect(texts(a.rec)).toEqual(range("m", 1, 10));
    expect(a.rec.of("message").map((m) => m.seq)).toEqual(range("", 1, 10).map(Number));
    expect(a.rec.of("message").map((m) => m.history)).toEqual(Array(10).fill(false).fill(true, 5));
    expect(a.rec.of("resumed")).toEqual([{ since: 5, seq: 10, replayed: 5 }]);
    expect(ackTexts(a.rec)).toEqual(["a1", "a2", "a3"]);
    expect(a.rec.of("ack").map((x) => x.seq)).toEqual([11, 12, 13]);
    expect(texts(b.rec)).toEqual(["a1", "a2", "a3"]);
    expect(a.client.pending()).toEqual([]);
    expect(a.rec.count("gap")).toBe(0);
  });

  it("recognises its own message in history when the ack was lost: stored once, not delivered back", async () => {
    const { a, b, room } = await pair("lost-ack");
    proxy.freeze("down"); // the server gets a's frames; nothing comes back
    a.client.send({ user: "ann", message: "lost-ack" });
    await until(() => texts(b.rec).includes("lost-ack"));
    expect(a.rec.count("ack")).toBe(0);

    proxy.cut();
    await until(() => a.rec.count("ack") === 1);
    expect(a.rec.of("ack")[0]).toMatchObject({ data: { message: "lost-ack" }, seq: 1 });
    // a's window holds one message: anything resent would reach b before this one.
    a.client.send({ user: "ann", message: "after" });
    await until(() => texts(b.rec).includes("after"));
    expect(texts(b.rec)).toEqual(["lost-ack", "after"]);
    expect(texts(a.rec)).toEqual([]);
    const late = await TestClient.open(rt.url, `/rooms/${room}/ws`);
    expect([(await late.next()).message, (await late.next()).message]).toEqual(["lost-ack", "after"]);
    late.close();
  });

  it("sends again a message the server never got", async () => {
    const { a, b } = await pair("never-got");
    proxy.freeze("both");
    a.client.send({ user: "ann", message: "first try lost" });
    proxy.cut();
    await until(() => a.rec.count("ack") === 1 && b.rec.count("message") === 1);
    expect(texts(b.rec)).toEqual(["first try lost"]);
    expect(a.rec.of("ack")[0]!.seq).toBe(1);
  });

  it("survives a server restart: history kept, seq continues, messages sent meanwhile delivered once", async () => {
    const { a, b } = await pair("restart");
    await sendAll(a.client, a.rec, "ann", ["before"]);
    await until(() => b.rec.count("message") === 1);
    const restarting = rt.restart!({ downtimeMs: 300 });
    await until(() => a.rec.count("close") >= 1 && b.rec.count("close") >= 1);
    expect(a.rec.of("close")[0]).toMatchObject({ code: 1001, willReconnect: true, terminal: false });
    a.client.send({ user: "ann", message: "during" });
    await restarting;
    await until(() => b.rec.count("message") === 2);
    await sendAll(b.client, b.rec, "bob", ["after"]);
    await until(() => a.rec.count("message") === 1);
    expect(texts(b.rec)).toEqual(["before", "during"]);
    expect(texts(a.rec)).toEqual(["after"]);
    expect(ackTexts(a.rec)).toEqual(["before", "during"]);
    expect(a.rec.of("ack").map((x) => x.seq)).toEqual([1, 2]);
    expect(b.rec.of("ack")[0]!.seq).toBe(3);
  });

  it("reconnect() while connected drops the socket and resumes without duplicates", async () => {
    const { a, b } = await pair("manual");
    await sendAll(b.client, b.rec, "bob", ["one", "two"]);
    await until(() => a.rec.count("message") === 2);
    a.client.reconnect();
    await until(() => a.rec.count("resumed") === 1);
    await sendAll(b.client, b.rec, "bob", ["three"]);
    await until(() => a.rec.count("message") === 3);
    expect(texts(a.rec)).toEqual(["one", "two", "three"]);
    expect(a.rec.of("close")[0]).toMatchObject({ code: 1000, willReconnect: true });
  });

  it("starts after `since` instead of loading recent history", async () => {
    const room = roomName("since");
    const b = chat(rt.url, room);
    cleanup.push(b.client);
    await sendAll(b.client, b.rec, "bob", range("m", 1, 4));
    const a = chat(rt.url, room, { since: 2 });
    cleanup.push(a.client);
    await until(() => a.rec.count("synced") === 1);
    expect(texts(a.rec)).toEqual(["m3", "m4"]);
    expect(a.rec.of("resumed")).toEqual([{ since: 2, seq: 4, replayed: 2 }]);
  });
});

describe("client resume against pruned history", () => {
  let small: RunningRuntime;
  beforeAll(async () => {
    small = await nodeFixture.start({ env: { ROOMKIT_RATE_LIMIT: "off", ROOMKIT_CHAT_RETENTION: "5" } });
  });
  afterAll(async () => {
    await small?.stop();
  });

  it("reports what it could not get back as a gap, then delivers the rest once", async () => {
    proxy = await TcpProxy.start(small.url);
    const room = roomName("gap");
    const a = chat(proxy.url, room);
    const b = chat(small.url, room);
    cleanup.push(a.client, b.client);
    await sendAll(b.client, b.rec, "bob", ["m1"]);
    await until(() => a.rec.count("message") === 1);
    proxy.mode = "refuse";
    proxy.cut();
    await sendAll(b.client, b.rec, "bob", range("m", 2, 10));
    proxy.mode = "forward";
    await until(() => a.rec.count("resumed") === 1);
    expect(a.rec.of("gap")).toEqual([{ from: 2, to: 5 }]);
    expect(texts(a.rec)).toEqual(["m1", ...range("m", 6, 10)]);
    // The gap comes before the messages after it.
    const order = a.rec.log.filter((e) => e.type === "gap" || e.type === "message").map((e) => (e.type === "gap" ? "gap" : (e.event as any).data.message));
    expect(order).toEqual(["m1", "gap", ...range("m", 6, 10)]);
  });
});
