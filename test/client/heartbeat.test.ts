// The heartbeat's timing on a real socket, on both runtimes (each answers `ping` itself): a ping
// goes out `intervalMs` after the last frame received — not up to twice that — and never while
// frames keep coming.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RoomClient } from "../../src/client/index.ts";
import { roomName } from "../contract/context.ts";
import { fixtureRuntimes } from "../runtimes/fixture.ts";
import type { RunningRuntime } from "roomkit/testing";
import { FAST, Recorder, recordingWebSocket, until, type WireEvent } from "./harness.ts";

const INTERVAL_MS = 250;
/** Timer lateness on a busy machine; well below the half interval an off-by-one-tick heartbeat adds. */
const SLACK_MS = INTERVAL_MS / 2;

describe.each(fixtureRuntimes)("client heartbeat timing on $name", (runtime) => {
  let rt: RunningRuntime;
  const cleanup: RoomClient[] = [];

  beforeAll(async () => {
    rt = await runtime.start();
  });
  afterAll(async () => {
    await rt?.stop();
  });
  afterEach(() => {
    for (const client of cleanup.splice(0)) client.close();
  });

  function probe(label: string, wire: WireEvent[]) {
    const client = new RoomClient({
      ...FAST,
      url: `${rt.url}/probe/${roomName(label)}/ws`,
      heartbeat: { intervalMs: INTERVAL_MS, timeoutMs: 5000 },
      WebSocket: recordingWebSocket(wire),
    });
    cleanup.push(client);
    return { client, rec: new Recorder(client) };
  }

  it("pings intervalMs after the last frame received, every time", async () => {
    const wire: WireEvent[] = [];
    const { client, rec } = probe("beat-timing", wire);
    await until(() => client.state === "open");
    // A frame in the middle of the first interval: the next ping is due an interval after it.
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS / 3));
    client.send({ cmd: "whoami" });
    const pings = () => wire.filter((e) => e.direction === "sent" && e.data === "ping");
    await until(() => pings().length >= 3);

    const quietBeforePing = pings().slice(0, 3).map((ping) => {
      const lastHeard = wire.filter((e) => e.direction === "received" && e.at < ping.at).at(-1);
      return Math.round(ping.at - lastHeard!.at);
    });
    // First after the whoami reply, then after each pong.
    for (const quiet of quietBeforePing) {
      expect(quiet, `quiet before each ping: ${quietBeforePing.join(", ")} ms`).toBeGreaterThanOrEqual(INTERVAL_MS - 2);
      expect(quiet, `quiet before each ping: ${quietBeforePing.join(", ")} ms`).toBeLessThan(INTERVAL_MS + SLACK_MS);
    }
    expect(rec.count("close")).toBe(0);
  });

  it("sends no ping while frames keep arriving more often than intervalMs", async () => {
    const wire: WireEvent[] = [];
    const { client, rec } = probe("beat-busy", wire);
    await until(() => client.state === "open");
    for (let i = 0; i < 8; i++) {
      client.send({ cmd: "whoami" });
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS / 2));
    }
    await until(() => rec.count("message") === 8);
    expect(wire.filter((e) => e.direction === "sent" && e.data === "ping")).toEqual([]);
  });
});
