// roomkit's Node runtime as a bench target: the bench app on a free port, data on disk in a fresh
// directory (as shipped: one SQLite file per room), rate limit off (ROOMKIT_RATE_LIMIT=off), and the
// admission limits off: the bench's thousands of sockets and rooms come from a few loopback addresses.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveRooms } from "../../runtime-node/server.ts";
import { serveBenchControl } from "../lib/server-control.ts";
import { benchApp } from "./app.ts";

const dataDir = mkdtempSync(join(tmpdir(), "roomkit-bench-"));
const server = await serveRooms(benchApp, {
  port: 0,
  host: process.env.BENCH_HOST ?? "127.0.0.1",
  dataDir,
  // The shipped default (10 s) unless the bench asks for less: W3 waits for idle rooms to hibernate.
  hibernateAfterMs: Number(process.env.BENCH_HIBERNATE_AFTER_MS ?? 10_000),
  env: {
    ...process.env,
    ROOMKIT_RATE_LIMIT: "off",
    ROOMKIT_MAX_CONNECTIONS_PER_ADDRESS: "off",
    ROOMKIT_MAX_NEW_ROOMS_PER_MINUTE: "off",
    ROOMKIT_MAX_CONNECTIONS_TOTAL: "off",
    ROOMKIT_LOG: process.env.ROOMKIT_LOG ?? "error",
  },
});
serveBenchControl(server.url, process.pid, async () => {
  await Promise.race([server.close(), new Promise((resolve) => setTimeout(resolve, 3000))]);
  rmSync(dataDir, { recursive: true, force: true });
});
