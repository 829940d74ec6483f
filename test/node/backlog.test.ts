// serveRooms listens with a backlog that absorbs a reconnect storm: while the server cannot accept
// (here: stopped with SIGSTOP), the kernel completes handshakes into the listen queue up to the
// backlog and drops the rest. Node's default backlog (511) would let about 512 of 1,500 through.
// Linux semantics (a full queue drops the SYN); the kernel caps the backlog at net.core.somaxconn.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startNodeProcess } from "../runtimes/node-process.ts";

const ATTEMPTS = 1500;
const somaxconn = (() => {
  try {
    return Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8"));
  } catch {
    return 0;
  }
})();

describe.runIf(process.platform === "linux" && somaxconn >= ATTEMPTS)("serveRooms' listen backlog", () => {
  it("queues a burst of connections far past Node's default of 511 while the server cannot accept", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "roomkit-backlog-"));
    const server = await startNodeProcess(dataDir);
    const { port } = new URL(server.url);
    const sockets: Socket[] = [];
    try {
      process.kill(server.child.pid!, "SIGSTOP");
      let connected = 0;
      for (let i = 0; i < ATTEMPTS; i++) {
        const socket = connect({ port: Number(port), host: "127.0.0.1", localAddress: `127.0.0.${2 + (i % 8)}` });
        socket.on("connect", () => connected++);
        socket.on("error", () => {});
        sockets.push(socket);
      }
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(connected).toBeGreaterThan(1000);
    } finally {
      for (const socket of sockets) socket.destroy();
      process.kill(server.child.pid!, "SIGCONT");
      await server.kill("SIGTERM");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
