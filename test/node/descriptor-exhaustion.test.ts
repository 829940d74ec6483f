// Node only: the server at its descriptor limit. A room whose database cannot be opened for want of
// a descriptor refuses that upgrade with 503 and a body; the process, and the rooms already open, go
// on; once descriptors are free again the same room opens.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteRoomStorage, databasePath } from "../../runtime-node/storage.ts";
import { TestClient } from "../support/client.ts";

const main = fileURLToPath(new URL("../runtimes/node-process-main.ts", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "roomkit-emfile-"));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("Node runtime out of descriptors (prlimit --nofile=64)", () => {
  it("refuses with 503 the room whose database cannot be opened, and keeps serving", async () => {
    const stored = new SqliteRoomStorage(databasePath(dataDir, "chat", "has-file"), { type: "chat", name: "has-file" });
    await stored.put("written", "before the server started");
    stored.close();
    // The admission cap on sockets (auto: none left at 64 descriptors) off: the databases are on trial.
    child = spawn("prlimit", ["--nofile=64:64", process.execPath, "--import", "tsx", main, dataDir, "0"], {
      env: { ...process.env, ROOMKIT_MAX_CONNECTIONS_TOTAL: "off" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let exited: number | null | undefined;
    child.once("exit", (code) => (exited = code));
    const url = await new Promise<string>((resolve) => createInterface({ input: child!.stdout! }).once("line", resolve));

    // A watcher room that has its file (a room's first message creates it, which needs descriptors too).
    const watchers: TestClient[] = [await TestClient.open(url, "/rooms/watcher/ws"), await TestClient.open(url, "/rooms/watcher/ws")];
    watchers[0]!.send({ user: "ann", message: "first" });
    expect(await watchers[1]!.next()).toMatchObject({ message: "first" });
    // Then sockets until the server has no descriptor left for another.
    for (;;) {
      try {
        watchers.push(await TestClient.open(url, "/rooms/watcher/ws"));
      } catch {
        break;
      }
      expect(watchers.length).toBeLessThan(64);
    }
    // One descriptor back: enough to accept the upgrade, not to open a database.
    const last = watchers.pop()!;
    last.close();
    await last.closed;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await TestClient.refusal(url, "/rooms/has-file/ws")).toEqual({ status: 503, body: 'Room "has-file" could not be started; try again later.' });

    watchers[0]!.send({ user: "ann", message: "still relayed" });
    expect(await watchers[1]!.next()).toMatchObject({ message: "still relayed" });
    for (const watcher of watchers) watcher.close();
    await Promise.all(watchers.map((watcher) => watcher.closed));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const late = await TestClient.open(url, "/rooms/has-file/ws?roomkit=1");
    expect(await late.next()).toMatchObject({ type: "synced", seq: 0 });
    late.close();
    expect(exited).toBeUndefined();
  }, 60_000);
});
