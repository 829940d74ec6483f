// RoomClient against rooms that do not speak roomkit's resume protocol (the poll room, the probe
// room), on both runtimes: the client never waits silently, and without resume it takes any frame.
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { roomName } from "../contract/context.ts";
import { fixtureRuntimes } from "../runtimes/fixture.ts";
import type { RunningRuntime } from "roomkit/testing";
import { raw, until } from "./harness.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** docs/CLIENT.md's example for "any other room": the first ts block after "For any other room". */
async function anyRoomExample(): Promise<string> {
  const doc = await readFile(`${root}docs/CLIENT.md`, "utf8");
  const block = doc.slice(doc.indexOf("For any other room")).match(/```ts\n([\s\S]*?)```/);
  if (!block) throw new Error('docs/CLIENT.md has no ts block after "For any other room"');
  return block[1]!;
}

describe.each(fixtureRuntimes)("RoomClient and rooms without the resume protocol on $name", (runtime) => {
  let rt: RunningRuntime;
  const cleanup: Array<{ close(): void }> = [];
  const track = <T extends { client: { close(): void } }>(value: T): T => {
    cleanup.push(value.client);
    return value;
  };

  beforeAll(async () => {
    rt = await runtime.start();
  });
  afterAll(async () => {
    await rt?.stop();
  });
  afterEach(() => {
    for (const client of cleanup.splice(0)) client.close();
  });

  it("talks to such a room by default: sends at once and delivers what the room answers", async () => {
    const a = track(raw({ url: `${rt.url}/polls/${roomName("default")}/ws` }));
    a.client.send({ type: "start", question: "tea?", options: ["yes", "no"], seconds: 60 });
    await until(() => a.rec.count("message") === 1);
    expect(a.rec.of("message")[0]).toMatchObject({ data: { type: "poll", question: "tea?", open: true }, seq: null, history: false });
    expect(a.rec.count("error")).toBe(0);
    expect(a.client.pending()).toEqual([]);
  });

  it("with resume on, reports sync_timeout when the room never answers with synced, retries, and gives up", async () => {
    const a = track(raw({ url: `${rt.url}/polls/${roomName("no-sync")}/ws`, resume: true, syncTimeoutMs: 150, maxRetries: 1 }));
    a.client.send({ type: "start", question: "tea?", options: ["yes", "no"], seconds: 60 });
    await until(() => a.client.state === "closed");
    expect(a.rec.of("error")).toEqual([
      expect.objectContaining({ code: "sync_timeout", fromServer: false, detail: expect.stringMatching(/150 ms.*resume: false/) }),
      expect.objectContaining({ code: "sync_timeout", fromServer: false }),
    ]);
    expect(a.rec.of("close")).toEqual([
      { code: 1000, reason: "sync timeout", wasClean: true, willReconnect: true, terminal: false, gaveUp: false },
      { code: 1000, reason: "sync timeout", wasClean: true, willReconnect: false, terminal: false, gaveUp: true },
    ]);
    // Never sent: the message waits for a synced connection, and stays in the buffer.
    expect(a.client.pending().map((p) => p.sent)).toEqual([false]);
  });

  it("with resume: false, delivers every frame: JSON, other text, and binary", async () => {
    const a = track(raw<unknown>({ url: `${rt.url}/probe/${roomName("frames")}/ws`, resume: false }));
    a.client.send({ cmd: "sendRaw", text: '{"n":1}' });
    a.client.send({ cmd: "sendRaw", text: "plain text, not JSON" });
    a.client.send({ cmd: "sendRaw", bytes: [1, 2, 255] });
    // The heartbeat's answer text, sent by the room while no ping is outstanding: the room's own frame.
    a.client.send({ cmd: "sendRaw", text: "pong" });
    await until(() => a.rec.count("message") === 4);
    const [json, text, binary, pong] = a.rec.of("message");
    expect(pong).toEqual({ data: "pong", raw: "pong", seq: null, history: false });
    expect(json).toEqual({ data: { n: 1 }, raw: '{"n":1}', seq: null, history: false });
    expect(text).toEqual({ data: "plain text, not JSON", raw: "plain text, not JSON", seq: null, history: false });
    expect(binary!.data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(binary!.data as ArrayBuffer)]).toEqual([1, 2, 255]);
    expect(binary!.raw).toBe(binary!.data);
    expect(a.rec.count("error")).toBe(0);
  });

  it("runs docs/CLIENT.md's example for any other room as written (the poll room), and it exits", async () => {
    const example = await anyRoomExample();
    expect(example).toContain("http://127.0.0.1:8787/polls/lunch/ws");
    const dir = `${root}test/.artifacts`;
    const file = `${dir}/client-example-${process.pid}-${runtime.name}.ts`;
    await mkdir(dir, { recursive: true });
    // Only the server differs from the page: the example app's port becomes the fixture's.
    await writeFile(file, example.replace("http://127.0.0.1:8787/polls/lunch/", `${rt.url}/polls/${roomName("lunch")}/`));
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", file], { cwd: root, timeout: 20_000 });
      expect(stderr).toBe("");
      expect(stdout).toBe("Lunch? pizza: 0, soup: 0\n");
    } finally {
      await rm(file, { force: true });
    }
  });
});
