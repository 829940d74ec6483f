// Node only: the server process dies with SIGKILL while clients send; restarted on the same data
// directory, nothing any client saw is missing and seq never goes back.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startNodeProcess, type NodeProcess } from "../runtimes/node-process.ts";
import { TestClient } from "../support/client.ts";

const dataDir = mkdtempSync(join(tmpdir(), "roomkit-durability-"));
let server: NodeProcess | undefined;
afterAll(async () => {
  await server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

type Seen = { seq: number; user: string; message: string };

async function readHistory(url: string, path: string): Promise<Seen[]> {
  const client = await TestClient.open(url, `${path}?roomkit=1&since=0`);
  const frames: Seen[] = [];
  for (;;) {
    const frame = await client.next(10_000);
    if (frame.type === "synced") break;
    frames.push(frame);
  }
  client.close();
  return frames;
}

describe("durability (Node, SIGKILL)", () => {
  it("keeps every message any client received, and continues seq without reuse", async () => {
    // Retention off the table: every message ever received must still be there.
    const env = { ROOMKIT_RATE_LIMIT: "off", ROOMKIT_CHAT_RETENTION: "1000000" };
    server = await startNodeProcess(dataDir, { env });
    const path = "/rooms/durable/ws";
    const senders = await Promise.all([0, 1, 2].map(() => TestClient.open(server!.url, `${path}?roomkit=1`)));
    const readers = await Promise.all([0, 1].map(() => TestClient.open(server!.url, path)));
    let sending = true;
    const loops = senders.map(async (sender, s) => {
      for (let i = 0; sending && sender.isOpen; i++) {
        sender.send({ user: `s${s}`, message: `m${i}` });
        if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 1));
      }
    });
    // Let traffic build up, then kill the server mid-stream.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await server.kill("SIGKILL");
    sending = false;
    await Promise.all(loops);

    const seen = new Map<number, Seen>();
    for (const reader of readers) for (const frame of reader.receivedJson<Seen>()) seen.set(frame.seq, frame);
    const acked = senders.flatMap((sender) => sender.receivedJson().filter((f) => f.type === "ack"));
    expect(seen.size).toBeGreaterThan(50);

    server = await startNodeProcess(dataDir, { env });
    const history = await readHistory(server.url, path);
    const stored = new Map(history.map((frame) => [frame.seq, frame]));
    for (const [seq, frame] of seen) expect(stored.get(seq), `seq ${seq}`).toMatchObject({ user: frame.user, message: frame.message });
    for (const ack of acked) expect(stored.has(ack.seq), `acked seq ${ack.seq}`).toBe(true);
    const maxSeq = Math.max(...history.map((frame) => frame.seq));

    const after = await TestClient.open(server.url, `${path}?roomkit=1&since=${maxSeq}`);
    expect(await after.next()).toEqual({ type: "synced", seq: maxSeq });
    after.send({ user: "after", message: "restart" });
    expect((await after.next()).seq).toBe(maxSeq + 1);
    after.close();
  }, 60_000);

  it("fires an alarm that came due while the server was down: late, and once", async () => {
    await server?.kill();
    server = await startNodeProcess(dataDir);
    const probe = await TestClient.open(server.url, "/probe/alarmed/ws");
    probe.send({ cmd: "alarm.set", inMs: 800 });
    await probe.nextMatching((f) => f.re === "alarm.set");
    await server.kill("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 1200));
    server = await startNodeProcess(dataDir);
    const again = await TestClient.open(server.url, "/probe/alarmed/ws");
    const fired = async () => {
      again.send({ cmd: "kv.get", key: "alarm.fired" });
      return (await again.nextMatching((f) => f.re === "kv.get")).value;
    };
    await expect.poll(fired, { timeout: 5000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await fired()).toBe(1);
    again.send({ cmd: "alarm.get" });
    expect((await again.nextMatching((f) => f.re === "alarm.get")).at).toBeNull();
    again.close();
  }, 30_000);
});
