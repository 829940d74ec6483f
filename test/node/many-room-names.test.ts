// Node only: a client visiting thousands of room names, each storing a message, under a descriptor
// limit of 1024. Every room keeps its file, but only a capped number stay open, so the server
// stays alive, a watcher room in the middle of it is unaffected, and descriptors stay bounded.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { TestClient } from "../support/client.ts";

const ROOMS = 5000;
const main = fileURLToPath(new URL("../runtimes/node-process-main.ts", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "roomkit-names-"));
const stops: Array<() => void> = [];
afterAll(() => {
  for (const stop of stops) stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function visit(url: string, name: string): Promise<void> {
  const client = await TestClient.open(url, `/rooms/${name}/ws?roomkit=1`);
  expect(await client.next()).toMatchObject({ type: "synced" });
  client.send({ user: "v", message: name });
  expect(await client.next()).toMatchObject({ type: "ack", seq: 1 });
  client.close();
  await client.closed;
}

describe("Node runtime under prlimit --nofile=1024", () => {
  it(`stays up through ${ROOMS} room names that each store a message, with a watcher room unaffected`, async () => {
    const child = spawn("prlimit", ["--nofile=1024:1024", process.execPath, "--import", "tsx", main, dataDir, "0"], {
      // Admission limits off: every name must reach a room (one client address cycling through
      // names is what maxNewRoomsPerAddressPerMinute refuses first; here the storage is on trial).
      env: { ...process.env, ROOMKIT_RATE_LIMIT: "off", ROOMKIT_MAX_NEW_ROOMS_PER_MINUTE: "off", ROOMKIT_MAX_CONNECTIONS_PER_ADDRESS: "off" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    stops.push(() => child.kill("SIGKILL"));
    let exited: number | null | undefined;
    child.once("exit", (code) => (exited = code));
    const url = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", resolve));

    const [ann, bob] = [await TestClient.open(url, "/rooms/watcher/ws"), await TestClient.open(url, "/rooms/watcher/ws")];
    let next = 0;
    const workers = Array.from({ length: 8 }, async () => {
      while (next < ROOMS) await visit(url, `name-${next++}`);
    });
    await Promise.all(workers);

    ann.send({ user: "ann", message: "still here" });
    expect(await bob.next()).toMatchObject({ message: "still here" });
    expect(exited).toBeUndefined();
    const descriptors = readdirSync(`/proc/${child.pid}/fd`).length;
    const files = readdirSync(dataDir).filter((file) => file.endsWith(".sqlite")).length;
    console.log(`after ${ROOMS} room names under 1024 descriptors: ${descriptors} descriptors open (prlimit's child), ${files} room files`);
    expect(files).toBe(ROOMS + 1);
    expect(descriptors).toBeLessThan(1024);
    ann.close();
    bob.close();
  }, 180_000);
});
