// A client visiting thousands of room names must not take the server down: with the descriptor
// limit at 1,024, 5,000 distinct chat rooms are joined and left one after another (the admission
// limits off, so that every visit reaches a room), while a watcher pair chats in a room of its own.
// Rooms that stored nothing leave no file behind, and the server's descriptors stay bounded.
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startNodeProcess, type NodeProcess } from "../runtimes/node-process.ts";
import { TestClient } from "../support/client.ts";

const dataDir = mkdtempSync(join(tmpdir(), "roomkit-names-"));
let server: NodeProcess | undefined;
afterAll(async () => {
  await server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

const VISITS = 5000;
const AT_ONCE = 16;

describe("5,000 room names under a 1,024-descriptor limit (Node, prlimit)", () => {
  it("keeps the server up and the watcher's room served, with no file per visited room and descriptors bounded", async () => {
    server = await startNodeProcess(dataDir, {
      wrapper: ["prlimit", "--nofile=1024:1024"],
      env: { ROOMKIT_MAX_CONNECTIONS_PER_ADDRESS: "off", ROOMKIT_MAX_NEW_ROOMS_PER_MINUTE: "off" },
    });
    const pid = server.child.pid!;
    const watcher = [await TestClient.open(server.url, "/rooms/watched/ws"), await TestClient.open(server.url, "/rooms/watched/ws")];
    watcher[0]!.send({ user: "w", message: "before" });
    await watcher[1]!.nextMatching((frame) => frame.message === "before", { expected: "the watcher's first message" });

    let next = 0;
    let refused = 0;
    const visit = async () => {
      while (next < VISITS) {
        const name = `visit-${next++}`;
        try {
          const client = await TestClient.open(server!.url, `/rooms/${name}/ws`);
          client.close();
          await client.closed;
        } catch {
          refused++;
        }
      }
    };
    await Promise.all(Array.from({ length: AT_ONCE }, visit));

    expect(server.child.exitCode).toBeNull();
    expect(refused).toBe(0);
    watcher[0]!.send({ user: "w", message: "after" });
    expect(await watcher[1]!.nextMatching((frame) => frame.message === "after", { expected: "the watcher's message after 5,000 visits" })).toMatchObject({ user: "w", message: "after" });

    const descriptors = readdirSync(`/proc/${pid}/fd`).length;
    const databases = readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(dataDir);
      } catch {
        return false;
      }
    }).length;
    const files = readdirSync(dataDir).filter((file) => file.startsWith("chat") && file.includes("visit-"));
    console.log(`after ${VISITS} room names: ${descriptors} descriptors open (${databases} in the data directory), ${files.length} files of visited rooms`);
    // Visiting a chat room reads its history and writes nothing: no file is left behind.
    expect(files).toEqual([]);
    // The listening socket, the watcher pair's sockets and database, Node's own: far below the limit.
    expect(descriptors).toBeLessThan(100);
    for (const client of watcher) client.close();
  }, 120_000);
});
