// roomkit's Node runtime as a bench target: the bench app on a free port, data on disk in a fresh
// directory (as shipped: one SQLite file per room), rate limit off (ROOMKIT_RATE_LIMIT=off), and the
// admission limits off: the bench's thousands of sockets and rooms come from a few loopback addresses.
//
// W6 (bench/lib/reconnect-storm.ts) restarts the server as a deploy does: SIGTERM, then the same
// target again on the same port (BENCH_PORT) with the same data (BENCH_DATA_DIR). A directory given
// that way belongs to the bench, which removes it once the last server on it has stopped.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveRooms } from "../../runtime-node/server.ts";
import { serveBenchControl } from "../lib/server-control.ts";
import { benchApp } from "./app.ts";

const givenDir = process.env.BENCH_DATA_DIR;
const dataDir = givenDir ?? mkdtempSync(join(tmpdir(), "roomkit-bench-"));
const server = await serveRooms(benchApp, {
  port: Number(process.env.BENCH_PORT ?? 0),
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

/** `bounded`: the bench's own stop between workloads, which does not wait more than 3 s. */
async function stop(bounded: boolean): Promise<void> {
  // server.close(): every socket closed with 1001 (a client that does not answer is cut after 2 s),
  // handlers settled, databases closed.
  const closed = server.close();
  await (bounded ? Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 3000))]) : closed);
  if (!givenDir) rmSync(dataDir, { recursive: true, force: true });
}
serveBenchControl(server.url, process.pid, () => stop(true));
// A deploy stops the server with SIGTERM: as examples/chat/main.ts does, close every socket with
// 1001 (clients reconnect), wait for server.close() to finish, and exit. Without a handler Node
// would die at once and clients would see 1006.
process.once("SIGTERM", () => void stop(false).finally(() => process.exit(0)));
