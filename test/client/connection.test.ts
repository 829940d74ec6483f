// Connection failures end to end: a real Node server behind a real TCP proxy that can freeze, hang
// or refuse. What is asserted is what the client did (events, state), never how long it took.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isTerminalClose, RoomClient, StopCode } from "../../src/client/index.ts";
import { roomName } from "../contract/context.ts";
import { nodeFixture } from "../runtimes/fixture.ts";
import type { RunningRuntime } from "roomkit/testing";
import { TcpProxy } from "../support/proxy.ts";
import { chat, raw, sendAll, texts, until } from "./harness.ts";

let rt: RunningRuntime;
let proxy: TcpProxy;
const cleanup: Array<{ close(): void }> = [];

beforeAll(async () => {
  rt = await nodeFixture.start({ env: { ROOMKIT_RATE_LIMIT: "off", ROOMKIT_MAX_MESSAGE_BYTES: "8192" } });
});
afterAll(async () => {
  await rt?.stop();
});
afterEach(async () => {
  for (const client of cleanup.splice(0)) client.close();
  await proxy?.close();
});

const track = <T extends { client: { close(): void } }>(value: T): T => {
  cleanup.push(value.client);
  return value;
};

describe("client connection handling (Node server)", () => {
  it("detects a silent connection with the heartbeat and reconnects", async () => {
    proxy = await TcpProxy.start(rt.url);
    const room = roomName("beat");
    const a = track(chat(proxy.url, room, { heartbeat: { intervalMs: 50, timeoutMs: 100 } }));
    const b = track(chat(rt.url, room));
    await until(() => a.rec.count("synced") === 1);
    expect(proxy.accepted).toBe(1);

    proxy.freeze("both"); // nothing flows, nothing closes: only the heartbeat can tell
    await until(() => a.rec.count("close") === 1);
    expect(a.rec.of("close")[0]).toMatchObject({ code: 1006, reason: "heartbeat timeout", willReconnect: true });
    await until(() => a.rec.count("synced") === 2);
    expect(proxy.accepted).toBe(2);
    await sendAll(b.client, b.rec, "bob", ["still there?"]);
    await until(() => a.rec.count("message") === 1);
    expect(texts(a.rec)).toEqual(["still there?"]);
  });

  it("keeps a quiet but healthy connection: pings are answered by the runtime", async () => {
    proxy = await TcpProxy.start(rt.url);
    const a = track(chat(proxy.url, roomName("quiet"), { heartbeat: { intervalMs: 20, timeoutMs: 2000 } }));
    await until(() => a.rec.count("synced") === 1);
    // Several heartbeat intervals with no room traffic at all.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(a.rec.count("close")).toBe(0);
    expect(a.client.state).toBe("open");
  });

  it("abandons an attempt that never opens (connect timeout) and retries", async () => {
    proxy = await TcpProxy.start(rt.url);
    proxy.mode = "hang";
    const a = track(chat(proxy.url, roomName("hang"), { connectTimeoutMs: 100 }));
    await until(() => a.rec.count("close") >= 1);
    expect(a.rec.of("close")[0]).toMatchObject({ code: 1006, reason: "connect timeout", willReconnect: true });
    expect(a.rec.count("open")).toBe(0);
    proxy.mode = "forward";
    await until(() => a.rec.count("synced") === 1);
    expect(a.client.state).toBe("open");
  });

  it("stops at a 4000–4099 close, surfaces it, and reconnect() still works", async () => {
    const path = `${rt.url}/probe/${roomName("stop")}/ws`;
    const a = track(raw({ url: path, resume: false }));
    await until(() => a.client.state === "open");
    a.client.send({ cmd: "close", code: StopCode.AUTH_REFUSED, reason: "who are you?" });
    await until(() => a.client.state === "closed");
    expect(a.rec.of("close")).toEqual([{ code: 4001, reason: "who are you?", wasClean: true, willReconnect: false, terminal: true, gaveUp: false }]);
    expect(a.rec.count("reconnecting")).toBe(0);

    a.client.reconnect();
    await until(() => a.rec.count("open") === 2);
    expect(a.rec.of("open")[1]).toEqual({ reconnect: true });
  });

  it("retries after a retryable close from the room (1011)", async () => {
    const a = track(raw({ url: `${rt.url}/probe/${roomName("fault")}/ws`, resume: false }));
    await until(() => a.client.state === "open");
    a.client.send({ cmd: "throw" });
    await until(() => a.rec.count("open") === 2);
    expect(a.rec.of("close")[0]).toMatchObject({ code: 1011, willReconnect: true, terminal: false });
    expect(a.rec.of("reconnecting")[0]).toMatchObject({ attempt: 1 });
  });

  it("stops at 1009, drops the message that was too big, and sends the rest after reconnect()", async () => {
    const room = roomName("big");
    const a = track(chat(rt.url, room));
    const b = track(chat(rt.url, room));
    await until(() => a.rec.count("synced") === 1 && b.rec.count("synced") === 1);
    const big = a.client.send({ user: "ann", message: "x".repeat(9000) });
    a.client.send({ user: "ann", message: "small" });
    await until(() => a.client.state === "closed");
    expect(a.rec.of("close")[0]).toMatchObject({ code: 1009, terminal: true, willReconnect: false });
    expect(a.rec.of("error")).toEqual([expect.objectContaining({ code: "message_too_large", id: big, fromServer: true })]);
    expect(a.client.pending().map((p) => p.data.message)).toEqual(["small"]);

    a.client.reconnect();
    await until(() => b.rec.count("message") === 1);
    expect(texts(b.rec)).toEqual(["small"]);
  });

  it("gives up after maxRetries failed attempts; reconnect() starts again", async () => {
    proxy = await TcpProxy.start(rt.url);
    proxy.mode = "refuse";
    const a = track(chat(proxy.url, roomName("give-up"), { maxRetries: 2 }));
    await until(() => a.client.state === "closed");
    expect(a.rec.of("reconnecting").map((r) => r.attempt)).toEqual([1, 2]);
    expect(a.rec.of("close").map((c) => [c.willReconnect, c.gaveUp])).toEqual([[true, false], [true, false], [false, true]]);
    expect(proxy.accepted).toBe(3);

    proxy.mode = "forward";
    a.client.reconnect();
    await until(() => a.rec.count("synced") === 1);
    expect(a.client.state).toBe("open");
  });

  it("close() while waiting to retry stops for good", async () => {
    proxy = await TcpProxy.start(rt.url);
    proxy.mode = "refuse";
    const a = track(chat(proxy.url, roomName("close-wait"), { backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000 } }));
    await until(() => a.client.state === "waiting");
    expect(a.client.retryAt).toBeGreaterThan(Date.now());
    a.client.close();
    expect(a.client.state).toBe("closed");
    expect(a.client.retryAt).toBeNull();
    expect(a.rec.of("close").at(-1)).toMatchObject({ code: 1000, willReconnect: false });
  });

  it("classifies close codes", () => {
    for (const code of [1003, 1008, 1009, 4000, 4001, 4003, 4009, 4099]) expect(isTerminalClose(code), String(code)).toBe(true);
    for (const code of [1000, 1001, 1005, 1006, 1011, 1012, 1013, 4100, 4999]) expect(isTerminalClose(code), String(code)).toBe(false);
  });

  it.runIf(typeof (globalThis as { WebSocket?: unknown }).WebSocket === "undefined")("asks for a WebSocket implementation where there is none (Node 20)", () => {
    expect(() => new RoomClient({ url: rt.url })).toThrow(/WebSocket/);
  });
});
